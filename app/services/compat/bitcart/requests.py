"""Bitcart/Electrum payment requests, backed by RedWaves invoices.

Every ``add_request`` is a RedWaves invoice in the wallet's hidden daemon store: the same address
allocation (never reused), the same payment engine, the same outbox events. This module only
translates an invoice into Electrum's ``export_request`` dict and RedWaves statuses into Electrum's
request statuses (see docs/daemon.md for the table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from enum import IntEnum
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from app.core.errors import NotFound, UserFacingError, ValidationError
from app.core.lightning import LIGHTNING, offer_open, store_lightning
from app.core.limits import bounded_decimal, check_decimal
from app.core.money import MAX_SAT, format_btc
from app.core.records import Invoice
from app.core.statuses import InvoiceStatus
from app.db.models import InvoiceRow
from app.services.catalog.stores import StoreService
from app.services.compat.bitcart.wallets import DaemonWallet
from app.services.invoicing.invoices import InvoiceFilter, InvoiceService
from app.services.lightning.service import LightningService
from app.services.writer import Writer

MIN_EXPIRY_S = 60
MAX_EXPIRY_S = 7 * 86400  # RedWaves' longest invoice; Electrum's "never expires" (0/None) maps here
PAGE = 1000


class ElectrumRequestStatus(IntEnum):
    """Electrum's request status codes (electrum/invoices.py). Ints because they are the wire format."""

    UNPAID = 0
    EXPIRED = 1
    PAID = 3
    UNCONFIRMED = 7


STATUS_STR = {ElectrumRequestStatus.UNPAID: "Unpaid", ElectrumRequestStatus.EXPIRED: "Expired",
              ElectrumRequestStatus.PAID: "Paid", ElectrumRequestStatus.UNCONFIRMED: "Unconfirmed"}

_STATUS_MAP = {
    InvoiceStatus.PENDING: ElectrumRequestStatus.UNPAID,  # also partially paid: Electrum says Unpaid too
    InvoiceStatus.PAID: ElectrumRequestStatus.UNCONFIRMED,  # full amount seen, 0 confirmations
    InvoiceStatus.CONFIRMED: ElectrumRequestStatus.PAID,  # >= 1 confirmation is Electrum's "Paid"
    InvoiceStatus.COMPLETE: ElectrumRequestStatus.PAID,
    InvoiceStatus.REFUNDED: ElectrumRequestStatus.PAID,  # it was paid; Electrum has no refunds
    InvoiceStatus.EXPIRED: ElectrumRequestStatus.EXPIRED,
    InvoiceStatus.INVALID: ElectrumRequestStatus.EXPIRED,  # never confirmed / marked invalid: do not ship
}


class RequestNotFound(NotFound):
    code = "request_not_found"


class NotSupported(UserFacingError):
    code = "not_supported"
    http_status = 501


class LightningUnsupported(NotSupported):
    code = "lightning_unsupported"


class LightningInvoiceNotFound(NotFound):
    code = "invoice_not_found"


class NotEnoughInbound(UserFacingError):
    """The node cannot receive this much over its channels now (Bitcart's NotEnoughFundsError)."""

    code = "not_enough_inbound"
    http_status = 409


def electrum_status(invoice: Invoice) -> ElectrumRequestStatus:
    return _STATUS_MAP[invoice.status]


def format_sent(sat: int) -> str:
    """Bitcart's ``sent_amount``: always 8 decimal places."""
    return format_btc(sat)


def electrum_amount(sat: int) -> str:
    """Electrum's ``format_satoshis``: no trailing zeros ("0.001", "1.")."""
    text = format_btc(sat).rstrip("0")
    return text


def live_txids(invoice: Invoice) -> list[str]:
    return list(dict.fromkeys(p.txid for p in invoice.payments if p.accounted))


def confirmations(invoice: Invoice, tip_height: int | None) -> int:
    """The least-confirmed counted payment's confirmations (Electrum's request ``confirmations``)."""
    heights = [p.height for p in invoice.payments if p.accounted]
    if not heights:
        return 0
    if tip_height is None or min(heights) <= 0:
        return 0
    return max(0, tip_height - min(heights) + 1)


def request_uri(invoice: Invoice, expiry_s: int) -> str:
    params = [f"amount={electrum_amount(invoice.amount_due_sat)}"]
    if invoice.description:
        params.append(f"message={quote(invoice.description[:200], safe='')}")
    params += [f"time={int(invoice.created_at.timestamp())}", f"exp={expiry_s}"]
    return f"bitcoin:{invoice.address}?{'&'.join(params)}"


