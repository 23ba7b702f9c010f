"""/health's verdict: each component's state, since when, and its last error; `degraded` (HTTP 503)
when monitoring should page someone.

Components: ``db`` (a ping), ``storage`` (the writer's last disk-full / I/O fault, until a write
succeeds again), ``chain`` (connected and synced; only degraded after ``health_grace_s`` of being
otherwise, so a reconnect or a new block's sync is not an alarm), ``public_listener`` and ``tor``
(only when the merchant enabled them: down, or in error). ``since`` is when the component entered
its current state (ISO 8601 UTC); ``error`` its last error, kept after recovery.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from app.db.storage import StorageState


@dataclass
class _Seen:
    state: str
    since: float
    error: str | None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _error_text(value: object) -> str | None:
    if isinstance(value, Mapping):
        message = value.get("message")
        return str(message) if message else None
    return str(value) if value else None


class HealthTracker:
    """Remembers, per component, its state, since when, and its last error between /health calls."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}

    def observe(self, name: str, state: str, error: str | None, *, now: float | None = None) -> _Seen:
        now = time.time() if now is None else now
        seen = self._seen.get(name)
        if seen is None or seen.state != state:
            seen = _Seen(state=state, since=now, error=error or (seen.error if seen else None))
            self._seen[name] = seen
        elif error:
            seen.error = error
        return seen

    def assess(self, report: dict[str, object], storage: StorageState, *, grace_s: float,
               chain_expected: bool = True) -> dict[str, object]:
        """Add ``components`` (name -> state/ok/since/error) and set ``status`` and ``degraded`` in `report`."""
        now = time.time()
        components: dict[str, dict[str, object]] = {}

        def put(name: str, state: str, ok: bool, error: str | None, *, since: float | None = None) -> None:
            seen = self.observe(name, state, error, now=now)
            components[name] = {"state": state, "ok": ok, "since": _iso(since or seen.since), "error": seen.error}

        db = _part(report, "db")
        put("db", "ok" if db.get("ok") else "failing", bool(db.get("ok")), None if db.get("ok") else "ping failed")
        if storage.ok:
            put("storage", "ok", True, None)
        else:
            put("storage", "full", False, storage.error, since=storage.since)
        chain = _part(report, "chain")
        if chain_expected:
            self._chain(components, chain, now, grace_s)
        public = _part(report, "public_listener")
        if public.get("enabled"):
            problem = _error_text(public.get("error"))
            put("public_listener", "error" if problem else "up", problem is None, problem)
        tor = _part(report, "tor")
        if tor.get("enabled"):
            tor_state = str(tor.get("state"))
            put("tor", tor_state, tor_state not in ("error", "stopped"), _error_text(tor.get("error")))
        degraded = [name for name, part in components.items() if not part["ok"]]
        report["components"] = components
        report["degraded"] = degraded
        report["status"] = "degraded" if degraded else "ok"
        if degraded:
            first = components[degraded[0]]
            report["banner"] = f"degraded: {degraded[0]} {first['state']} since {first['since']}" + (
                f" ({first['error']})" if first["error"] else "")
        return report

    def _chain(self, components: dict[str, dict[str, object]], chain: Mapping[str, object], now: float,
               grace_s: float) -> None:
        state = "synced" if chain.get("synced") else "syncing" if chain.get("connected") else "offline"
        seen = self.observe("chain", state, _error_text(chain.get("error")), now=now)
        ok = state == "synced" or now - seen.since < grace_s  # a reconnect or a block's sync is no alarm
        components["chain"] = {"state": state, "ok": ok, "since": _iso(seen.since), "error": seen.error}


def _part(report: Mapping[str, object], name: str) -> Mapping[str, object]:
    part = report.get(name)
    return part if isinstance(part, Mapping) else {}
