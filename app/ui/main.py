"""``run_gui(settings, pos_store=None) -> int``: the window's entry point (called by app.__main__).

Order matters (docs/gui.md, /work/shared/SETUP.md):
1. Electrum's loop thread starts first (``Runtime.start_chain_loop()``).
2. A qasync ``QEventLoop`` becomes the asyncio loop of the GUI thread. We set it with
   ``asyncio.set_event_loop`` and do NOT install qasync's event-loop policy, so a loop Electrum creates
   later in its own thread is still a plain asyncio loop.
3. The window shows at once (loading state); ``Runtime.start()`` runs as a coroutine on that loop.
4. Quit -> ``Runtime.stop()`` (bounded) -> exit code. AlreadyRunning -> dialog naming the PID, exit 3.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import TYPE_CHECKING, Any

import qasync  # app/ui/__init__.py has set QT_API=pyside6 before this import
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.collector import MainThreadCollector
from app.ui.controller import GuiController, RuntimeFactory
from app.ui.theme import apply_theme, follow_system

if TYPE_CHECKING:
    from app.config import Settings

logger = logging.getLogger(__name__)
SignalHandler = Callable[[int, FrameType | None], Any] | int | None  # what signal.getsignal returns


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("RedWaves")
    app.setOrganizationName("RedWaves")
    app.setQuitOnLastWindowClosed(False)  # the tray keeps the server running; Quit is explicit
    apply_theme(app)
    follow_system(app)
    return app


def _install_signal_handlers(controller: GuiController) -> tuple[QTimer, dict[signal.Signals, SignalHandler]]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_a: controller.request_quit())
    # Python runs signal handlers only when it gets control: wake it up regularly.
    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer, previous


def run_gui(settings: Settings, runtime_factory: RuntimeFactory, pos_store: str | None = None) -> int:
    """The composition root (app.__main__) passes ``app.runtime.Runtime`` as ``runtime_factory``."""
    make_application()
    controller = GuiController(settings, runtime_factory, pos_store=pos_store)
    return run_controller(controller)


def run_controller(controller: GuiController,
                   alongside: Callable[[GuiController], Coroutine[Any, Any, object]] | None = None) -> int:
    """Electrum's loop first, then the qasync loop runs the controller until Quit.

    ``alongside`` (tests, demos) runs as a second task on the same loop; it is awaited (or cancelled)
    before the loop closes.
    """
    app = QApplication.instance()
    controller.prepare()  # Electrum's loop thread, before the Qt loop takes over
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    wake, previous = _install_signal_handlers(controller)

    async def main() -> int:
        extra = asyncio.ensure_future(alongside(controller)) if alongside is not None else None
        try:
            return await controller.run()
        finally:
            if extra is not None:
                if not extra.done():
                    extra.cancel()
                await asyncio.wait([extra])
                controller.alongside_result = extra

    collector = MainThreadCollector()  # Qt objects must never be freed from Electrum's or a worker thread
    collector.start()
    try:
        with loop:
            code: int = loop.run_until_complete(main())
    finally:
        collector.stop()
        wake.stop()
        asyncio.set_event_loop(None)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("GUI exited with code %s", code)
    return code
