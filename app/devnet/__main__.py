"""``python -m app.devnet``: the devnet CLI until it is wired into ``redwaves devnet``."""

import sys

from app.devnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
