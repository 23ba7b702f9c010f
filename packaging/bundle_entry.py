"""Entry point of the PyInstaller bundle (same as the `redwaves` console script)."""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
