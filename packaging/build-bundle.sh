#!/usr/bin/env bash
# Build the one-folder bundle: bundle/redwaves/redwaves (run ./test or ./run once first for the venv).
# Usage: packaging/build-bundle.sh [DISTDIR]     (default: ./bundle)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="${1:-$root/bundle}"
cd "$root"
packaging/bootstrap.sh dev
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath "$dist" --workpath "$work" \
  packaging/redwaves.spec
echo "bundle: $dist/redwaves/redwaves"
