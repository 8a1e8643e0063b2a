#!/bin/sh
# `npm start`: run the service on its built-in default (self-signed HTTPS on :8443,
# no cluster needed). Extra arguments go to `sdb-tls-guard serve`. It runs the bundle the
# container image runs (dist/bundle/sdb-tls-guard.mjs, made by ensure-deps).
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
if [ "$#" -eq 0 ]; then set -- --self-signed; fi
exec node dist/bundle/sdb-tls-guard.mjs serve "$@"
