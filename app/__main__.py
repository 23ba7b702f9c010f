"""Composition root: settings -> logging -> loops -> services -> server -> window."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app import __version__
from app.cli import build_parser, cli_overrides
from app.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from app.runtime import Runtime

logger = logging.getLogger("app")

EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3
EXIT_NO_DISPLAY = 4


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "devnet":
        from app.devnet.cli import run as run_devnet

        return run_devnet(args)
    try:
        settings = load_settings(os.environ, cli_overrides(args), config_path=args.config)
    except ConfigError as exc:
        print(f"redwaves: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    import app.chain.preload  # noqa: F401  # Electrum resets the root logger on import: before ours
    from app.logs import configure_logging

    configure_logging(settings.log_dir, settings.log_level)
    if args.command == "serve":
        return asyncio.run(serve(settings))
    if args.command in ("backup", "restore"):
        from app.backup_cli import run_backup_command

        return run_backup_command(args, settings)
    if args.command == "api-key":
        from app.apikey_cli import run_apikey_command

        return run_apikey_command(args, settings)
    if args.command == "daemon":
        from app.daemon_cli import run_daemon_command

        return run_daemon_command(args, settings)
    if args.command == "install-desktop":
        from app.desktop_install import install_desktop

        return install_desktop()
    if not has_display():
        print("redwaves: no display found, so the window cannot open.\n"
              "Run headless instead:  redwaves serve   (or ./run on a machine without a display)\n"
              "which serves the checkout pages, the API and /health and prints their URLs.", file=sys.stderr)
        return EXIT_NO_DISPLAY
    from app.runtime import Runtime
    from app.ui.main import run_gui

    return run_gui(settings, pos_store=getattr(args, "store", None), runtime_factory=Runtime)


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "") in {"offscreen", "minimal", "vnc"}:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _say_chain_route(runtime: Runtime) -> bool:
    """Say which Electrum server(s) learn the addresses when the merchant chose none; False: no safe default."""
    problem, route = runtime.chain_route_problem, runtime.chain_route
    if problem is not None:
        print(f"redwaves: {problem}", file=sys.stderr)
        logger.error("not started: %s", problem)
        return False
    if route is not None and not route.chosen and not route.devnet:
        note = (f"Chain server not chosen (electrum_route): using {route.describe()}"
                + (", starting tor for it." if route.via_tor else ".")
                + " Set electrum_route (own, tor or direct) to choose; see docs/chain.md.")
        print(note, flush=True)
        logger.warning("%s", note)
    return True


async def serve(settings: Settings) -> int:
    from app.checkout_server.listeners import ListenerError
    from app.db.storage import StorageFull
    from app.file_modes import InsecureDataDir
    from app.instance_lock import AlreadyRunning
    from app.runtime import Runtime

    runtime = Runtime(settings)
    if not _say_chain_route(runtime):
        return EXIT_CONFIG
    try:
        await runtime.start()
    except AlreadyRunning as exc:
        print(f"redwaves: {exc}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    except (ListenerError, InsecureDataDir, StorageFull) as exc:
        print(f"redwaves: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        print(f"RedWaves {__version__} serving ({settings.network}); data in {settings.network_dir}", flush=True)
        for name, url in runtime.urls.items():
            print(f"  {name:8} {url}", flush=True)
        if runtime.chain_route is not None:
            print(f"  chain    {runtime.chain_route.describe()}", flush=True)
        if runtime.devnet is not None:
            print(f"  devnet   {runtime.devnet.server_string}", flush=True)
            print(f"  devnet control {runtime.devnet.control_url}  (redwaves devnet --control URL pay ADDRESS SAT)",
                  flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
        logger.info("stopping on signal")
    finally:
        await runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
