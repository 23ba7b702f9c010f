"""Guarded: a component whose start-up failure is reported instead of stopping the whole app.

For the exposure parts the merchant can misconfigure (public listener port in use, unreadable
certificate): the private listener, GUI and payment engine keep running and the GUI shows
``guarded.error`` (code + message) so the merchant can fix the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.core.errors import UserFacingError
from app.lifecycle import Component

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartError:
    code: str
    message: str


class Guarded:
    def __init__(self, name: str, build: Callable[[], Component], *,
                 errors: tuple[type[BaseException], ...] = (UserFacingError,)) -> None:
        self.name = name
        self._build = build
        self._errors = errors
        self.component: Component | None = None
        self.error: StartError | None = None

    async def start(self) -> None:
        try:
            component = self._build()
            await component.start()
        except self._errors as exc:
            code = exc.code if isinstance(exc, UserFacingError) else f"{self.name}_failed"
            self.error = StartError(code, str(exc))
            logger.error("%s not started (%s): %s", self.name, self.error.code, exc)
            return
        self.component, self.error = component, None

    async def stop(self) -> None:
        component, self.component = self.component, None
        if component is not None:
            await component.stop()
