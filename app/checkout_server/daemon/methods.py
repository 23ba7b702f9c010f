"""The daemon's RPC methods: Bitcart/Electrum names and argument names, RedWaves services behind them.

Each method gets the client's positional and named arguments exactly as Electrum's command of the same
name would, plus ``wallet`` (the loaded DaemonWallet or None) injected by the dispatcher.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.checkout_server.daemon import spec
from app.checkout_server.daemon.jsonrpc import RpcError
from app.core.errors import UserFacingError
from app.services.compat.bitcart.lightning import DaemonLightning
from app.services.compat.bitcart.payouts import (
    parse_feerate,
    parse_output,
    parse_outputs,
    refuse_unsupported,
)
from app.services.compat.bitcart.raw_transactions import transaction_vsize
from app.services.compat.bitcart.requests import LightningUnsupported, NotSupported, RequestFilter
from app.services.compat.bitcart.service import DaemonService
from app.services.compat.bitcart.wallets import DaemonWallet, WalletNotLoaded

Handler = Callable[..., Awaitable[object]]  # JSON-RPC arguments as the client sent them
T = TypeVar("T")
MAX_TX_VBYTES = 1_000_000  # a block's worth: no fee question is bigger
PAY_ERRORS = {"invalid_address": spec.INVALID_ADDRESS, "wrong_network": spec.INVALID_ADDRESS,
              "insufficient_funds": spec.NOT_ENOUGH_FUNDS, "not_enough_funds": spec.NOT_ENOUGH_FUNDS}
# The node's refusals (app.chain.errors.LightningError / the service's ValidationError codes) -> Bitcart's codes.
LIGHTNING_ERRORS = {"lightning_off": spec.LIGHTNING_UNSUPPORTED, "lightning_needs_p2wpkh_hot": spec.LIGHTNING_UNSUPPORTED,
                    "invalid_node_uri": spec.INVALID_NODE_ID, "not_enough_funds": spec.NOT_ENOUGH_FUNDS,
                    "invalid_bolt11": spec.INVALID_LN_INVOICE, "not_enough_inbound": spec.NOT_ENOUGH_FUNDS,
                    "invalid_amount_sat": spec.INVALID_PARAMS, "invalid_push_sat": spec.INVALID_PARAMS}


def _wallet(wallet: DaemonWallet | None) -> DaemonWallet:
    if wallet is None:
        raise WalletNotLoaded("Wallet not loaded")
    return wallet


class DaemonMethods:
    ALIASES = {"getrequest": "get_request"}
    HOT_WALLET_ONLY = ("payto", "paytomany", "addtransaction")  # refused for watch-only wallets

    def __init__(self, daemon: DaemonService) -> None:
        self._d = daemon
        anywhere: tuple[Handler, ...] = (
            self.help, self.getinfo, self.validatekey, self.close_wallet, self.getaddresshistory,
            self.get_transaction, self.get_tx_status, self.get_tx_size, self.get_default_fee,
            self.recommended_fee, self.broadcast)
        with_wallet: tuple[Handler, ...] = (
            self.add_request, self.get_request, self.list_requests, self.get_updates, self.getbalance,
            self.onchain_history, self.payto, self.paytomany, self.addtransaction,
            self.add_invoice, self.get_invoice, self.nodeid, self.list_channels, self.open_channel,
            self.close_channel, self.lnpay)
        self.table: dict[str, Handler] = {handler.__name__: handler for handler in (*anywhere, *with_wallet)}
        for alias, target in self.ALIASES.items():
            self.table[alias] = self.table[target]
        self._needs_wallet = frozenset(handler.__name__ for handler in with_wallet)

    def requires_wallet(self, name: str) -> bool:
        return self.table[name].__name__ in self._needs_wallet

    async def call(self, name: str, wallet: DaemonWallet | None, args: list[object], kwargs: dict[str, object]) -> object:
        handler = self.table.get(name)
        if handler is None:
            raise RpcError(spec.PROCEDURE_NOT_FOUND, "Procedure not found")
        if "wallet" in kwargs:
            raise RpcError(spec.INVALID_PARAMS, "'wallet' is not an argument; name the wallet with 'xpub'")
        try:
            bound = inspect.signature(handler).bind(*args, **kwargs, wallet=wallet)
        except TypeError as exc:
            raise RpcError(spec.INVALID_PARAMS, f"Invalid parameters for {name}: {exc}") from None
        return await handler(*bound.args, **bound.kwargs)

    # -- general -------------------------------------------------------------------------------

    async def help(self, func: str | None = None, *, wallet: DaemonWallet | None) -> object:
        if func is None:
            return sorted(self.table)
        if not isinstance(func, str):
            raise RpcError(spec.INVALID_PARAMS, "func must be a method name (a string)")
        handler = self.table.get(func)
        if handler is None:
            raise RpcError(spec.PROCEDURE_NOT_FOUND, "Procedure not found")
        params = [p for p in inspect.signature(handler).parameters.values() if p.name != "wallet"]
        return f"{func}({', '.join(str(p).split(':')[0] for p in params)})"

    async def getinfo(self, *, wallet: DaemonWallet | None) -> dict[str, object]:
        return self._d.chain.info(len(self._d.wallets.loaded()))

    async def validatekey(self, key: object, *, wallet: DaemonWallet | None) -> bool:
        return await self._d.chain.validate_key(key)

    async def close_wallet(self, key: str | None = None, *, wallet: DaemonWallet | None) -> bool:
        name = wallet.key if wallet is not None else key
        return self._d.close_wallet(name) if isinstance(name, str) else False

    # -- requests ------------------------------------------------------------------------------

    async def add_request(self, amount: object = None, memo: object = "", expiry: object = 3600, force: bool = False,
                          lightning: bool = False, *, wallet: DaemonWallet | None) -> dict[str, object]:
        return await _lightning_errors(self._d.requests.add(_wallet(wallet), amount, memo, expiry,
                                                            lightning=bool(lightning)))

    async def get_request(self, key: object, *, wallet: DaemonWallet | None) -> dict[str, object]:
        return await self._d.requests.get(_wallet(wallet), key)

    async def list_requests(self, pending: bool = False, expired: bool = False, paid: bool = False, *,
                            wallet: DaemonWallet | None) -> list[dict[str, object]]:
        flt = RequestFilter(pending=bool(pending), expired=bool(expired), paid=bool(paid))
        return await self._d.requests.list(_wallet(wallet), flt)

    async def get_updates(self, *, wallet: DaemonWallet | None) -> list[dict[str, object]]:
        return self._d.events.take_updates(_wallet(wallet).key)

    # -- wallet and chain ----------------------------------------------------------------------

    async def getbalance(self, *, wallet: DaemonWallet | None) -> dict[str, str]:
        balance = await self._d.chain.balance(_wallet(wallet))
        if self._d.lightning is not None and (ln := await self._d.lightning.lightning_balance(_wallet(wallet))):
            balance["lightning"] = ln  # Electrum adds it for a wallet with Lightning, when non-zero
        return balance

    async def onchain_history(self, year: object = None, show_addresses: bool = False, show_fiat: bool = False,
                              from_height: object = None, to_height: object = None, *,
                              wallet: DaemonWallet | None) -> dict[str, object]:
        return await self._d.chain.history(_wallet(wallet))

    async def getaddresshistory(self, address: object, *, wallet: DaemonWallet | None) -> list[dict[str, object]]:
        return await self._d.chain.address_history(address)

    async def get_transaction(self, tx_hash: object, use_spv: bool = False, *,
                              wallet: DaemonWallet | None) -> dict[str, object]:
        return await self._d.chain.transaction(tx_hash)

    async def get_tx_status(self, txid: object, *, wallet: DaemonWallet | None) -> dict[str, int]:
        return await self._d.chain.tx_status(txid)

    async def get_tx_size(self, raw_tx: object, *, wallet: DaemonWallet | None) -> int:
        if not isinstance(raw_tx, str):
            raise RpcError(spec.INVALID_PARAMS, "raw_tx must be a hex string")
        return transaction_vsize(raw_tx)

    async def get_default_fee(self, tx: object, *, wallet: DaemonWallet | None) -> str:
        if isinstance(tx, bool) or not isinstance(tx, int | str):
            raise RpcError(spec.INVALID_PARAMS, "tx must be a size in vbytes or a raw transaction")
        size = transaction_vsize(tx) if isinstance(tx, str) else tx
        if not 0 < size <= MAX_TX_VBYTES:
            raise RpcError(spec.INVALID_PARAMS, f"size must be 1 to {MAX_TX_VBYTES} vbytes")
        return await self._d.chain.default_fee(size)

    async def recommended_fee(self, target: object, *, wallet: DaemonWallet | None) -> int | None:
        if isinstance(target, bool) or not isinstance(target, int) or target < 1:
            raise RpcError(spec.INVALID_PARAMS, "target must be a number of blocks (>= 1)")
        return await self._d.chain.fee_rate_sat_kvb(target)

    async def broadcast(self, tx: object, *, wallet: DaemonWallet | None) -> str:
        if not isinstance(tx, str):
            raise RpcError(spec.INVALID_PARAMS, "tx must be a raw transaction in hex")
        sent = self._d.payouts.sent_txid(tx) if self._d.payouts is not None else None
        if sent is not None:  # payto's own transaction: recorded and broadcast by RedWaves already
            return sent
        return await self._d.chain.broadcast(tx)

    # -- hot wallets: payouts through RedWaves' engine (app/services/compat/bitcart/payouts.py) ----------

    async def payto(self, destination: object, amount: object, fee: object = None, feerate: object = None,
                    from_addr: object = None, from_coins: object = None, change_addr: object = None,
                    nocheck: object = False, unsigned: object = False, rbf: object = None, password: object = None,
                    locktime: object = None, addtransaction: object = False, *,
                    wallet: DaemonWallet | None) -> str:
        options = {"fee": fee, "unsigned": unsigned, "addtransaction": addtransaction, "from_addr": from_addr,
                   "from_coins": from_coins, "change_addr": change_addr, "locktime": locktime}
        return await self._pay(wallet, lambda network: [parse_output(destination, amount, network)], feerate, options)

    async def paytomany(self, outputs: object, fee: object = None, feerate: object = None, from_addr: object = None,
                        from_coins: object = None, change_addr: object = None, nocheck: object = False,
                        unsigned: object = False, rbf: object = None, password: object = None,
                        locktime: object = None, addtransaction: object = False, *,
                        wallet: DaemonWallet | None) -> str:
        options = {"fee": fee, "unsigned": unsigned, "addtransaction": addtransaction, "from_addr": from_addr,
                   "from_coins": from_coins, "change_addr": change_addr, "locktime": locktime}
        return await self._pay(wallet, lambda network: parse_outputs(outputs, network), feerate, options)

    async def _pay(self, wallet: DaemonWallet | None, outputs: Callable[[str], list[tuple[str, int]]],
                   feerate: object, options: dict[str, object]) -> str:
        """Watch-only first (the clearest refusal), then what RedWaves does not do, then the outputs."""
        if self._d.payouts is None:
            raise NotSupported("Payments are not available on this daemon (no payout engine).")
        payouts, loaded = self._d.payouts, _wallet(wallet)
        await payouts.check_hot(loaded)
        fee, unsigned, addtransaction = options.pop("fee"), options.pop("unsigned"), options.pop("addtransaction")
        refuse_unsupported(fee=fee, unsigned=unsigned, addtransaction=addtransaction, coin_control=options)
        try:
            return await payouts.pay(loaded, outputs(payouts.network), parse_feerate(feerate))
        except UserFacingError as exc:
            code = PAY_ERRORS.get(exc.code)
            if code is None:
                raise
            raise RpcError(code, str(exc), {"code": exc.code, "field": exc.field}) from None

    async def addtransaction(self, *args: object, wallet: DaemonWallet | None, **kwargs: object) -> object:
        raise NotSupported("RedWaves daemon wallets are watch-only: addtransaction is not supported.")

    # -- Lightning (RedWaves' node; app/services/compat/bitcart/lightning.py) ----------------------------

    def _ln(self) -> DaemonLightning:
        if self._d.lightning is None:
            raise LightningUnsupported("Lightning not supported in this wallet type")
        return self._d.lightning

    async def add_invoice(self, amount: object = None, memo: object = "", expiry: object = 3600, *,
                          wallet: DaemonWallet | None) -> dict[str, object]:
        """A Lightning request (what the SDK's add_invoice asks of add_request with lightning=true)."""
        return await _lightning_errors(self._d.requests.add(_wallet(wallet), amount, memo, expiry, lightning=True))

    async def get_invoice(self, key: object, *, wallet: DaemonWallet | None) -> dict[str, object]:
        """Bitcart's get_invoice(rhash): the Lightning request with this payment hash."""
        return self._d.requests.export_with_sent(await self._d.requests.find_lightning(_wallet(wallet), key))

    async def nodeid(self, *, wallet: DaemonWallet | None) -> str:
        return await self._ln().nodeid(_wallet(wallet))

    async def list_channels(self, *, wallet: DaemonWallet | None) -> list[dict[str, object]]:
        return await self._ln().list_channels(_wallet(wallet))

    async def open_channel(self, connection_string: object, amount: object, push_amount: object = 0,
                           password: object = None, *, wallet: DaemonWallet | None) -> str:
        return await _lightning_errors(self._ln().open_channel(_wallet(wallet), connection_string, amount,
                                                               push_amount))

    async def close_channel(self, channel_point: object, force: bool = False, *,
                            wallet: DaemonWallet | None) -> str:
        return await _lightning_errors(self._ln().close_channel(_wallet(wallet), channel_point, force))

    async def lnpay(self, invoice: object, timeout: object = 120,  # noqa: ASYNC109 - Electrum's argument name
                    *, wallet: DaemonWallet | None) -> dict[str, object]:
        """``timeout`` is accepted and ignored: the node gives a payment 60 s."""
        return await _lightning_errors(self._ln().lnpay(_wallet(wallet), invoice))


async def _lightning_errors(call: Awaitable[T]) -> T:
    """The node's coded refusals as Bitcart's error codes (data keeps RedWaves' code and field)."""
    try:
        return await call
    except UserFacingError as exc:
        code = LIGHTNING_ERRORS.get(exc.code)
        if code is None:
            raise
        raise RpcError(code, str(exc), {"code": exc.code, "field": exc.field}) from None
