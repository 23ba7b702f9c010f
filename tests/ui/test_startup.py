"""run_gui's start and stop: loading state first, AlreadyRunning -> dialog naming the PID and exit 3."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.instance_lock import AlreadyRunning
from app.ui.controller import EXIT_ALREADY_RUNNING, GuiController
from tests.ui.fakes import FakeSettings

pytestmark = pytest.mark.gui


class LockedRuntime:
    """Another RedWaves holds the lock."""

    instances: list[LockedRuntime] = []

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.stopped = False
        self.chain_loop_started = False
        LockedRuntime.instances.append(self)

    def start_chain_loop(self) -> None:
        self.chain_loop_started = True

    async def start(self) -> None:
        await asyncio.sleep(0.05)
        raise AlreadyRunning(Path("/tmp/redwaves.lock"), 4242)

    async def stop(self) -> None:
        self.stopped = True


def test_already_running_shows_pid_and_exits_3(qapp, tmp_path):
    from app.ui.main import run_gui

    seen: dict[str, Any] = {}

    def close_dialog() -> None:
        boxes = [w for top in QApplication.topLevelWidgets() for w in top.findChildren(QMessageBox)
                 if w.isVisible() and w.objectName() == "startupError" and "4242" in w.text()]
        if not boxes:
            QTimer.singleShot(50, close_dialog)
            return
        seen["text"] = boxes[0].text()
        seen["loading"] = boxes[0].parentWidget().loading.message.text()  # this run's window, not an older one
        boxes[0].done(0)

    QTimer.singleShot(50, close_dialog)
    LockedRuntime.instances.clear()
    code = run_gui(FakeSettings(tmp_path), runtime_factory=LockedRuntime)
    assert code == EXIT_ALREADY_RUNNING == 3
    assert "PID 4242" in seen["text"] and "already running" in seen["loading"]
    runtime = LockedRuntime.instances[0]
    assert runtime.chain_loop_started and runtime.stopped


def test_window_shows_loading_state_before_runtime_started(qloop, tmp_path):
    started = asyncio.Event()

    class SlowRuntime(LockedRuntime):
        async def start(self) -> None:
            started.set()
            await asyncio.sleep(10)

    controller = GuiController(FakeSettings(tmp_path), SlowRuntime, crash_dialogs=False)
    task = qloop.create_task(controller.run())
    qloop.run_until_complete(asyncio.wait_for(started.wait(), 5))
    assert controller.window.isVisible()
    assert controller.window.stack.currentWidget() is controller.window.loading
    assert "Starting RedWaves on regtest" in controller.window.loading.message.text()
    task.cancel()
    qloop.run_until_complete(asyncio.wait([task], timeout=5))
