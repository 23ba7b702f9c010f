"""Typed application keys (aiohttp >= 3.9 AppKey) shared by handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # the composition root builds Services; the server only reads it
    from app.services.container import Services

SERVICES: web.AppKey[Services] = web.AppKey("services")
IS_PUBLIC: web.AppKey[bool] = web.AppKey("is_public", bool)
