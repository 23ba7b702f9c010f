"""The status bar's health line: what /health says when it is degraded, in the merchant's words
("degraded: chain offline since 12:03", local time); nothing when all is well."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.chain.models import ChainState
    from app.core.chain_route import ResolvedRoute

HEALTH_POLL_S = 5.0  # how often the window asks Services.health()

_NAMES = {"db": "database", "storage": "storage", "chain": "chain", "public_listener": "public listener",
          "tor": "tor"}


def health_text(report: Mapping[str, object]) -> str | None:
    """One line for a degraded report (its first degraded component; "+N more" for the others)."""
    degraded = report.get("degraded")
    components = report.get("components")
    if report.get("status") != "degraded" or not isinstance(degraded, list) or not degraded \
            or not isinstance(components, Mapping):
        return None
    name = str(degraded[0])
    part = components.get(name)
    part = part if isinstance(part, Mapping) else {}
    text = f"degraded: {_NAMES.get(name, name)} {part.get('state', 'failing')}"
    since = part.get("since")
    if isinstance(since, str):
        try:
            text += " since " + datetime.fromisoformat(since.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
        except ValueError:
            pass
    if len(degraded) > 1:
        text += f" (+{len(degraded) - 1} more)"
    return text


def chain_detail(route: ResolvedRoute | None, state: ChainState) -> str:
    """The dashboard's chain line: the route first (who learns the addresses), then sync, tip, server, error:
    "Own server electrum.example:50002 · synced · tip 850,123" /
    "Public servers over Tor · syncing · tip 850,123 · electrum.example:50002:s"."""
    sync = "synced" if state.synced else "syncing" if state.connected else "offline"
    tip = f"tip {state.tip_height:,}" if state.tip_height is not None else "no headers yet"
    parts = [route.describe() if route is not None else state.server or "choosing a server", sync, tip]
    if route is not None and route.server is None:  # public servers: which one answers now
        parts.append(state.server or "choosing a server")
    if state.error:
        parts.append(state.error)
    return " · ".join(parts)
