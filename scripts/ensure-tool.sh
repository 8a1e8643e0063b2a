#!/bin/sh
# Put a test tool in the project's cache and print its absolute path on stdout (everything
# else goes to stderr). Exits non-zero, with the reason, when it cannot be had, so the
# tests that need it FAIL instead of skipping.
#   sh scripts/ensure-tool.sh promtool   Prometheus' promtool (rule checks and rule unit tests)
#   sh scripts/ensure-tool.sh lua5.1     the Lua 5.1 interpreter (the ArgoCD health check tests)
# Both come from Debian's packages (`prometheus`, `lua5.1`): the .deb is downloaded with
# apt-get and only the one binary is unpacked into the cache (no service is installed).
# promtool falls back to `go install` from the Go module proxy when apt cannot serve it.
#   SDB_CACHE_DIR  cache root (default $SDB_TLS_GUARD_CACHE, else ~/.cache/sdb-tls-guard)
set -eu
TOOL="${1:?usage: ensure-tool.sh promtool|lua5.1}"
CACHE="${SDB_CACHE_DIR:-${SDB_TLS_GUARD_CACHE:-$HOME/.cache/sdb-tls-guard}}"
BIN="$CACHE/bin"
case "$TOOL" in
  promtool) PKG=prometheus; MEMBER=usr/bin/promtool; CHECK="--version" ;;
  lua5.1) PKG=lua5.1; MEMBER=usr/bin/lua5.1; CHECK="-v" ;;
  *) echo "ensure-tool: unknown tool $TOOL" >&2; exit 2 ;;
esac
OUT="$BIN/$TOOL"
if [ -x "$OUT" ] && "$OUT" $CHECK >/dev/null 2>&1; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$BIN"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

from_deb() {
  command -v apt-get >/dev/null 2>&1 || { echo "ensure-tool: apt-get not found" >&2; return 1; }
  command -v dpkg-deb >/dev/null 2>&1 || { echo "ensure-tool: dpkg-deb not found" >&2; return 1; }
  # The package lists may be missing on a fresh machine: update them once and retry.
  if ! (cd "$TMP" && apt-get download "$PKG" >&2 2>"$TMP/apt.err"); then
    echo "ensure-tool: apt-get download $PKG failed ($(tail -1 "$TMP/apt.err")); running apt-get update" >&2
    apt-get update >&2 || return 1
    (cd "$TMP" && apt-get download "$PKG" >&2) || return 1
  fi
  dpkg-deb -x "$TMP"/"$PKG"_*.deb "$TMP/x" || return 1
  [ -x "$TMP/x/$MEMBER" ] || { echo "ensure-tool: $PKG has no $MEMBER" >&2; return 1; }
  cp "$TMP/x/$MEMBER" "$OUT.tmp.$$"
}

from_go() {
  command -v go >/dev/null 2>&1 || { echo "ensure-tool: go is not installed" >&2; return 1; }
  V="${PROMTOOL_VERSION:-v0.316.0}"
  echo "ensure-tool: building promtool $V with go install (takes minutes)" >&2
  GOBIN="$TMP/gobin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install "github.com/prometheus/prometheus/cmd/promtool@$V" >&2 || return 1
  cp "$TMP/gobin/promtool" "$OUT.tmp.$$"
}

echo "ensure-tool: fetching $TOOL (first time only)" >&2
if ! from_deb; then
  if [ "$TOOL" = promtool ] && from_go; then :; else
    echo "ensure-tool: $TOOL could not be had (reasons above)" >&2
    exit 1
  fi
fi
chmod +x "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
"$OUT" $CHECK >&2 2>&1 || { echo "ensure-tool: $OUT does not run" >&2; exit 1; }
echo "$OUT"
