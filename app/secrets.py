"""Secrets (webhook secrets, SMTP passwords, onion keys, wallet passwords) live in the OS keyring.

Never in the database or logs. Entries are namespaced per network so test-net secrets never mix
with mainnet ones. `Secret` redacts itself in repr/str.

Where the keyring keeps them (``configure_keyring`` at start, ``secret_storage`` for the window and
``/health``): the OS secret service (GNOME Keyring / KWallet over D-Bus, macOS Keychain, Windows
Credential Locker) when one answers. On a headless Linux machine there is none, and keyring falls
back to keyrings.alt's file (``~/.local/share/python_keyring/keyring_pass.cfg``): readable by this
user account only (0600 in a 0700 directory, fixed at every start), but not encrypted. RedWaves
never uses it silently: the window (Settings → Network) and ``/health`` (``secrets.warning``) say
so. A backend chosen explicitly (``PYTHON_KEYRING_BACKEND`` or keyringrc.cfg) is kept as it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

OS_KEYRINGS = ("keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet",
               "keyring.backends.macOS", "keyring.backends.Windows")
ENCRYPTED_KEYRINGS = ("keyrings.alt.file.EncryptedKeyring",)
KEYRINGS_ALT_DIR = "python_keyring"  # keyrings.alt's directory under the user's data dir
FILE_WARNING = ("No OS keyring (secret service) is running, so secrets — wallet passwords, API, daemon and SMTP "
                "credentials — are kept unencrypted in {path}, readable only by your user account (0600). "
                "Anyone who can log in as you, or who copies this disk, can read them. Install and unlock a "
                "secret service (GNOME Keyring or KWallet) to keep them encrypted.")


@dataclass(frozen=True)
class SecretStorage:
    """Where the keyring keeps secrets: ``kind`` is "os", "encrypted" or "file" (unencrypted, 0600)."""

    backend: str
    kind: str
    path: Path | None = None

    @property
    def warning(self) -> str | None:
        return FILE_WARNING.format(path=self.path or "a file") if self.kind == "file" else None

    def report(self) -> dict[str, object]:
        """The ``/health`` section: no secret, only where they are and how protected."""
        report: dict[str, object] = {"store": self.kind, "backend": self.backend}
        if self.warning:
            report["warning"] = self.warning
        return report


def _name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _effective(backend: object) -> object:
    """A chainer writes to its first (highest-priority) backend: that is where secrets go."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend) and backend.backends:
        return backend.backends[0]
    return backend


def secret_storage() -> SecretStorage:
    import keyring

    backend = _effective(keyring.get_keyring())
    name = _name(backend)
    if name.startswith(OS_KEYRINGS):
        return SecretStorage(name, "os")
    from keyrings.alt.file_base import Keyring as FileKeyring  # type: ignore[import-untyped]

    path = Path(backend.file_path) if isinstance(backend, FileKeyring) else None
    kind = "encrypted" if name.startswith(ENCRYPTED_KEYRINGS) else "file"
    return SecretStorage(name, kind, path)


def configure_keyring() -> SecretStorage:
    """At start: the OS keyring when one answers, else keyrings.alt's 0600 file, said out loud."""
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    if isinstance(_effective(keyring.get_keyring()), NoKeyring):
        from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

        keyring.set_keyring(PlaintextKeyring())
    storage = secret_storage()
    if storage.path is not None:
        _protect_file(storage.path)
    if storage.warning:
        logger.warning("secrets: %s", storage.warning)
    else:
        logger.info("secrets are kept in %s (%s)", storage.backend, storage.kind)
    return storage


def _protect_file(path: Path) -> None:
    """The keyring file 0600 and keyrings.alt's own directory 0700 (it creates that one 0755)."""
    from app.file_modes import private_file

    private_file(path)
    if path.parent.name == KEYRINGS_ALT_DIR:
        path.parent.chmod(0o700)


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
