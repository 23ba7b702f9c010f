"""The daemon's ``payto`` / ``paytomany``: Electrum's parameters, RedWaves' payout engine behind them.

Each output becomes a payout of the wallet's daemon store (label "Bitcart payto"), approved by the call
itself, and all of them are paid in one transaction by ``PayoutService.pay_hot``: the transaction is
recorded (raw + txid) before RedWaves broadcasts it, so a crash or a retry never pays it twice. The
answer is what Electrum answers, the signed transaction in hex; the ``broadcast`` the Bitcart SDK sends
next is answered with its txid without sending it again.

Refused with a clear error (nothing written): watch-only wallets (RedWaves cannot sign: use the REST
API's PSBT export), ``addtransaction=false`` (RedWaves never hands out a signed payment it does not
record and send: a client could pay twice), ``unsigned``, a fixed ``fee`` (give ``feerate``), ``'!'``
(send everything), and coin control (``from_addr``, ``from_coins``, ``change_addr``, ``locktime``).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from app.core.btc_address import validate_address
from app.core.errors import UserFacingError, ValidationError
from app.core.limits import bounded_decimal
from app.core.payouts import DUST_SAT, MAX_PAYOUTS_PER_CALL, FeeChoice, PayoutTx
from app.services.compat.bitcart.requests import NotSupported, parse_amount_sat
from app.services.compat.bitcart.wallets import DaemonWallet
from app.services.refunds.payouts import PayoutService
from app.services.wallets.wallets import WalletService

logger = logging.getLogger(__name__)

LABEL = "Bitcart payto"
ACTOR = "daemon"
MAX_FEERATE_SAT_VB = Decimal(10_000)
REMEMBERED = 100  # recent payto transactions the following ``broadcast`` is answered for


class WatchOnlyWallet(NotSupported):
    code = "watch_only_wallet"


def parse_feerate(feerate: object) -> FeeChoice:
    """Electrum's ``feerate`` (sat/vbyte, a number or a string); None: RedWaves' 1-hour estimate."""
    if feerate is None:
        return FeeChoice("hour")
    if isinstance(feerate, bool) or not isinstance(feerate, int | str | Decimal):
        raise ValidationError("feerate must be a number of sat/vbyte.", code="invalid_feerate", field="feerate")
    try:
        rate = bounded_decimal(str(feerate).strip(), "feerate")
    except (InvalidOperation, ArithmeticError):
        raise ValidationError("feerate must be a number of sat/vbyte.", code="invalid_feerate",
                              field="feerate") from None
    if not Decimal(1) <= rate <= MAX_FEERATE_SAT_VB:
        raise ValidationError(f"feerate must be 1 to {MAX_FEERATE_SAT_VB} sat/vbyte.", code="invalid_feerate",
                              field="feerate")
    return FeeChoice("custom", rate)


def parse_outputs(outputs: object, network: str) -> list[tuple[str, int]]:
    """``[[address, amount], ...]`` (or ``{"address", "amount"}`` objects), each checked before anything is written."""
    if not isinstance(outputs, list) or not 1 <= len(outputs) <= MAX_PAYOUTS_PER_CALL:
        raise ValidationError(f"outputs must be a list of 1 to {MAX_PAYOUTS_PER_CALL} [address, amount] pairs.",
                              code="invalid_outputs", field="outputs")
    parsed = []
    for item in outputs:
        if isinstance(item, dict):
            item = [item.get("address"), item.get("amount")]
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValidationError("Each output is an [address, amount] pair.", code="invalid_outputs", field="outputs")
        parsed.append(parse_output(item[0], item[1], network))
    return parsed


def parse_output(destination: object, amount: object, network: str) -> tuple[str, int]:
    if not isinstance(destination, str):
        raise ValidationError("destination must be a Bitcoin address.", code="invalid_address", field="destination")
    if isinstance(amount, str) and amount.strip() == "!":
        raise NotSupported("'!' (send the whole balance) is not supported: name the amount.")
    sat = parse_amount_sat(amount)
    if sat < DUST_SAT:
        raise ValidationError(f"amount must be at least {DUST_SAT} sat (smaller outputs are not relayed).",
                              code="invalid_amount", field="amount")
    return validate_address(destination, network), sat


def refuse_unsupported(*, fee: object, unsigned: object, addtransaction: object, coin_control: dict[str, object]) -> None:
    if fee is not None:
        raise NotSupported("A fixed fee is not supported: give feerate (sat/vbyte) or leave both out.")
    if unsigned:
        raise NotSupported("Unsigned transactions are not made here: use the REST API's POST /api/v1/payouts/psbt.")
    if not addtransaction:
        raise NotSupported("RedWaves records and broadcasts every payment it signs: call payto with "
                           "addtransaction=true (the Bitcart SDK's broadcast=True).")
    given = sorted(name for name, value in coin_control.items() if value not in (None, False, ""))
    if given:
        raise NotSupported(f"{', '.join(given)}: coin control is not supported; RedWaves chooses the coins.")


class DaemonPayouts:
    def __init__(self, payouts: PayoutService, wallets: WalletService, network: str) -> None:
        self._payouts = payouts
        self._wallets = wallets
        self.network = network
        self._sent: OrderedDict[str, str] = OrderedDict()  # raw hex -> txid, of recent payto answers

    async def check_hot(self, wallet: DaemonWallet) -> None:
        """WatchOnlyWallet unless RedWaves holds the wallet's seed."""
        record = await self._wallets.get(wallet.wallet_id)
        if record.kind != "seed":
            raise WatchOnlyWallet("This wallet is watch-only: RedWaves holds no key to sign with. Export the payment "
                                  "as a PSBT (POST /api/v1/payouts/psbt), sign it where the keys are, and import it.")

    async def pay(self, wallet: DaemonWallet, outputs: Sequence[tuple[str, int]], fee: FeeChoice) -> str:
        """Create, approve and pay one payout per output in one transaction; the signed hex."""
        await self.check_hot(wallet)
        ids = [(await self._payouts.create(wallet.store_id, wallet.wallet_id, address, sat, label=LABEL,
                                           actor=ACTOR)).id for address, sat in outputs]
        try:
            await self._payouts.approve(ids, actor=ACTOR)
            tx: PayoutTx = await self._payouts.pay_hot(ids, fee)
        except UserFacingError:
            await self._cancel_unsent(ids)
            raise
        if tx.raw_tx is None or tx.txid is None:
            raise RuntimeError(f"payout transaction {tx.id} has no signed transaction after pay_hot")
        self._sent[tx.raw_tx.lower()] = tx.txid
        while len(self._sent) > REMEMBERED:
            self._sent.popitem(last=False)
        logger.info("daemon payto: %d payout(s) paid in %s", len(ids), tx.id)
        return tx.raw_tx

    async def _cancel_unsent(self, ids: Sequence[str]) -> None:
        """A refused payment leaves nothing approved behind (nothing signed exists for these payouts)."""
        for payout_id in ids:
            try:
                await self._payouts.cancel(payout_id)
            except UserFacingError as exc:  # signed after all: the engine settles it (recover / confirmations)
                logger.warning("daemon payto: payout %s kept (%s)", payout_id, exc.code)

    def sent_txid(self, raw_tx_hex: str) -> str | None:
        """The txid of a transaction payto made and RedWaves already broadcast, else None."""
        return self._sent.get(raw_tx_hex.strip().lower())
