#!/bin/sh
# Build, once, the pristine Debian 12 (bookworm) root the package tests copy.
# Usage: debian-root.sh [DIR]   (default /var/cache/keepalive-ts/bookworm-root)
# minbase keeps it small (~200 MB) and, like a fresh server, it has no node.
# The finished root is moved into place atomically, so a crashed run never
# leaves a half-built cache behind.
set -eu
root=${1:-/var/cache/keepalive-ts/bookworm-root}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -x "$root/usr/bin/dpkg" ]; then
  echo "debian-root: $root already built"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debian-root: debootstrap missing (apt-get install debootstrap)" >&2; exit 2; }
mkdir -p "$(dirname "$root")"
tmp=$(mktemp -d "$root.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# procps: /bin/kill, which the unit's ExecReload uses (Depends: procps)
nice -n 10 debootstrap --variant=minbase --include=procps bookworm "$tmp" "$mirror"
# apt caches are not needed to install a local .deb
rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*_Packages
mv "$tmp" "$root"
trap - EXIT
echo "debian-root: built $root"
