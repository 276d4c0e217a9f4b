#!/usr/bin/env bash
# Finds the Pulumi engine this project deploys with and prints its bin folder
# (to put first on PATH). Three programs make the engine:
#   pulumi                  the CLI, any v3 at or above PULUMI_MIN
#   pulumi-language-nodejs  the nodejs language host (ships with every CLI install)
#   pulumi-resource-command the command provider, version of @pulumi/command
# Looked up, in order: the engine cache ($PULUMI_ENGINE_DIR, default
# ~/.cache/keepalive-ts/pulumi-engine, one folder per SDK/provider version),
# then PATH. The provider may also come from Pulumi's plugin cache, or be
# installed by `pulumi plugin install` where its plugin source is reachable.
# Only when there is no CLI at all but the other two are present is the CLI
# built from the Go module proxy (into the engine cache).
# With --yaml it also finds the YAML language host (pulumi-language-yaml, for
# stacks/yaml): beside the CLI or on PATH, else built from the Go module proxy
# into the engine cache (github.com/pulumi/pulumi-yaml at PULUMI_YAML_VERSION).
# Exit 1 with one line on stderr saying what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
WANT_YAML=
[ "${1:-}" = --yaml ] && WANT_YAML=1
PULUMI_MIN=3.100.0
# the newest pulumi-yaml the proxy serves (2026-12); built with its own pulumi SDK (3.206)
PULUMI_YAML_VERSION=v1.25.0
SDK_VERSION=$(node -p "require('./node_modules/@pulumi/pulumi/package.json').version")
CMD_VERSION=$(node -p "require('./node_modules/@pulumi/command/package.json').version")
CACHE=${PULUMI_ENGINE_DIR:-$HOME/.cache/keepalive-ts/pulumi-engine}
DIR=$CACHE/v$SDK_VERSION-cmd$CMD_VERSION
log() { echo "pulumi-engine: $*" >&2; }
refuse() { log "$*"; exit 1; }

# into the plugin cache, so the engine uses it as a plugin (no "ambient plugin from PATH"
# warning on every run when PULUMI_IGNORE_AMBIENT_PLUGINS is set)
register_provider() {
  local home=${PULUMI_HOME:-$HOME/.pulumi} p
  [ -x "$home/plugins/resource-command-v$CMD_VERSION/pulumi-resource-command" ] && return 0
  p=$(command -v pulumi-resource-command || echo "$bin/pulumi-resource-command")
  "$1" plugin install resource command "$CMD_VERSION" --file "$p" >/dev/null 2>&1 ||
    log "could not add $p to the plugin cache (the engine will use it from PATH)"
}

# The YAML language host v1.25.0 as released loads package schemas with its own
# plugin host (SDK 3.206), which starts today's nodejs language host with a -root
# flag it no longer has ("flag provided but not defined: -root"). Its command
# line has a switch for loading them through the engine instead (the engine's
# own loader, which knows the project's packages): built with that switch on.
build_yaml_host() {
  command -v go >/dev/null || refuse "no pulumi-language-yaml beside the CLI or on PATH, and no Go toolchain to build it"
  local mod=github.com/pulumi/pulumi-yaml work=$DIR/src/yaml t0=$SECONDS dir
  log "building pulumi-language-yaml $PULUMI_YAML_VERSION from the Go module proxy (first time: a few minutes)"
  rm -rf "$work" && mkdir -p "$work" "$DIR/bin"
  (
    cd "$work"
    export GOFLAGS=-mod=mod GOTOOLCHAIN=local
    go mod init kts-engine-yaml >/dev/null 2>&1
    go get "$mod@$PULUMI_YAML_VERSION" >/dev/null 2>&1 ||
      refuse "the Go module proxy does not serve $mod@$PULUMI_YAML_VERSION"
    dir=$(go list -m -f '{{.Dir}}' "$mod")
    sed 's#NewLanguageHost(engineAddress, tracing, false /\* useRPCLoader \*/)#NewLanguageHost(engineAddress, tracing, true /* useRPCLoader */)#' \
      "$dir/cmd/pulumi-language-yaml/main.go" >main.go
    grep -q 'tracing, true /\* useRPCLoader' main.go ||
      refuse "$mod@$PULUMI_YAML_VERSION: cmd/pulumi-language-yaml/main.go has no useRPCLoader switch to turn on"
    go mod tidy >/dev/null 2>&1
    nice -n 15 go build -trimpath -ldflags "-s -w -X $mod/pkg/version.Version=$PULUMI_YAML_VERSION" \
      -o "$DIR/bin/pulumi-language-yaml" .
  ) || exit 1
  log "pulumi-language-yaml built in $((SECONDS - t0)) s"
}

