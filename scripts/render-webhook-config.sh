#!/bin/sh
# webhook-config/ is the single source of the webhook settings. The Helm chart can only
# read files inside its own directory, so it reads an exact copy kept in
# charts/sdb-tls-guard/files/webhook-config/ and overrides only install-specific fields
# (see the "sdb-tls-guard.webhookConfiguration" helper in templates/_helpers.tpl).
#   scripts/render-webhook-config.sh          refresh the chart's copy
#   scripts/render-webhook-config.sh --check  exit 1 (naming the file) when the copy drifted
# test/install/webhook-config.test.ts runs the check.
set -eu
cd "$(dirname "$0")/.."
SRC=webhook-config
DST=charts/sdb-tls-guard/files/webhook-config
FILES="validating.yaml mutating.yaml"
if [ "${1:-}" = "--check" ]; then
  status=0
  for f in $FILES; do
    if ! cmp -s "$SRC/$f" "$DST/$f"; then
      echo "render-webhook-config: $DST/$f differs from $SRC/$f; run scripts/render-webhook-config.sh" >&2
      status=1
    fi
  done
  exit $status
fi
mkdir -p "$DST"
for f in $FILES; do
  cp "$SRC/$f" "$DST/$f"
done
echo "render-webhook-config: copied $FILES to $DST" >&2
