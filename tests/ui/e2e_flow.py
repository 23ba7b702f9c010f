"""End-to-end under a real X server (Xvfb): `python -m tests.ui.e2e_flow ARTIFACTS DATA_DIR`.

Runs the GUI exactly as run_gui does (run_controller: Electrum's loop first, then qasync), drives the
merchant's first day (tests/ui/scenario.py), saves screenshots, quits through the controller and
prints one JSON line with what it saw. Exit code 0 only if everything held.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any


def _warnings_are_errors() -> None:
    warnings.filterwarnings("error")
    for module in ("electrum", "google.protobuf", "pkg_resources"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module + r"(\..*)?")


def main(argv: list[str]) -> int:
    _warnings_are_errors()
    artifacts, data_dir = Path(argv[0]), Path(argv[1])
    artifacts.mkdir(parents=True, exist_ok=True)
    from app.runtime import Runtime
    from app.ui.controller import GuiController
    from app.ui.main import make_application, run_controller
    from tests.ui.conftest import regtest_settings
    from tests.ui.scenario import run_first_day

    app = make_application()
    outcome: dict[str, Any] = {"platform": app.platformName()}

    async def drive(controller: GuiController) -> None:
        try:
            await controller.wait_attached(60)
            outcome.update(await run_first_day(controller, artifacts))
            outcome["ok"] = True
        except BaseException as exc:
            outcome["error"] = "".join(traceback.format_exception(exc))
            raise
        finally:
            outcome["crashes"] = controller.reporter.crashes
            controller.request_quit()

    controller = GuiController(regtest_settings(data_dir), Runtime, crash_dialogs=False)
    code = run_controller(controller, drive)
    outcome["exit_code"] = code
    print(json.dumps(outcome, default=str))
    return 0 if outcome.get("ok") and code == 0 and not outcome["crashes"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
