"""Crash-safe persistence of the chain and mempool: one JSON file, written to a temp file then renamed."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

STATE_FILE = "devnet.json"
FORMAT_VERSION = 1


@dataclass
class Snapshot:
    blocks_hex: list[str] = field(default_factory=list)  # raw blocks from height 1
    mempool_hex: list[str] = field(default_factory=list)  # raw txs in acceptance order
    fee_rate_sat_vb: int = 2
    blocks_made: int = 0


class Storage:
    def __init__(self, datadir: Path) -> None:
        self.path = Path(datadir) / STATE_FILE

    def load(self) -> Snapshot | None:
        if not self.path.exists():
            return None
        data: dict[str, Any] = json.loads(self.path.read_text())
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"{self.path}: unknown devnet state format {data.get('format')!r}")
        return Snapshot(list(data["blocks"]), list(data["mempool"]), int(data["fee_rate_sat_vb"]),
                        int(data["blocks_made"]))

    def save(self, snapshot: Snapshot) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT_VERSION, "blocks": snapshot.blocks_hex, "mempool": snapshot.mempool_hex,
                "fee_rate_sat_vb": snapshot.fee_rate_sat_vb, "blocks_made": snapshot.blocks_made}
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
