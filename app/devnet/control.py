"""What the app's front ends may do to the devnet: the checkout's "Pay with devnet" / "Mine a block".

`Devnet` (same loop) and `ThreadedDevnet` (its own thread) both satisfy it.
"""

from __future__ import annotations

from typing import Protocol


class DevnetControl(Protocol):
    async def pay(self, address: str, sat: int, rbf: bool = True, fee_rate: int | None = None) -> str: ...

    async def mine(self, n: int = 1, to_address: str | None = None) -> list[str]: ...
