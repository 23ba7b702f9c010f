"""The two ways the window reports trouble.

- ``show_error()``: a UserFacingError (bad input, not found, conflict...): its message is safe to
  show as is. One function, used by every view.
- ``CrashReporter``: anything else that escapes a slot (``sys.excepthook``) or a task (the loop's
  exception handler): logged with its traceback, then a crash dialog naming the log file.

Dialogs are opened with ``open()`` (window-modal, non-blocking): the loop keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.errors import UserFacingError

logger = logging.getLogger(__name__)


def show_error(parent: QWidget | None, error: UserFacingError | str, *, title: str = "RedWaves") -> QMessageBox:
    message = error.message if isinstance(error, UserFacingError) else str(error)
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if isinstance(error, UserFacingError):
        logger.info("shown to merchant: %s (%s)", error.message, error.code)
    box.open()
    return box


class CrashReporter:
    """Logs unexpected exceptions and shows a crash dialog; keeps a list for tests."""

    def __init__(self, log_dir: Path | None, parent: QWidget | None = None, *, dialogs: bool = True) -> None:
        self._log_dir = log_dir
        self.parent = parent
        self.dialogs = dialogs
        self.crashes: list[str] = []
        self._previous_hook: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        self._loop = loop
        loop.set_exception_handler(self._loop_handler)

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(None)
        self._loop = None

    def _excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if isinstance(exc, UserFacingError):  # a slot forgot to catch it: still show it nicely
            show_error(self.parent, exc)
            return
        self.report("".join(traceback.format_exception(exc_type, exc, tb)), exc)

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, UserFacingError):
            show_error(self.parent, exc)
            return
        if exc is None:
            logger.error("event loop: %s", context.get("message"))
            return
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.report(f"{context.get('message', '')}\n{text}", exc)

    def report(self, details: str, exc: BaseException | None = None) -> QMessageBox | None:
        logger.error("unexpected error:\n%s", details)
        self.crashes.append(details)
        if not self.dialogs:
            return None
        where = f"\n\nDetails were written to {self._log_dir / 'redwaves.log'}." if self._log_dir else ""
        box = QMessageBox(QMessageBox.Icon.Critical, "RedWaves: unexpected error",
                          "Something went wrong that RedWaves did not expect. The server keeps running; "
                          f"if this repeats, please send the log to the developers.{where}",
                          QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("crashDialog")
        box.setDetailedText(details)
        box.open()
        return box
