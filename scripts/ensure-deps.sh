#!/bin/sh
# Install the npm dependencies (exactly as locked) when they are missing or stale, then
# compile the TypeScript and bundle it (dist/bundle/sdb-tls-guard.mjs, what the image,
# `npm start` and the e2e tier run; scripts/bundle.mjs). Every entry point (npm start,
# npm test, npm run ...) calls this, so a fresh clone needs no set-up step.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
echo "ensure-deps: compiling TypeScript" >&2
./node_modules/.bin/tsc -p tsconfig.json
echo "ensure-deps: bundling (scripts/bundle.mjs)" >&2
node scripts/bundle.mjs
