"""`redwaves api-key create|list|revoke`: local key management (whoever can open the data dir).

Works whether or not RedWaves is running (SQLite WAL; writes wait for the running app's writer).
The full key is printed once and never stored: only its SHA-256 hash is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Protocol

from app.config import Settings
from app.core.errors import UserFacingError


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from app.chain.keys import set_network
    from app.db.engine import Database
    from app.services.container import build_services

    set_network(settings.network)
    db = Database(settings.db_path)
    await db.start()
    services = build_services(settings, db, None)
    try:
        if args.action == "create":
            new = await services.apikeys.create(args.name, args.scope or ["full"], store_ids=args.store or None)
            print(new.key.reveal())
            print(f"API key {new.api_key.id} ({', '.join(new.api_key.scopes)}) created; the key above is shown "
                  f"only now.", file=sys.stderr)
        elif args.action == "list":
            for key in await services.apikeys.list():
                state = "revoked" if key.revoked_at else "active"
                print(f"{key.id}  {state:7}  {','.join(key.scopes):30}  {key.name}")
        else:
            await services.apikeys.revoke(args.key_id)
            print(f"API key {args.key_id} revoked")
    finally:
        await services.writer.close()
        await db.stop()
    return 0


class AddCommonOptions(Protocol):
    def __call__(self, parser: argparse.ArgumentParser, *, suppress: bool) -> None: ...


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: AddCommonOptions) -> None:
    parser = sub.add_parser("api-key", help="create, list or revoke REST API keys")
    common(parser, suppress=True)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print it once")
    common(create, suppress=True)
    create.add_argument("--name", default="Local admin", help="a name to recognise the key by")
    create.add_argument("--scope", action="append", help="scope (repeatable; default: full)")
    create.add_argument("--store", action="append", help="restrict the key to this store id (repeatable)")
    common(actions.add_parser("list", help="list keys (never the secret part)"), suppress=True)
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    common(revoke, suppress=True)
    revoke.add_argument("key_id")


def run_apikey_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return asyncio.run(_run(args, settings))
    except UserFacingError as exc:
        print(f"redwaves: {exc}", file=sys.stderr)
        return 2
