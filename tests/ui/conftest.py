"""UI test set-up: a qasync loop for async code (pytest-qt has none), and a whole GUI on regtest.

- ``qloop``: a qasync QEventLoop set as the current loop; ``run(qloop, coro)`` drives a coroutine with
  a bounded wait. Tests stay synchronous functions (pytest-asyncio does not touch them).
- ``gui``: a GuiController with the real Runtime (SQLite, Electrum in-process, embedded devnet,
  listeners on ports chosen by the OS), started on ``qloop``; quit and stopped after the test.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication

T = TypeVar("T")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout_s))


async def wait_until(predicate: Callable[[], Any], *, timeout_s: float = 15.0, what: str = "condition") -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        result = predicate()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


_themed: list[QApplication] = []


@pytest.fixture(scope="session", autouse=True)
def _theme(qapp: QApplication) -> None:
    """Once per session, like the app (re-styling a QApplication full of dying widgets can crash).
    tests/kiosk/conftest.py imports this fixture too: with both folders in one run it is set up twice,
    so the second call must do nothing (it segfaulted in apply_theme before)."""
    from app.ui.theme import apply_theme

    if qapp in _themed:
        return
    _themed.append(qapp)
    apply_theme(qapp, dark=False)


@pytest.fixture(scope="session", autouse=True)
def _gui_thread_gc(qapp: QApplication) -> Iterator[None]:
    """As the app (app/ui/collector.py): cyclic garbage is collected on the GUI thread only, from a
    timer while a loop runs and after every test, never by Electrum's or a worker thread."""
    from app.ui.collector import MainThreadCollector

    collector = MainThreadCollector()
    collector.start()
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def _collect_after_test(_gui_thread_gc: None) -> Iterator[None]:
    yield
    gc.collect()


class _TestQEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync has no type hints
    """qasync's run_until_complete ends with one `processEvents()` AFTER run_forever has cleared the
    running loop: asyncio callbacks that run there step tasks with no running loop, so an
    asyncio.Event they first wait on binds to None and the task dies ('NoneType' object has no
    attribute 'create_future'). The app runs one loop for its whole life, so it never meets this;
    tests call run_until_complete many times, so the loop stays marked running in between."""

    def run_forever(self):  # type: ignore[no-untyped-def]
        try:
            return super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = _TestQEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
        loop.close()
        asyncio.events._set_running_loop(None)  # after the last run_until_complete (see _TestQEventLoop)
        asyncio.set_event_loop(None)


def regtest_settings(data_dir: Path, **extra: Any) -> Any:
    from app.config import load_settings

    return load_settings({}, {"data_dir": data_dir, "network": "regtest", "devnet": True, "private_port": 0,
                              "public_enabled": True, "public_port": 0, "public_host": "127.0.0.1", **extra})


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def gui(qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Any]:
    """A started GuiController (window, tray, runtime) on regtest with the embedded devnet."""
    yield from running_gui(qloop, regtest_settings(tmp_path / "data"))


def running_gui(qloop: asyncio.AbstractEventLoop, settings: Any) -> Iterator[Any]:
    """The body of the `gui` fixture for any settings: ``yield from running_gui(qloop, settings)``."""
    from app.runtime import Runtime
    from app.ui.controller import GuiController

    qloop_app = __import__("PySide6.QtWidgets", fromlist=["QApplication"]).QApplication.instance()
    qloop_app.setQuitOnLastWindowClosed(False)  # as run_gui: the tray may outlive the window
    controller = GuiController(settings, Runtime, crash_dialogs=False)
    controller.prepare()
    main = qloop.create_task(controller.run())
    try:
        run(qloop, _attached_or_failed(controller, main), 60)
        yield controller
    finally:
        controller.request_quit()
        qloop.run_until_complete(asyncio.wait_for(asyncio.shield(main), 20))
        assert not controller.reporter.crashes, controller.reporter.crashes[0]


async def _attached_or_failed(controller: Any, main: asyncio.Task[int]) -> None:
    await wait_until(lambda: main.done() or (controller._attached is not None and controller._attached.is_set()),
                     timeout_s=60, what="runtime started")
    if main.done():
        raise AssertionError(f"GUI stopped during start: exit code {main.result()}")


def screenshot(widget: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    widget.grab().save(str(path))
    return path


SHOT_SIZES = ((800, 480), (1280, 800))


def shots(widget: Any, name: str, settle: Callable[[], Any] | None = None) -> list[Path]:
    """Save ``widget`` resized to each of SHOT_SIZES as ARTIFACTS/<name>-<w>x<h>.png; ``settle`` runs after
    each resize (e.g. to let the loop lay it out)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for w, h in SHOT_SIZES:
        widget.resize(w, h)
        if settle is not None:
            settle()
        paths.append(ARTIFACTS / f"{name}-{w}x{h}.png")
        assert widget.grab().save(str(paths[-1]))
    return paths


def click(widget: Any, name: str) -> None:
    """Click the QPushButton named ``name`` inside ``widget``."""
    from PySide6.QtWidgets import QPushButton

    button = widget.findChild(QPushButton, name)
    assert button is not None, name
    button.click()


def settings_page(window: Any, title: str, page_class: type[T]) -> T:
    """The Settings tab ``title`` of a real main window, shown and reloaded."""
    settings = window.views["Settings"]
    page = settings.pages[title]
    assert isinstance(page, page_class)
    window.show_view("Settings")
    settings.tabs.setCurrentWidget(page)
    page.reload()  # type: ignore[attr-defined]
    return page


@pytest.fixture
def shop(qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Any]:
    """Real services on SQLite in a window context (tests/ui/shop_services.py)."""
    from tests.ui.shop_services import open_shop

    with open_shop(qloop, tmp_path) as opened:
        yield opened


__all__ = ["ARTIFACTS", "SHOT_SIZES", "click", "os", "regtest_settings", "run", "screenshot", "settings_page", "shots",
           "wait_until"]
