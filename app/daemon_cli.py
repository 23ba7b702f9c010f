"""`redwaves daemon credentials [--rotate]`: the Bitcart daemon's HTTP Basic login and password.

A headless merchant pastes them into a Bitcart client (``BTC(rpc_user=..., rpc_pass=...)``). They live
in the keyring (app/secrets.py; ``daemon_login`` / ``daemon_password``, one set per network) and are
generated on first use, as the running app does. ``--rotate`` replaces the password; a RedWaves that
is running keeps the old one until it restarts (the CLI says so).
"""

from __future__ import annotations

import argparse
import sys
from typing import Protocol

from app.config import Settings


class AddCommonOptions(Protocol):
    def __call__(self, parser: argparse.ArgumentParser, *, suppress: bool) -> None: ...


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: AddCommonOptions) -> None:
    parser = sub.add_parser("daemon", help="the Bitcart-compatible daemon's credentials")
    common(parser, suppress=True)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    credentials = actions.add_parser("credentials", help="print the daemon's login and password")
    common(credentials, suppress=True)
    credentials.add_argument("--rotate", action="store_true",
                             help="replace the password (clients using the old one get UnauthorizedError)")


def _running(settings: Settings) -> bool:
    from app.instance_lock import AlreadyRunning, InstanceLock

    lock = InstanceLock(settings.lock_path)
    try:
        lock.acquire()
    except AlreadyRunning:
        return True
    lock.release()
    return False


def run_daemon_command(args: argparse.Namespace, settings: Settings) -> int:
    from app.secrets import SecretStore, configure_keyring
    from app.services.compat.bitcart.service import daemon_credentials

    configure_keyring()  # the OS keyring, or the same 0600 file the app falls back to
    credentials = daemon_credentials(SecretStore(settings.network), regenerate=bool(args.rotate))
    print(f"login:    {credentials.login}")
    print(f"password: {credentials.password.reveal()}")
    where = f"127.0.0.1:{settings.daemon_port}" if settings.daemon_port else "127.0.0.1 (port printed by serve)"
    state = "on" if settings.daemon_enabled else "off (daemon_enabled = false)"
    print(f"daemon {state} at http://{where} ({settings.network})", file=sys.stderr)
    if args.rotate:
        if _running(settings):
            print("New password stored. RedWaves is running and keeps the old password until it restarts: "
                  "restart it, then update your Bitcart clients.", file=sys.stderr)
        else:
            print("New password stored; RedWaves uses it from its next start. Update your Bitcart clients.",
                  file=sys.stderr)
    return 0
