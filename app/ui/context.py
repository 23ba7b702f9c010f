"""What every view gets: the services, the owned task runner, the bridge and a few helpers.

``services`` is the headless app's ``Services`` object, typed loosely on purpose: app.ui may not
import app.services (it pulls in SQLAlchemy; an import-linter contract forbids it, including
TYPE_CHECKING imports). The attributes the UI uses are listed in docs/gui.md.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from app.core.errors import UserFacingError
from app.ui.bridge import EventBridge
from app.ui.errors import show_error
from app.ui.tasks import TaskOwner
from app.ui.tray import TrayNotifier


@dataclass
class UiContext:
    services: Any
    settings: Any  # app.config.Settings
    tasks: TaskOwner
    bridge: EventBridge
    tray: TrayNotifier
    qsettings: QSettings
    urls: Callable[[], Mapping[str, str]] = dict
    open_pos: Callable[[str | None], None] = lambda _store_id: None
    parent: QWidget | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def run(self, coro: Coroutine[Any, Any, Any], on_done: Callable[[Any], None] | None = None, *,
            name: str = "ui", parent: QWidget | None = None,
            on_user_error: Callable[[UserFacingError], None] | None = None) -> Any:
        """Run ``coro`` as an owned task; UserFacingError -> show_error on ``parent`` (or the window)."""
        where = parent or self.parent
        return self.tasks.spawn(coro, name=name, on_done=on_done,
                                on_user_error=on_user_error or (lambda e: show_error(where, e)))

    def service(self, name: str) -> Any | None:
        """An optional service built by another part of the app (None if it does not exist yet)."""
        found = getattr(self.services, name, None)
        if found is None:
            found = getattr(self.services, "extras", {}).get(name)
        return found

    def checkout_url(self, invoice_id: str) -> str | None:
        urls = self.urls()
        base = urls.get("public") or urls.get("private")
        return f"{base.rstrip('/')}/i/{invoice_id}" if base else None

    @property
    def chain(self) -> Any | None:
        return getattr(self.services, "chain", None)
