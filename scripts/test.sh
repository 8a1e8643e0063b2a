#!/bin/sh
# `npm test`: every tier. Unit, server, CLI and controller tests through tap, then the
# end-to-end tier against a real kube-apiserver and etcd built from the Go module proxy.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
./node_modules/.bin/tap
