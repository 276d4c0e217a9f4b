#!/bin/sh
# Build the daemon's small N-API addon against the installed Node headers
# (no node-gyp download). Output: dist/native/sock.node
set -eu
cd "$(dirname "$0")/.."
inc="${NODE_INCLUDE:-$(dirname "$(dirname "$(command -v node)")")/include/node}"
[ -f "$inc/node_api.h" ] || inc=/usr/include/node
if [ ! -f "$inc/node_api.h" ]; then
  echo "build-native: Node.js headers not found (node_api.h); install the nodejs headers (Debian: libnode-dev) or set NODE_INCLUDE" >&2
  exit 1
fi
mkdir -p dist/native
out=dist/native/sock.node
src=daemon/net/native/sock.c
if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
  ${CC:-cc} -O2 -Wall -Wextra -Werror -fPIC -shared -I"$inc" -o "$out" "$src"
fi