def export_request(invoice: Invoice, tip_height: int | None, now: datetime | None = None) -> dict[str, Any]:
    """Electrum's ``Abstract_Wallet.export_request`` keys: an on-chain request, plus ``rhash``,
    ``lightning_invoice``, ``amount_msat`` (and ``can_receive`` while unpaid) when it carries a BOLT11."""
    status = electrum_status(invoice)
    expiry_s = int((invoice.expires_at - invoice.created_at).total_seconds())
    out = {
        "is_lightning": invoice.bolt11 is not None,
        "request_id": invoice.id,
        "address": invoice.address,
        "amount_BTC": electrum_amount(invoice.amount_due_sat),
        "amount_sat": invoice.amount_due_sat,
        "message": invoice.description,
        "URI": request_uri(invoice, expiry_s),
        "status": int(status),
        "status_str": STATUS_STR[status],
        "expiry": expiry_s,
        "timestamp": int(invoice.created_at.timestamp()),
        "tx_hashes": live_txids(invoice),
        "confirmations": confirmations(invoice, tip_height),
    }
    if invoice.bolt11 is not None:
        out.update(rhash=invoice.payment_hash, lightning_invoice=invoice.bolt11, amount_msat=invoice.amount_due_sat * 1000)
        if status is ElectrumRequestStatus.UNPAID:
            out["can_receive"] = offer_open(invoice, now or datetime.now(UTC))
    return out


# Electrum's ``satoshis()`` (electrum/commands.py): ``int(COIN * Decimal(amount))`` at Python's default
# decimal context, i.e. rounded DOWN (toward zero) to whole satoshis. Bitcart hands Electrum the number as
# its JSON text (``Decimal(str(amount))``); our JSON parser already reads numbers as Decimal of their text.
_ELECTRUM_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_COIN = Decimal(100_000_000)


def electrum_satoshis(btc: Decimal) -> int:
    """What Electrum's ``add_request`` makes of ``btc``: ``int(COIN * btc)``, extra decimals dropped."""
    with localcontext(_ELECTRUM_CONTEXT):
        return int(_COIN * btc)


def parse_amount_sat(amount: object) -> int:
    """Bitcart sends BTC as a decimal string or a JSON number (parsed as Decimal, never float).

    Accepted as Electrum accepts it: any number of decimals, rounded down to whole satoshis
    (``0.00010002000000000001`` -> 10002 sat). Its size is bounded first (app/core/limits.py,
    LimitExceeded) so no arithmetic runs on an absurd number; NaN, infinity, zero, negative and more than
    21 million bitcoin are refused.
    """
    if isinstance(amount, bool) or amount is None:
        raise ValidationError("amount is required (RedWaves has no any-amount requests).", code="invalid_amount",
                              field="amount")
    invalid = ValidationError(f"amount must be a BTC amount such as 0.001, not {str(amount)[:40]!r}.",
                              code="invalid_amount", field="amount")
    try:
        if isinstance(amount, str):
            btc = bounded_decimal(amount, "amount")
        elif isinstance(amount, int | Decimal):
            btc = check_decimal(Decimal(amount), "amount")  # JSON ints are bounded by the parser already
        else:
            raise invalid
    except InvalidOperation:
        raise invalid from None
    if btc <= 0:
        raise ValidationError("amount must be more than zero.", code="invalid_amount", field="amount")
    sat = electrum_satoshis(btc)
    if sat <= 0:
        raise ValidationError("amount must be at least 1 satoshi (0.00000001 BTC); Electrum rounds amounts "
                              "down to whole satoshis.", code="invalid_amount", field="amount")
    if sat > MAX_SAT:
        raise ValidationError("amount exceeds 21 million bitcoin.", code="invalid_amount", field="amount")
    return sat


def parse_expiry_s(expiry: object) -> int:
    if expiry is None or expiry == 0:
        return MAX_EXPIRY_S
    if isinstance(expiry, bool):
        raise ValidationError("expiry must be a number of seconds.", code="invalid_expiry", field="expiry")
    try:  # bounded before int(): int(Decimal("1e999999")) takes seconds
        seconds = int(check_decimal(expiry, "expiry") if isinstance(expiry, Decimal)
                      else bounded_decimal(str(expiry), "expiry"))
    except (InvalidOperation, ValueError):
        raise ValidationError("expiry must be a number of seconds.", code="invalid_expiry", field="expiry") from None
    return min(MAX_EXPIRY_S, max(MIN_EXPIRY_S, seconds))


@dataclass(frozen=True)
class RequestFilter:
    pending: bool = False
    expired: bool = False
    paid: bool = False

    def accepts(self, status: ElectrumRequestStatus) -> bool:
        if self.pending and status not in (ElectrumRequestStatus.UNPAID, ElectrumRequestStatus.UNCONFIRMED):
            return False
        if self.expired and status is not ElectrumRequestStatus.EXPIRED:
            return False
        return not (self.paid and status is not ElectrumRequestStatus.PAID)


