#!/bin/sh
# Build a Go command from the Go module proxy once (no release binaries can be
# downloaded here) and cache it outside the repository.
#   sh scripts/go-tool.sh NAME PACKAGE VERSION
# e.g. sh scripts/go-tool.sh crane github.com/google/go-containerregistry/cmd/crane v0.22.1
#   GO_TOOL_LDFLAGS  extra -ldflags (link-time -X stamps, as scripts/build-helm.sh passes)
#   GO_TOOL_TAG      appended to the cached name (NAME-VERSION-TAG) when the stamps change
#                    what the binary does, so two stampings never share a cache entry
# Prints the absolute path of the binary on stdout; everything else goes to stderr.
# Exits non-zero when it cannot be built, so callers fail instead of skipping.
#   SDB_CACHE_DIR  cache root (default $SDB_TLS_GUARD_CACHE, else ~/.cache/sdb-tls-guard)
set -eu
[ "$#" -eq 3 ] || { echo "usage: go-tool.sh NAME PACKAGE VERSION" >&2; exit 2; }
NAME="$1"; PKG="$2"; VERSION="$3"
CACHE="${SDB_CACHE_DIR:-${SDB_TLS_GUARD_CACHE:-$HOME/.cache/sdb-tls-guard}}"
BIN="$CACHE/bin"
OUT="$BIN/$NAME-$VERSION${GO_TOOL_TAG:+-$GO_TOOL_TAG}"
if [ -x "$OUT" ]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "go-tool: go is not installed; cannot build $NAME" >&2; exit 1; }
mkdir -p "$BIN"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "go-tool: building $NAME $VERSION from the Go module proxy (first time only)" >&2
# go install pkg@version builds in module mode outside any main module. scripts/test.sh
# builds these tools one after another before any test runs, so the build may use every core.
GOBIN="$TMP" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w ${GO_TOOL_LDFLAGS:-}" "$PKG@$VERSION" >&2
mv "$TMP/$NAME" "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
ln -sf "$(basename "$OUT")" "$BIN/$NAME"
echo "$OUT"
