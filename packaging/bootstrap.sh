#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: apt packages, the .venv, pinned Python packages.
# Usage: packaging/bootstrap.sh runtime|dev     (second run with nothing to do takes ~1 s)
set -euo pipefail
profile="${1:-runtime}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

runtime_apt=(python3-electrum python3-venv tor python3-pil python3-yaml python3-six python3-argcomplete
  libegl1 libgl1 libfontconfig1 libfreetype6 libxkbcommon0 libglib2.0-0 libdbus-1-3 libx11-6 libxcb1
  libgssapi-krb5-2 fonts-dejavu-core libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxcb-sync1 libxcb-shm0
  libxcb-render0 libxkbcommon-x11-0 libx11-xcb1)
dev_apt=(xvfb xauth chromium wrk python3-pyqt5 poppler-utils iproute2)  # PyQt5: the window must still pick PySide6 (tests/ui)

want=("${runtime_apt[@]}")
[ "$profile" = dev ] && want+=("${dev_apt[@]}")

missing=()
for pkg in "${want[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing apt packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv (Debian python3, --system-site-packages for Electrum)"
  /usr/bin/python3 -m venv --system-site-packages .venv
fi

reqs=(requirements/runtime.txt)
[ "$profile" = dev ] && reqs+=(requirements/dev.txt)
stamp_src="$(cat requirements/*.txt pyproject.toml | sha256sum | cut -c1-16)"
stamp=".venv/.redwaves-$profile-$stamp_src"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python packages (${reqs[*]})"
  args=()
  for r in "${reqs[@]}"; do args+=(-r "$r"); done
  .venv/bin/python -m pip install -q --disable-pip-version-check "${args[@]}"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  .venv/bin/python -c "import electrum, PySide6, aiohttp, sqlalchemy, escpos.printer; assert electrum.version.ELECTRUM_VERSION == '4.3.4', electrum.version.ELECTRUM_VERSION"
  rm -f .venv/.redwaves-"$profile"-*
  touch "$stamp"
fi

# dev: the current Bitcart SDK in a venv of its own (its aiohttp differs from the app's), for the
# compatibility test that runs it as a separate client process (requirements/sdk-current.txt).
if [ "$profile" = dev ]; then
  sdk_stamp=".venv-sdk-current/.redwaves-$(sha256sum requirements/sdk-current.txt | cut -c1-16)"
  if [ ! -f "$sdk_stamp" ]; then
    # bitcart 1.19 wants Python >= 3.12: a 3.12+ interpreter if the machine has one (pyenv's, or on
    # PATH), else this python3 with --ignore-requires-python (its code also parses as 3.11)
    sdk_python="" ignore=(--ignore-requires-python)
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 "$(command -v python3.13 || true)" \
                "$(command -v python3.12 || true)"; do
      if [ -x "$cand" ] && "$cand" -c 'import sys, venv; assert sys.version_info >= (3, 12)' 2>/dev/null; then
        sdk_python="$cand" ignore=(); break
      fi
    done
    echo "bootstrap: installing the current Bitcart SDK into .venv-sdk-current (${sdk_python:-python3})"
    rm -rf .venv-sdk-current
    "${sdk_python:-python3}" -m venv .venv-sdk-current
    .venv-sdk-current/bin/python -m pip install -q --disable-pip-version-check "${ignore[@]}" \
      -r requirements/sdk-current.txt
    .venv-sdk-current/bin/python -c "import bitcart"
    rm -f .venv-sdk-current/.redwaves-*
    touch "$sdk_stamp"
  fi
fi
