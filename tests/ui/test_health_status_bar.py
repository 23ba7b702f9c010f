"""The window's status bar says what /health says: the real runtime's chain server closed -> after
the (1 s) grace "degraded: chain offline since HH:MM" in the warning colour; back -> gone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.ui.health_status import health_text
from tests.ui.conftest import regtest_settings, run, running_gui, wait_until

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"


def test_health_text_names_the_first_degraded_component_in_local_time():
    report = {"status": "degraded", "degraded": ["chain", "storage"],
              "components": {"chain": {"state": "offline", "since": "2026-12-01T12:03:00Z"},
                             "storage": {"state": "full", "since": "2026-12-01T12:04:00Z"}}}
    text = health_text(report)
    assert text is not None and text.startswith("degraded: chain offline since ") and text.endswith("(+1 more)")
    assert health_text({"status": "ok", "degraded": [], "components": {}}) is None


@pytest.fixture
def gui_fast_health(qloop, tmp_path):
    yield from running_gui(qloop, regtest_settings(tmp_path / "data", health_grace_s=1))


def test_status_bar_shows_degraded_chain_and_clears_when_back(qloop, gui_fast_health):
    controller = gui_fast_health
    window, runtime = controller.window, controller.runtime
    label = window.health_label

    async def scenario() -> None:
        await wait_until(lambda: runtime.chain.state().synced, timeout_s=30, what="synced")
        report = await runtime.services.health()
        controller.show_health(report)
        assert label.isHidden()
        await runtime.devnet.stop_server()
        await wait_until(lambda: not runtime.chain.state().connected, timeout_s=15, what="offline")
        await wait_until(lambda: label.isVisible(), timeout_s=15, what="the degraded line (5 s poll)")

    window.show()
    run(qloop, scenario(), 60)
    assert label.text().startswith("degraded: chain offline since ")
    assert label.property("role") == "warning"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((800, 480), (1280, 800)):
        window.resize(width, height)
        qloop.run_until_complete(asyncio.sleep(0.2))
        window.grab().save(str(ARTIFACTS / f"status-degraded-{width}x{height}.png"))

    async def back() -> None:
        await runtime.devnet.start_server()
        await wait_until(lambda: runtime.chain.state().synced, timeout_s=30, what="synced again")
        await wait_until(lambda: label.isHidden(), timeout_s=15, what="the degraded line gone")

    run(qloop, back(), 60)