@dataclass(frozen=True)
class RequestLightning:
    """What Lightning requests need: the node, the daemon stores' opt-in, the payment-hash index."""

    service: LightningService
    stores: StoreService
    writer: Writer


class DaemonRequests:
    def __init__(self, invoices: InvoiceService, tip_height: Callable[[], int | None],
                 lightning: RequestLightning | None = None) -> None:
        self._invoices = invoices
        self._tip_height = tip_height  # () -> int | None
        self._lightning = lightning

    async def add(self, wallet: DaemonWallet, amount: object, memo: object = "", expiry: object = 3600, *,
                  lightning: bool = False) -> dict[str, Any]:
        """``lightning``: the request carries a BOLT11 from RedWaves' node (loaded wallet = the node's wallet;
        its daemon store takes Lightning from then on, as Electrum 4.3.4 adds one whenever the wallet has it)."""
        amount_sat = await self._prepare_lightning(wallet, amount) if lightning else parse_amount_sat(amount)
        invoice = await self._invoices.create(
            wallet.store_id, price=format_btc(amount_sat), currency="BTC",
            description=str(memo or ""), expiry_s=parse_expiry_s(expiry), metadata={"source": "daemon"})
        if lightning and invoice.bolt11 is None:
            raise NotEnoughInbound(f"The Lightning node could not issue an invoice for {amount_sat:,} sat now; "
                                   f"request {invoice.id} takes on-chain payments only.")
        return export_request(invoice, self._tip_height())

    async def _prepare_lightning(self, wallet: DaemonWallet, amount: object) -> int:
        """The amount in sat, once the node runs on this wallet, can receive it and the store takes Lightning."""
        if self._lightning is None:
            raise LightningUnsupported("Lightning not supported in this wallet type")
        status = await self._lightning.service.status()
        if not status.running or status.wallet_id != wallet.wallet_id:
            raise LightningUnsupported("Lightning not supported in this wallet type")
        amount_sat = parse_amount_sat(amount)
        if status.can_receive_sat < amount_sat:
            raise NotEnoughInbound(f"The Lightning node can receive {status.can_receive_sat:,} sat now, less than "
                                   f"{amount_sat:,} sat: open a channel with inbound liquidity first.",
                                   field="amount")
        stores = self._lightning.stores
        store = await stores.get(wallet.store_id)
        if not store_lightning(store).enabled:
            await stores.update(store.id, {"checkout": {**store.checkout, LIGHTNING: True}})
        return amount_sat

    async def find_lightning(self, wallet: DaemonWallet, payment_hash: object) -> Invoice:
        """Bitcart's ``get_invoice(rhash)``: the request whose BOLT11 has this payment hash."""
        text = str(payment_hash or "").strip().lower()
        invoice_id = None
        if self._lightning is not None and 0 < len(text) <= 64:
            async with self._lightning.writer.read() as session:
                invoice_id = await session.scalar(select(InvoiceRow.id).where(InvoiceRow.payment_hash == text))
        invoice = await self._invoices.get(invoice_id) if invoice_id is not None else None
        if invoice is None or invoice.store_id != wallet.store_id:
            raise LightningInvoiceNotFound("Invoice not found")
        return invoice

    async def find(self, wallet: DaemonWallet, key: object) -> Invoice:
        """By request id (the invoice id) or by address, within this wallet's daemon store."""
        text = str(key or "").strip()
        invoice = None
        if text:
            try:
                invoice = await self._invoices.get(text)
            except NotFound:
                page = await self._invoices.list(InvoiceFilter(store_id=wallet.store_id, text=text), limit=10)
                invoice = next((i for i in page.items if i.address == text), None)
                invoice = await self._invoices.get(invoice.id) if invoice else None
        if invoice is None and len(text) == 64:  # Electrum keys a Lightning request by its payment hash
            try:
                invoice = await self.find_lightning(wallet, text)
            except LightningInvoiceNotFound:
                invoice = None
        if invoice is None or invoice.store_id != wallet.store_id:
            raise RequestNotFound("Request not found")
        return invoice

    async def get(self, wallet: DaemonWallet, key: object) -> dict[str, Any]:
        invoice = await self.find(wallet, key)
        return self.export_with_sent(invoice)

    def export_with_sent(self, invoice: Invoice) -> dict[str, Any]:
        result = export_request(invoice, self._tip_height())
        result["sent_amount"] = format_sent(invoice.amount_paid_sat)
        return result

    async def list(self, wallet: DaemonWallet, flt: RequestFilter) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self._invoices.list(InvoiceFilter(store_id=wallet.store_id), offset=offset, limit=PAGE)
            for summary in page.items:
                invoice = await self._invoices.get(summary.id)  # with payments (tx_hashes)
                if flt.accepts(electrum_status(invoice)):
                    out.append(export_request(invoice, self._tip_height()))
            offset += PAGE
            if offset >= page.total:
                return out
