"""Typed application keys (aiohttp >= 3.9 AppKey) shared by handlers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

SERVICES: web.AppKey[Any] = web.AppKey("services", object)
IS_PUBLIC: web.AppKey[bool] = web.AppKey("is_public", bool)
