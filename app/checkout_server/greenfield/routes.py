"""The Greenfield feature module: `routes()` and `setup(app)`.

The API (/greenfield/api/v1/...) is private, like /api/v1. `/greenfield/i/{id}` is public: BTCPay clients
build checkout URLs as `<BTCPay URL>/i/<invoice id>`, and it redirects to RedWaves' checkout page.
"""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.api.keys import API_LIMITS
from app.checkout_server.api.ratelimit import ApiLimits
from app.checkout_server.feature import Route
from app.checkout_server.greenfield import invoices, pull_payments, server, webhooks
from app.checkout_server.greenfield.auth import ANY_KEY, PREFIX, bind
from app.checkout_server.greenfield.problems import install_problems
from app.checkout_server.keys import IS_PUBLIC

VIEW_INVOICES = "btcpay.store.canviewinvoices"
CREATE_INVOICE = "btcpay.store.cancreateinvoice"
MODIFY_INVOICES = "btcpay.store.canmodifyinvoices"
VIEW_STORE = "btcpay.store.canviewstoresettings"
WEBHOOKS = "btcpay.store.webhooks.canmodifywebhooks"
CREATE_PULL_PAYMENTS = "btcpay.store.cancreatepullpayments"
MANAGE_PULL_PAYMENTS = "btcpay.store.canmanagepullpayments"

STORE = "/stores/{store_id}"
INVOICE = STORE + "/invoices/{invoice_id}"
WEBHOOK = STORE + "/webhooks/{webhook_id}"
DELIVERY = WEBHOOK + "/deliveries/{delivery_id}"

OPERATIONS = (
    ("GET", "/server/info", ANY_KEY, server.server_info),
    ("GET", "/api-keys/current", ANY_KEY, server.current_api_key),
    ("GET", "/stores", VIEW_STORE, server.list_stores),
    ("GET", STORE, VIEW_STORE, server.get_store),
    ("GET", STORE + "/payment-methods", VIEW_STORE, server.store_methods),
    ("GET", STORE + "/invoices", VIEW_INVOICES, invoices.list_invoices),
    ("POST", STORE + "/invoices", CREATE_INVOICE, invoices.create_invoice),
    ("GET", INVOICE, VIEW_INVOICES, invoices.get_invoice),
    ("GET", INVOICE + "/payment-methods", VIEW_INVOICES, invoices.invoice_methods),
    ("POST", INVOICE + "/status", MODIFY_INVOICES, invoices.mark_invoice),
    ("GET", STORE + "/webhooks", WEBHOOKS, webhooks.list_webhooks),
    ("POST", STORE + "/webhooks", WEBHOOKS, webhooks.create_webhook),
    ("GET", WEBHOOK, WEBHOOKS, webhooks.get_webhook),
    ("PUT", WEBHOOK, WEBHOOKS, webhooks.update_webhook),
    ("DELETE", WEBHOOK, WEBHOOKS, webhooks.delete_webhook),
    ("GET", WEBHOOK + "/deliveries", WEBHOOKS, webhooks.list_deliveries),
    ("GET", DELIVERY, WEBHOOKS, webhooks.get_delivery),
    ("GET", DELIVERY + "/request", WEBHOOKS, webhooks.delivery_request),
    ("POST", DELIVERY + "/redeliver", WEBHOOKS, webhooks.redeliver),
    ("POST", STORE + "/pull-payments", CREATE_PULL_PAYMENTS, pull_payments.create_pull_payment),
    ("GET", STORE + "/pull-payments", MANAGE_PULL_PAYMENTS, pull_payments.list_pull_payments),
    ("GET", STORE + "/pull-payments/{pull_payment_id}", MANAGE_PULL_PAYMENTS, pull_payments.store_pull_payment),
    ("GET", STORE + "/payouts", MANAGE_PULL_PAYMENTS, pull_payments.store_payouts),
    ("POST", INVOICE + "/refund", CREATE_PULL_PAYMENTS, pull_payments.refund_invoice),
    ("POST", "/invoices/{invoice_id}/refund", CREATE_PULL_PAYMENTS, pull_payments.refund_invoice_of_any_store),
)
PULL_PAYMENT = "/pull-payments/{pull_payment_id}"
PUBLIC_OPERATIONS = (  # no key, as in BTCPay: the pull payment id is the capability
    ("GET", PULL_PAYMENT, pull_payments.get_pull_payment),
    ("GET", PULL_PAYMENT + "/payouts", pull_payments.pull_payment_payouts),
    ("GET", PULL_PAYMENT + "/payouts/{payout_id}", pull_payments.pull_payment_payout),
)


async def checkout_redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"/i/{request.match_info['invoice_id']}")


def routes() -> list[Route]:
    """Every path twice: BTCPay (ASP.NET Core) ignores a trailing slash, and clients send one
    (btcpay-python-sdk requests `/stores/{id}/invoices/`)."""
    api: list[Route] = []
    for method, path, permission, handler in OPERATIONS:
        bound = bind(permission, handler)
        api += [Route(method, PREFIX + path, bound, public=False, name=f"greenfield.{handler.__name__}"),
                Route(method, PREFIX + path + "/", bound, public=False)]
    for method, path, public_handler in PUBLIC_OPERATIONS:
        open_handler = pull_payments.public(public_handler)
        api += [Route(method, PREFIX + path, open_handler, public=False, name=f"greenfield.{public_handler.__name__}"),
                Route(method, PREFIX + path + "/", open_handler, public=False)]
    checkout = "/greenfield/i/{invoice_id}"
    return [*api, Route("GET", checkout, checkout_redirect, public=True, name="greenfield.checkout"),
            Route("GET", checkout + "/", checkout_redirect, public=True)]


async def _no_store(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(PREFIX + "/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


def setup(app: web.Application) -> None:
    install_problems(app)
    if app[IS_PUBLIC]:
        return
    if API_LIMITS not in app:  # shared with /api/v1 when that feature is mounted (it sets it first)
        app[API_LIMITS] = ApiLimits()
    app.on_response_prepare.append(_no_store)
