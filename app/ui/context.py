"""What every view gets: the services, the owned task runner, the bridge and a few helpers.

``UiContext[S]`` is generic in the services it carries: the window's views take
``UiContext[UiServices]`` (``WindowContext``), the kiosk ``UiContext[KioskServices]``, the invoice
dialogs ``UiContext[InvoicingServices]`` (app/ui/ports.py). The composition root passes the real
``Services``; tests pass fakes that satisfy the same Protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from app.core.errors import UserFacingError
from app.core.staff import SYSTEM, Actor
from app.ui.bridge import EventBridge
from app.ui.errors import show_error
from app.ui.ports import UiServices, UiSettings
from app.ui.tasks import TaskOwner
from app.ui.tray import TrayNotifier

if TYPE_CHECKING:
    import asyncio

    from app.ui.kiosk.window import KioskWindow

S = TypeVar("S", covariant=True)
T = TypeVar("T")


def _no_pos(_store_id: str | None) -> None:
    return None


@dataclass
class UiContext(Generic[S]):
    services: S
    settings: UiSettings
    tasks: TaskOwner
    bridge: EventBridge
    tray: TrayNotifier
    qsettings: QSettings
    open_pos: Callable[[str | None], object] = _no_pos
    parent: QWidget | None = None
    kiosk: KioskWindow | None = None  # the open point of sale (one at a time)
    actor: Actor = SYSTEM  # who unlocked the window (app/ui/lock_screen.py); passed as actor= to guarded calls

    def caller(self, label: str = "window") -> Actor | str:
        """For services that keep a label (refunds, payouts): the unlocked person, else ``label`` as before."""
        return self.actor if self.actor.person_id is not None else label

    def run(self, coro: Coroutine[Any, Any, T], on_done: Callable[[T], object] | None = None, *,
            name: str = "ui", parent: QWidget | None = None,
            on_user_error: Callable[[UserFacingError], object] | None = None) -> asyncio.Task[T] | None:
        """Run ``coro`` as an owned task; UserFacingError -> show_error on ``parent`` (or the window)."""
        where = parent or self.parent

        def shown(error: UserFacingError) -> None:
            show_error(where, error)

        return self.tasks.spawn(coro, name=name, on_done=on_done, on_user_error=on_user_error or shown)


WindowContext = UiContext[UiServices]
