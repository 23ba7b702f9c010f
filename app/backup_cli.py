"""`redwaves backup` and `redwaves restore`: thin command-line faces of app.services.admin.backup."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from app.config import Settings, default_config_path
from app.core.errors import UserFacingError
from app.secrets import SecretStore


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    passphrase_file: Path | None = args.passphrase_file
    if passphrase_file is not None:
        return passphrase_file.read_text().strip()
    if os.environ.get("REDWAVES_BACKUP_PASSPHRASE"):
        return os.environ["REDWAVES_BACKUP_PASSPHRASE"]
    if not sys.stdin.isatty():
        raise UserFacingError("No passphrase: use --passphrase-file or REDWAVES_BACKUP_PASSPHRASE.",
                              code="no_passphrase")
    first = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("Repeat it: ") != first:
        raise UserFacingError("The passphrases differ.", code="passphrase_mismatch")
    return first


def run_backup_command(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.admin.backup import BackupService, restore

    try:
        if args.command == "backup":
            service = BackupService(network=settings.network, network_dir=settings.network_dir,
                                    db_path=settings.db_path, electrum_dir=settings.electrum_dir,
                                    config_path=default_config_path(settings.data_dir),
                                    secrets=SecretStore(settings.network))
            info = service.create(args.out, _passphrase(args, confirm=True))
            print(f"Backup written: {info.path} ({info.invoices} invoices, {info.size_bytes} bytes, "
                  f"{info.network})")
        else:
            manifest = restore(args.file, _passphrase(args, confirm=False), data_dir=settings.data_dir)
            print(f"Restored the {manifest['network']} backup of {manifest['created_at']} "
                  f"({manifest['invoices']} invoices) into {settings.data_dir / manifest['network']}")
    except UserFacingError as exc:
        print(f"redwaves: {exc}", file=sys.stderr)
        return 2
    return 0
