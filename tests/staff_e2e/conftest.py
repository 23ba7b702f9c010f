"""The story's fixtures, borrowed: Debian's chromium (tests/checkout), a real SMTP peer (aiosmtpd,
tests/notifications) and a raw-TCP ESC/POS printer on 127.0.0.1 (tests/printing)."""

from __future__ import annotations

from tests.checkout.conftest import browser  # noqa: F401 - fixtures
from tests.notifications.conftest import certs, smtp  # noqa: F401
from tests.printing.conftest import tcp_printer  # noqa: F401
