"""What the refund page shows, in the shopper's language: amounts, expiry, state, field errors."""

from __future__ import annotations

from app.checkout_server.shopper.formats import btc_text, datetime_text, fiat_text
from app.checkout_server.shopper.i18n import Translator
from app.core.errors import UserFacingError
from app.core.refunds import PublicRefund, RefundStatus

ADDRESS_FIELD_CODES = frozenset({"invalid_address", "wrong_network", "own_address"})
ADDRESS_HINTS = {"mainnet": "bc1…, 1…, 3…", "testnet": "tb1…, m…, n…, 2…", "signet": "tb1…, m…, n…, 2…",
                 "regtest": "bcrt1…, m…, n…, 2…"}


def short_address(address: str) -> str:
    """bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh -> bc1qxy2k…fjhx0wlh (the ends a shopper compares)."""
    return address if len(address) <= 20 else f"{address[:8]}…{address[-8:]}"


def state_texts(refund: PublicRefund, tr: Translator) -> tuple[str, str]:
    _ = tr.gettext
    if refund.status == RefundStatus.REQUESTED:
        return _("Refund waiting for approval"), _("The shop has not approved this refund yet. Open this link "
                                                   "again later.")
    if refund.status == RefundStatus.OPEN:
        return _("Refund ready to claim"), _("Enter a Bitcoin address of your own wallet to receive this refund.")
    if refund.status == RefundStatus.CLAIMED and not refund.txid:
        return _("Refund claimed"), _("The refund will be sent to %(address)s.") % {
            "address": short_address(refund.destination or "")}
    if refund.status in (RefundStatus.CLAIMED, RefundStatus.PAID):  # its transaction is out (PAID: confirmed)
        return _("Refund sent"), _("The refund was sent to %(address)s.") % {
            "address": short_address(refund.destination or "")}
    if refund.status == RefundStatus.EXPIRED:
        return _("Refund link expired"), _("This link expired on %(date)s. Ask the shop for a new one.") % {
            "date": datetime_text(refund.expires_at, tr.locale)}
    return _("Refund cancelled"), _("The shop cancelled this refund. Contact the shop if you did not expect this.")


def address_error(exc: UserFacingError, tr: Translator, network: str) -> str:
    """The claim's refusal in the shopper's language (the domain's English text for anything else)."""
    _ = tr.gettext
    if exc.code == "wrong_network":
        return _("This address is for another Bitcoin network. This shop pays on %(network)s: "
                 "addresses start with %(prefixes)s") % {"network": network, "prefixes": ADDRESS_HINTS.get(network, "")}
    if exc.code == "own_address":
        return _("This address belongs to the shop. Enter an address of your own wallet.")
    if exc.code == "invalid_address":
        return _("This is not a valid Bitcoin address. Check it for typing mistakes and try again.")
    return str(exc)


def refund_context(refund: PublicRefund, tr: Translator) -> dict[str, object]:
    title, message = state_texts(refund, tr)
    fiat = fiat_text(refund.fiat_amount, refund.currency, tr.locale) if refund.fiat_amount is not None else None
    return {
        "refund": refund, "state": str(refund.status), "state_title": title, "state_message": message,
        "amount_text": btc_text(refund.amount_sat, tr.locale), "fiat_text": fiat,
        "expires_text": datetime_text(refund.expires_at, tr.locale),
        "destination_text": short_address(refund.destination) if refund.destination else None,
        "claimable": refund.status == RefundStatus.OPEN,
        "address_hint": ADDRESS_HINTS.get(refund.network, ""),
    }
