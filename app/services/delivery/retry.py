"""Retry with exponential backoff, shared by the durable senders (webhooks, notifications)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    base_delay_s: float = 15.0
    max_delay_s: float = 3600.0
    timeout_s: float = 10.0  # one attempt (HTTP request, SMTP session)
    poll_s: float = 30.0  # safety net: look for due work even without a wake-up
    concurrency: int = 4

    def delay_after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_delay_s, self.base_delay_s * 2 ** max(0, attempts - 1)))
