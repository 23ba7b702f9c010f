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


_INDEX = "__index__"


class SecretStore:
    """Keyring entries for one network. An index entry lists the names, so backups can find them."""

    def __init__(self, network: str, *, app: str = "redwaves") -> None:
        self._service = f"{app}/{network}"

    def names(self) -> list[str]:
        import json

        import keyring

        raw = keyring.get_password(self._service, _INDEX)
        return sorted(json.loads(raw)) if raw else []

    def _set_index(self, names: set[str]) -> None:
        import json

        import keyring

        keyring.set_password(self._service, _INDEX, json.dumps(sorted(names)))

    def get(self, name: str) -> Secret | None:
        import keyring

        value = keyring.get_password(self._service, name)
        return Secret(value) if value is not None else None

    def set(self, name: str, value: str) -> None:
        import keyring

        keyring.set_password(self._service, name, value.reveal() if isinstance(value, Secret) else value)
        names = set(self.names())
        if name not in names:
            self._set_index(names | {name})
        logger.debug("secret %s stored in keyring", name)

    def delete(self, name: str) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(self._service, name)
        except PasswordDeleteError:
            logger.debug("secret %s was not in keyring", name)
        names = set(self.names())
        if name in names:
            self._set_index(names - {name})
