"""A minimal newline-delimited JSON-RPC client for protocol-level tests."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

TIMEOUT_S = 5.0


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.notifications: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT_S)
        return cls(reader, writer)

    async def send_line(self, line: bytes) -> None:
        self.writer.write(line if line.endswith(b"\n") else line + b"\n")
        await self.writer.drain()

    async def read_message(self) -> Any:
        line = await asyncio.wait_for(self.reader.readline(), TIMEOUT_S)
        if not line:
            raise ConnectionError("server closed the connection")
        return json.loads(line)

    async def read_reply(self) -> Any:
        """Next message that is not a notification (notifications are kept)."""
        while True:
            message = await self.read_message()
            if isinstance(message, dict) and "method" in message and "id" not in message:
                self.notifications.append(message)
                continue
            return message

    async def call(self, method: str, *params: Any) -> dict[str, Any]:
        request_id = next(self._ids)
        await self.send_line(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                         "params": list(params)}).encode())
        reply = await self.read_reply()
        assert reply["id"] == request_id
        return reply

    async def result(self, method: str, *params: Any) -> Any:
        reply = await self.call(method, *params)
        assert "error" not in reply, reply
        return reply["result"]

    async def notification(self, method: str) -> dict[str, Any]:
        for index, message in enumerate(self.notifications):
            if message["method"] == method:
                return self.notifications.pop(index)
        while True:
            message = await self.read_message()
            if message.get("method") == method:
                return message
            self.notifications.append(message)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
