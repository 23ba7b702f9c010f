"""Real services over a real SQLite file for form tests (wizard, products, stores): the widgets talk to
the same StoreService/ProductImageStore/OnboardingService the app uses; only the chain is the small
in-memory ChainPort of tests/services and the exposure switch is tests/ui/fakes.FakeExposureControl.

`ui_context` is the part without the shop (any chain, or none; build_services options): settings-page
tests use it directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from app.chain.keys import set_network
from app.config import load_settings
from app.db.engine import Database
from app.db.models import ProductRow, StoreRow, WalletRow
from app.services.container import build_services
from app.ui.bridge import EventBridge
from app.ui.context import UiContext
from app.ui.icons import app_icon
from app.ui.tasks import TaskOwner
from app.ui.tray import TrayNotifier
from tests.services.conftest import FakeChain
from tests.ui.conftest import run, wait_until
from tests.ui.fakes import FakeExposureControl

T = TypeVar("T")
V = TypeVar("V")


@dataclass
class Shop:
    ctx: Any  # UiContext[Services]
    services: Any
    chain: FakeChain
    exposure: FakeExposureControl
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 15.0) -> T:
        return run(self.loop, coro, timeout_s)

    def count(self, row: type) -> int:
        async def go() -> int:
            async with self.services.writer.read() as session:
                return int(await session.scalar(select(func.count()).select_from(row)) or 0)

        return self.run(go())

    def counts(self) -> tuple[int, int]:
        return self.count(WalletRow), self.count(StoreRow)

    def products(self) -> int:
        return self.count(ProductRow)

    def images(self) -> list[Path]:
        folder = self.services.settings.network_dir / "images"
        return sorted(folder.iterdir()) if folder.exists() else []

    def open_view(self, view_class: Callable[[Any], V], qtbot: Any, ready: Callable[[V], Any], what: str) -> V:
        """``view_class(ctx)`` shown at 1280x800 and reloaded, once ``ready(view)`` holds."""
        view = view_class(self.ctx)
        qtbot.addWidget(view)
        view.resize(1280, 800)  # type: ignore[attr-defined]
        view.show()  # type: ignore[attr-defined]
        view.reload()  # type: ignore[attr-defined]
        self.run(wait_until(lambda: ready(view), what=what))
        return view


@contextmanager
def ui_context(qloop: asyncio.AbstractEventLoop, tmp_path: Path, chain: Any = None,
               **build_kw: Any) -> Iterator[Any]:
    """A UiContext over real services on tmp_path/data (regtest, rates loaded), its own TaskOwner and a
    QSettings file in tmp_path; tasks, writer and database stopped after."""
    set_network("regtest")
    settings = load_settings({}, {"data_dir": tmp_path / "data", "network": "regtest"})
    db = Database(settings.db_path)
    run(qloop, db.start())
    services = build_services(settings, db, chain, **build_kw)
    run(qloop, services.rates.load())
    tasks = TaskOwner("test")
    ctx = UiContext(services=services, settings=settings, tasks=tasks, bridge=EventBridge(services.events),
                    tray=TrayNotifier(app_icon()),
                    qsettings=QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    try:
        yield ctx
    finally:
        run(qloop, tasks.stop())
        run(qloop, services.writer.close())
        run(qloop, db.stop())


@contextmanager
def open_shop(qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[Shop]:
    """The ``shop`` fixture of tests/ui/conftest.py: ``with open_shop(qloop, tmp_path) as shop: yield shop``."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # closing the wizard (the only window) must not stop the loop
    chain = FakeChain()
    with ui_context(qloop, tmp_path, chain) as ctx:
        exposure = FakeExposureControl()
        ctx.services.exposure_control = exposure
        yield Shop(ctx, ctx.services, chain, exposure, qloop)
