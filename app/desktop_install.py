"""`redwaves install-desktop`: the .desktop entry, icon and AppStream metadata for this user."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def install_desktop(home: Path | None = None) -> int:
    home = home or Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    targets = {
        RESOURCES / "redwaves.desktop": data / "applications" / "redwaves.desktop",
        RESOURCES / "redwaves.svg": data / "icons" / "hicolor" / "scalable" / "apps" / "redwaves.svg",
        RESOURCES / "org.redwaves.RedWaves.metainfo.xml": data / "metainfo" / "org.redwaves.RedWaves.metainfo.xml",
    }
    for source, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        print(f"installed {target}")
    return 0
