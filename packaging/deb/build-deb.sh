#!/usr/bin/env bash
# Build a plain Debian package: redwaves_<version>_amd64.deb (no dh-virtualenv).
# It installs the app into /opt/redwaves with the pinned wheels; postinst creates the venv there
# with Debian's python3 and --system-site-packages (for python3-electrum), offline.
# Usage: packaging/deb/build-deb.sh [OUTDIR]      (default: ./dist)
set -euo pipefail
umask 022  # package files are world-readable whatever the caller's umask (RedWaves itself runs with 077)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/dist}"
cd "$root"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
opt="$stage/opt/redwaves"
mkdir -p "$opt/app" "$opt/wheels" "$stage/usr/bin" "$stage/usr/share/applications" \
  "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/metainfo" "$stage/DEBIAN"
# the application, without caches
tar -C "$root" --exclude='__pycache__' --exclude='*.pyc' -cf - app resources requirements pyproject.toml README.md \
  | tar -C "$opt/app" -xf -
# pinned wheels, so installation needs no network
.venv/bin/python -m pip wheel -q --disable-pip-version-check \
  -w "$opt/wheels" -r requirements/runtime.txt
cat > "$stage/usr/bin/redwaves" <<'SH'
#!/bin/sh
PYTHONPATH=/opt/redwaves/app exec /opt/redwaves/venv/bin/python -m app "$@"
SH
chmod 755 "$stage/usr/bin/redwaves"
cp resources/redwaves.desktop "$stage/usr/share/applications/"
cp resources/redwaves.svg "$stage/usr/share/icons/hicolor/scalable/apps/"
cp resources/org.redwaves.RedWaves.metainfo.xml "$stage/usr/share/metainfo/"
installed_kb="$(du -sk "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CTRL
Package: redwaves
Version: $version
Architecture: amd64
Maintainer: RedWaves developers <dev@redwaves.invalid>
Installed-Size: $installed_kb
Depends: python3 (>= 3.11), python3-venv, python3-electrum (>= 4.3.4), tor, libegl1, libgl1, libfontconfig1,
 libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1,
 libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xkb1, libdbus-1-3, fonts-dejavu-core
Section: net
Priority: optional
Homepage: https://redwaves.invalid
Description: accept bitcoin in your shop without trusting anyone
 RedWaves watches your own wallet (watch-only, from its extended public key) with an
 in-process Electrum engine, creates invoices with fresh addresses and serves checkout pages
 on the LAN or over Tor. Includes a touchscreen point-of-sale kiosk and a REST API.
CTRL
cp packaging/deb/postinst packaging/deb/prerm "$stage/DEBIAN/"
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm"
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$stage" "$out/redwaves_${version}_amd64.deb" >/dev/null
echo "$out/redwaves_${version}_amd64.deb"
