"""The `redwaves` command line: parsing only; running lives in app.__main__ and the front ends."""

from __future__ import annotations

import argparse
from pathlib import Path

from app import __version__
from app.config import NETWORKS


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("common options")
    group.add_argument("--network", choices=NETWORKS, default=default,
                       help="Bitcoin network (default: mainnet). Each network keeps its own data.")
    group.add_argument("--data-dir", type=Path, default=default,
                       help="base data directory (default: the platform's user data dir)")
    group.add_argument("--config", type=Path, default=default,
                       help="TOML config file (default: <data-dir>/config.toml if it exists)")
    group.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default=default,
                       help="console log level (the log file always gets debug)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redwaves",
        description="RedWaves: accept bitcoin in your shop without trusting anyone. "
                    "Without a command, opens the desktop window.",
        epilog="Settings precedence: defaults < config file < REDWAVES_* environment < command line. "
               "See README.md.",
    )
    parser.add_argument("--version", action="version", version=f"redwaves {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop window (the default)")
    _common(gui, suppress=True)
    _devnet_flag(gui)

    serve = sub.add_parser("serve", help="run all services without a window and print the URLs served")
    _common(serve, suppress=True)
    _devnet_flag(serve)
    serve.add_argument("--port", type=int, dest="private_port", default=None,
                       help="private listener port (API, admin, health); 0 = any free port")
    serve.add_argument("--public", action="store_true", default=None, dest="public_enabled",
                       help="also serve shopper pages on the public (LAN) listener")
    serve.add_argument("--public-port", type=int, dest="public_port", default=None, help="public listener port")
    serve.add_argument("--electrum-server", dest="electrum_server", default=None,
                       help="Electrum server host:port:t (TCP) or host:port:s (TLS)")

    pos = sub.add_parser("pos", help="open the fullscreen point-of-sale kiosk for one store")
    _common(pos, suppress=True)
    _devnet_flag(pos)
    pos.add_argument("--store", required=True, help="store id")

    backup = sub.add_parser("backup", help="write an encrypted backup (works while RedWaves runs)")
    _common(backup, suppress=True)
    backup.add_argument("--out", type=Path, required=True, help="backup file to write")
    backup.add_argument("--passphrase-file", type=Path, default=None,
                        help="read the passphrase from this file (else $REDWAVES_BACKUP_PASSPHRASE, else a prompt)")

    restore = sub.add_parser("restore", help="restore an encrypted backup into an empty data directory")
    _common(restore, suppress=True)
    restore.add_argument("file", type=Path, help="backup file")
    restore.add_argument("--passphrase-file", type=Path, default=None, help="as for backup")

    desktop = sub.add_parser("install-desktop", help="install the .desktop entry, icons and AppStream metadata "
                                                     "for the current user")
    _common(desktop, suppress=True)

    from app.apikey_cli import add_parser as add_apikey_parser

    add_apikey_parser(sub, _common)

    from app.daemon_cli import add_parser as add_daemon_parser

    add_daemon_parser(sub, _common)

    from app.devnet.cli import add_parser as add_devnet_parser

    add_devnet_parser(sub)
    return parser


def _devnet_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devnet", action="store_true", default=None,
                        help="run an embedded local regtest chain (needs --network regtest): "
                             "an offline demo with 'Pay with devnet' and 'Mine a block' buttons")


SETTING_FLAGS = ("network", "data_dir", "log_level", "private_port", "public_enabled", "public_port",
                 "electrum_server", "devnet")


def cli_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Only the flags the user gave (None means not given)."""
    return {name: getattr(args, name) for name in SETTING_FLAGS if getattr(args, name, None) is not None}
