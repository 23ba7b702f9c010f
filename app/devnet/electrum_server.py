"""Newline-delimited JSON-RPC over TCP (asyncio streams): sessions, subscriptions, notifications."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging

from app.devnet.electrum_methods import ElectrumMethods
from app.devnet.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    RPCError,
    encode,
    error,
    notification,
    result,
    validate_request,
)
from app.devnet.ledger import Ledger

logger = logging.getLogger(__name__)

MAX_LINE_BYTES = 4_000_000
MAX_WRITE_BUFFER_BYTES = 16_000_000
MAX_BATCH = 1_000
_session_ids = itertools.count(1)


class Session:
    """One client connection and what it subscribed to."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.id = next(_session_ids)
        self.client_name = ""
        self.headers_subscribed = False
        self.statuses: dict[str, str | None] = {}  # subscribed scripthash -> last status sent
        self._writer = writer

    def subscribe(self, sh: str, status: str | None) -> None:
        self.statuses[sh] = status

    def unsubscribe(self, sh: str) -> bool:
        return self.statuses.pop(sh, 0) != 0

    def send(self, message: object) -> None:
        if self._writer.is_closing():
            return
        self._writer.write(encode(message))
        if self._writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER_BYTES:
            logger.warning("session %d: client is not reading, closing", self.id)
            self.close()

    def close(self) -> None:
        self._writer.close()


class ElectrumServer:
    """Serves the ledger over the Electrum protocol; ``notify`` pushes changes to subscribers."""

    def __init__(self, ledger: Ledger, methods: ElectrumMethods, host: str = "127.0.0.1", port: int = 0) -> None:
        self._ledger = ledger
        self._methods = methods
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._sessions: dict[Session, asyncio.Task[None]] = {}

    @property
    def is_serving(self) -> bool:
        return self._server is not None

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, self.host, self.port,
                                                  limit=MAX_LINE_BYTES, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("Electrum server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and drop every client (the port is kept for ``start``)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._sessions.values())
        for session in list(self._sessions):
            session.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
        logger.info("Electrum server on port %d stopped", self.port)

    def notify(self, touched: set[str], new_tip: bool) -> None:
        """Send header and scripthash status changes, each only to sessions that subscribed."""
        header = self._methods.tip_header() if new_tip else None
        statuses: dict[str, str | None] = {}
        for session in list(self._sessions):
            if header is not None and session.headers_subscribed:
                session.send(notification("blockchain.headers.subscribe", [header]))
            subscribed = session.statuses
            shs = touched & subscribed.keys() if len(touched) < len(subscribed) else \
                {sh for sh in subscribed if sh in touched}
            for sh in shs:
                if sh not in statuses:
                    statuses[sh] = self._ledger.status(sh)
                if statuses[sh] != subscribed[sh]:
                    subscribed[sh] = statuses[sh]
                    session.send(notification("blockchain.scripthash.subscribe", [sh, statuses[sh]]))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(writer)
        task = asyncio.current_task()
        assert task is not None
        self._sessions[session] = task
        logger.debug("session %d connected", session.id)
        try:
            await self._serve(session, reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._sessions.pop(session, None)
            session.close()
            logger.debug("session %d closed", session.id)

    async def _serve(self, session: Session, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                session.send(error(None, RPCError(INVALID_REQUEST, f"request exceeds {MAX_LINE_BYTES} bytes")))
                return
            if not line:
                return
            if not line.strip():
                continue
            response = self.handle_line(session, line)
            if response is not None:
                session.send(response)

    def handle_line(self, session: Session, line: bytes) -> object:
        try:
            message = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error(None, RPCError(PARSE_ERROR, "invalid JSON"))
        if isinstance(message, list):
            if not message or len(message) > MAX_BATCH:
                return error(None, RPCError(INVALID_REQUEST, "batch must hold 1 to 1000 requests"))
            replies = [r for r in (self._handle_one(session, m) for m in message) if r is not None]
            return replies or None
        return self._handle_one(session, message)

    def _handle_one(self, session: Session, message: object) -> dict[str, object] | None:
        try:
            request_id, method, params, is_notification = validate_request(message)
        except RPCError as exc:
            request_id = message.get("id") if isinstance(message, dict) else None
            return error(request_id if isinstance(request_id, str | int) else None, exc)
        try:
            value = self._methods.call(session, method, params)
        except RPCError as exc:
            return None if is_notification else error(request_id, exc)
        except Exception:  # noqa: BLE001 - one bad request must not take the server down
            logger.exception("session %d: %s failed", session.id, method)
            return None if is_notification else error(request_id, RPCError(INTERNAL_ERROR, "internal error"))
        return None if is_notification else result(request_id, value)
