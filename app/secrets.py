"""Secrets (webhook secrets, SMTP passwords, onion keys, wallet passwords) live in the OS keyring.

Never in the database or logs. Entries are namespaced per network so test-net secrets never mix
with mainnet ones. `Secret` redacts itself in repr/str.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class Secret(str):
    """A str whose repr/str in logs is redacted; use .reveal() to get the value."""

    def reveal(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:  # f-strings and %s show the redaction
        return "***"


class SecretStore:
    def __init__(self, network: str, *, app: str = "redwaves") -> None:
        self._service = f"{app}/{network}"

    def get(self, name: str) -> Secret | None:
        import keyring

        value = keyring.get_password(self._service, name)
        return Secret(value) if value is not None else None

    def set(self, name: str, value: str) -> None:
        import keyring

        keyring.set_password(self._service, name, value.reveal() if isinstance(value, Secret) else value)
        logger.debug("secret %s stored in keyring", name)

    def delete(self, name: str) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(self._service, name)
        except PasswordDeleteError:
            logger.debug("secret %s was not in keyring", name)