# prints the engine's bin folder (with --yaml: once the YAML host is there too)
found() {
  if [ -n "$WANT_YAML" ] && [ ! -x "$bin/pulumi-language-yaml" ] && ! command -v pulumi-language-yaml >/dev/null; then
    [ "$bin" = "$DIR/bin" ] || bin=$DIR/bin # the cache folder holds what we build, put it first on PATH
    [ -x "$bin/pulumi-language-yaml" ] || build_yaml_host
  fi
  echo "$bin"
  exit 0
}

# "v3.248.0" or "3.248.0-dev" -> 0 when >= PULUMI_MIN and major 3
version_ok() {
  local v=${1#v}
  v=${v%%[-+]*}
  [ "${v%%.*}" = 3 ] || return 1
  [ "$(printf '%s\n%s\n' "$PULUMI_MIN" "$v" | sort -V | head -1)" = "$PULUMI_MIN" ]
}

# 1. the engine cache: a complete engine for exactly these SDK and provider versions
if [ -x "$DIR/bin/pulumi" ] && [ -x "$DIR/bin/pulumi-language-nodejs" ] && [ -x "$DIR/bin/pulumi-resource-command" ]; then
  bin=$DIR/bin
  register_provider "$DIR/bin/pulumi"
  found
fi

# 2. a Pulumi install on PATH (the language host sits next to the CLI)
cli=$(command -v pulumi || true)
langhost=$(command -v pulumi-language-nodejs || true)
if [ -n "$cli" ]; then
  v=$(PULUMI_SKIP_UPDATE_CHECK=true "$cli" version 2>/dev/null || echo unknown)
  version_ok "$v" || refuse "pulumi on PATH ($cli) is $v; this project needs Pulumi v3 >= $PULUMI_MIN"
  bin=$(dirname "$(readlink -f "$cli")")
  [ -x "$bin/pulumi-language-nodejs" ] || [ -n "$langhost" ] ||
    refuse "pulumi $v at $cli has no pulumi-language-nodejs beside it or on PATH (reinstall Pulumi)"
else
  [ -n "$langhost" ] ||
    refuse "no Pulumi CLI: install Pulumi v3 >= $PULUMI_MIN (CLI with its nodejs language host) so that pulumi is on PATH"
  bin=$DIR/bin
fi

# the command provider: PATH, the plugin cache, or installed from its plugin source
provider_found() {
  command -v pulumi-resource-command >/dev/null && return 0
  [ -x "$bin/pulumi-resource-command" ] && return 0
  local home=${PULUMI_HOME:-$HOME/.pulumi}
  [ -x "$home/plugins/resource-command-v$CMD_VERSION/pulumi-resource-command" ]
}
if ! provider_found; then
  if [ -n "$cli" ] && timeout 120 "$cli" plugin install resource command "$CMD_VERSION" >/dev/null 2>&1; then
    log "installed the command provider $CMD_VERSION into the plugin cache"
  else
    refuse "no command provider $CMD_VERSION: not on PATH, not in the plugin cache, and \`pulumi plugin install resource command $CMD_VERSION\` could not reach its source"
  fi
fi

if [ -n "$cli" ]; then
  register_provider "$cli"
  found
fi

# 3. no CLI but a language host and the provider: build the CLI from the Go module proxy
command -v go >/dev/null || refuse "no Pulumi CLI on PATH and no Go toolchain to build one: install Pulumi v3 >= $PULUMI_MIN"
mkdir -p "$DIR/src" "$DIR/bin"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
mod=github.com/pulumi/pulumi/pkg/v3
if ! out=$(cd "$DIR/src" && go mod download -json "$mod@v$SDK_VERSION" 2>&1) || printf '%s' "$out" | grep -q '"Error"'; then
  refuse "no Pulumi CLI on PATH, and the Go module proxy does not serve $mod@v$SDK_VERSION to build one"
fi
log "building the pulumi CLI v$SDK_VERSION from $mod (first time: several minutes)"
t0=$SECONDS
work=$DIR/src/pulumi
rm -rf "$work" && mkdir -p "$work" && cd "$work"
go mod init kts-engine-pulumi >/dev/null 2>&1
# the module's own replace directives (forks it pins) apply to the build too,
# except those pointing into its own repository (../sdk), which the proxy serves as modules
gomod=$(go mod download -json "$mod@v$SDK_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
awk '/^replace \(/{f=1;next} f&&/^\)/{f=0;next} f{print "replace " $0} /^replace [^(]/{print}' "$gomod" |
  grep -Ev '=>[[:space:]]*[./]' >>go.mod || true
go get "$mod@v$SDK_VERSION" >/dev/null
go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$SDK_VERSION" \
  -o "$DIR/bin/pulumi" "$mod/cmd/pulumi"
log "pulumi built in $((SECONDS - t0)) s"
ln -sf "$langhost" "$DIR/bin/pulumi-language-nodejs"
register_provider "$DIR/bin/pulumi"
found
