#!/usr/bin/env bash
# Build (once) the Pulumi engine this project needs, from Go modules through
# the Go module proxy: the pulumi CLI and the nodejs language host at the
# version of the pinned @pulumi/pulumi, and the command provider matching
# @pulumi/command. Idempotent; cached in $PULUMI_ENGINE_DIR (default
# ~/.cache/keepalive-ts/pulumi-engine, outside the work tree so CI's fresh
# clones on the same machine reuse it). Prints the bin folder on stdout.
# Uses an existing `pulumi` on PATH when its version matches.
set -euo pipefail
cd "$(dirname "$0")/.."
SDK_VERSION=$(node -p "require('./node_modules/@pulumi/pulumi/package.json').version")
CMD_VERSION=$(node -p "require('./node_modules/@pulumi/command/package.json').version")
DIR=${PULUMI_ENGINE_DIR:-$HOME/.cache/keepalive-ts/pulumi-engine}/v$SDK_VERSION-cmd$CMD_VERSION
BIN=$DIR/bin
log() { echo "pulumi-engine: $*" >&2; }

if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ] && [ -x "$BIN/pulumi-resource-command" ]; then
  echo "$BIN"; exit 0
fi
if command -v pulumi >/dev/null && [ "$(pulumi version 2>/dev/null)" = "v$SDK_VERSION" ] && command -v pulumi-resource-command >/dev/null; then
  dirname "$(command -v pulumi)"; exit 0
fi
command -v go >/dev/null || { log "neither a matching pulumi on PATH nor a Go toolchain to build one"; exit 1; }

mkdir -p "$DIR/src" "$BIN"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
# fail fast, before minutes of compiling, when the module proxy does not serve a module
for mv in "github.com/pulumi/pulumi/pkg/v3@v$SDK_VERSION" \
          "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v$SDK_VERSION" \
          "github.com/pulumi/pulumi-command/provider@v$CMD_VERSION"; do
  if ! out=$(cd "$DIR/src" && go mod download -json "$mv" 2>&1) || printf '%s' "$out" | grep -q '"Error"'; then
    log "cannot build the engine: the Go module proxy does not serve $mv:"
    printf '%s\n' "$out" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | sed 's/\\n/\n/g; s/\\t/  /g' >&2
    exit 1
  fi
done
build() { # module-path version package output
  local mod=$1 ver=$2 pkg=$3 out=$4 work="$DIR/src/$4"
  [ -x "$BIN/$out" ] && return 0
  log "building $out from $mod@$ver (first time: several minutes)"
  local t0=$SECONDS
  rm -rf "$work" && mkdir -p "$work" && cd "$work"
  go mod init "kts-engine-$out" >/dev/null 2>&1
  go mod download "$mod@$ver"
  # the module's own replace directives (pulumi pins forks this way) must be copied,
  # except those that point into its own repository (../sdk): the proxy has those as modules
  local gomod
  gomod=$(go mod download -json "$mod@$ver" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  awk '/^replace \(/{f=1;next} f&&/^\)/{f=0;next} f{print "replace " $0} /^replace [^(]/{print}' "$gomod" |
    grep -Ev '=>[[:space:]]*[./]' >> go.mod || true
  go get "$mod@$ver" >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$BIN/$out" "$pkg"
  cd - >/dev/null
  log "$out built in $((SECONDS - t0)) s"
}
build github.com/pulumi/pulumi/pkg/v3 "v$SDK_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi
build github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 "v$SDK_VERSION" github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 pulumi-language-nodejs
build github.com/pulumi/pulumi-command/provider "v$CMD_VERSION" github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command pulumi-resource-command
echo "$BIN"
