#!/bin/sh
# Builds the image twice from this tree into two scratch directories (no --if-stale) and
# compares the digests and the archives byte for byte: exit 0 when they are the same.
# Takes two full builds (1-4 min here). `npm run image:reproducible`.
set -eu
cd "$(dirname "$0")/.."
A="$(mktemp -d)"; B="$(mktemp -d)"
trap 'rm -rf "$A" "$B"' EXIT
SDB_IMAGE_OUT="$A" sh scripts/build-image.sh > /dev/null
SDB_IMAGE_OUT="$B" sh scripts/build-image.sh > /dev/null
echo "first:  $(cat "$A/sdb-tls-guard.digest")"
echo "second: $(cat "$B/sdb-tls-guard.digest")"
for f in sdb-tls-guard.tar sdb-tls-guard.digest sdb-tls-guard.cdx.json; do
  cmp -s "$A/$f" "$B/$f" || { echo "check-image-reproducible: $f differs between two builds of one tree" >&2; exit 1; }
done
echo "check-image-reproducible: same digest, same archive and SBOM bytes"
