"""The one place RedWaves registers Electrum callbacks.

An exception raised inside an Electrum callback propagates into whatever Electrum task
triggered it (once it stopped Electrum from ever connecting), so every callback goes through
:meth:`CallbackHub.register`, which catches and logs everything.

Electrum 4.3.4 events used (name -> args), from ``util.trigger_callback`` call sites:
``adb_added_tx`` (adb, txid), ``adb_added_verified_tx`` (adb, txid),
``adb_removed_verified_tx`` (adb, txid), ``adb_set_up_to_date`` (adb),
``blockchain_updated`` (), ``network_updated`` (), ``status`` ().
Callbacks run on Electrum's loop thread (``trigger_callback`` runs a sync callback inline when
called on that thread, else schedules it there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from electrum import util

logger = logging.getLogger(__name__)


class CallbackHub:
    def __init__(self) -> None:
        self._registered: list[Callable[..., None]] = []
        self.failures = 0
        self.last_failure: str | None = None

    def register(self, event: str, fn: Callable[..., object]) -> None:
        def guarded(*args: object) -> None:
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - must never reach Electrum's task
                self.failures += 1
                self.last_failure = f"{event}: {type(exc).__name__}"
                logger.exception("RedWaves handler for Electrum event %r failed", event)

        guarded.__name__ = f"redwaves_{event}"
        util.register_callback(guarded, [event])
        self._registered.append(guarded)

    def unregister_all(self) -> None:
        for guarded in self._registered:
            util.unregister_callback(guarded)
        self._registered.clear()

    def wrap(self, name: str, fn: Callable[..., object]) -> Callable[..., None]:
        """Guard a hook we install into an Electrum object ourselves (same rules)."""

        def guarded(*args: object) -> None:
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - must never reach Electrum's task
                self.failures += 1
                self.last_failure = f"{name}: {type(exc).__name__}"
                logger.exception("RedWaves hook %r failed", name)

        return guarded
