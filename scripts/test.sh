#!/bin/sh
# `npm test`: the linter (npm run lint), then every tier. Unit, server, CLI, controller, property, fault, chart and image
# (the container image under podman, test/image) tests through tap, then the end-to-end tier against a real kube-apiserver and etcd built from
# the Go module proxy (docs/e2e.md). `sh scripts/test.sh --e2e` (npm run test:e2e) runs
# the e2e tier alone; extra arguments after --e2e name e2e test files.
# Both tiers always run, lint failing or not; the exit status is non-zero when any failed,
# and the last line is the plain total "N passed, N failed" (the lint step counts as one).
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
status=0

# ---- lint: eslint with typescript-eslint's strict type-checked rules (eslint.config.js) ----
# Each step writes its exit status to a file (`|| rc=$?`: under set -e a bare failing
# command would end the group before the status is written).
if [ "${1:-}" != "--e2e" ]; then
  echo "test: lint (npm run lint)" >&2
  { rc=0; npm run --silent lint 2>&1 || rc=$?; echo "$rc" > "$logs/lint.rc"; } | tee "$logs/lint.log"
  if [ "$(cat "$logs/lint.rc")" = 0 ]; then echo "test: lint passed" >&2; else echo "test: lint FAILED (findings above)" >&2; status=1; fi
fi
# The chart tests (test/install, test/e2e/install.test.ts) run helm. Build it once up front
# (cached under ~/.cache/sdb-tls-guard/bin) so no test file spends its timeout on a cold
# go build. When it cannot be built those tests FAIL with the reason; nothing is skipped.
sh scripts/build-helm.sh >/dev/null || echo "test: helm could not be built (reason above); the chart tests will fail" >&2
# The image tier (test/image) runs the image under podman: install podman from Debian,
# build the image archive (npm run image, dist/image/) and actionlint once up front, for
# the same reason. When any cannot be had, those tests FAIL with the reason; nothing is
# skipped.
sh scripts/ensure-podman.sh >/dev/null || echo "test: podman could not be installed (reason above); the image tier will fail" >&2
sh scripts/build-image.sh --if-stale >/dev/null || echo "test: the image could not be built (reason above); the image tier will fail" >&2
sh scripts/actionlint.sh -version >/dev/null || echo "test: actionlint could not be built (reason above); the workflow test will fail" >&2
# The alert tests run promtool, the ArgoCD health check tests Lua 5.1: fetched once into the
# same cache (scripts/ensure-tool.sh, Debian's packages). Missing, those tests FAIL.
for tool in promtool lua5.1; do
  sh scripts/ensure-tool.sh "$tool" >/dev/null || echo "test: $tool could not be had (reason above); the tests that need it will fail" >&2
done

if [ "${1:-}" = "--e2e" ]; then
  shift
else
  echo "test: unit, server, CLI, controller, property, fault, chart and image tiers (tap)" >&2
  { rc=0; ./node_modules/.bin/tap 2>&1 || rc=$?; echo "$rc" > "$logs/unit.rc"; } | tee "$logs/unit.log"
  [ "$(cat "$logs/unit.rc")" = 0 ] || status=1
fi

# ---- e2e tier: never skipped. If a part cannot be built, the run fails. ----
echo "test: e2e tier: building or reusing kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok and cert-manager (scripts/build-control-plane.sh)" >&2
if ! ENV_FILE="$(bash scripts/build-control-plane.sh)"; then
  echo "test: FAILED: the e2e tier needs the control plane, kwok and cert-manager and they could not be built (reason above)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "test: control plane: $(grep -E '^(KUBE_VERSION|ETCD_VERSION|KWOK_VERSION|CERT_MANAGER_VERSION|BUILD_SECONDS)=' "$ENV_FILE" | tr '\n' ' ')" >&2
if [ "$#" -eq 0 ]; then set -- test/e2e/*.test.ts; fi
{ rc=0; SDB_CONTROL_PLANE_ENV="$ENV_FILE" ./node_modules/.bin/tap --jobs=1 --timeout=900 "$@" 2>&1 || rc=$?; echo "$rc" > "$logs/e2e.rc"; } | tee "$logs/e2e.log"
[ "$(cat "$logs/e2e.rc")" = 0 ] || status=1

# tap ends each run with "# { total: T, pass: P[, fail: F][, skip: S]... }"; the lint step
# (its exit status in lint.rc, absent with --e2e) counts as one passed or one failed.
node -e '
  const fs = require("fs");
  let pass = 0, fail = 0, skip = 0, runs = 0;
  const lintRc = process.argv[1];
  if (fs.existsSync(lintRc)) { if (fs.readFileSync(lintRc, "utf8").trim() === "0") pass += 1; else fail += 1; }
  for (const f of process.argv.slice(2)) {
    if (!fs.existsSync(f)) continue;
    const m = [...fs.readFileSync(f, "utf8").matchAll(/^# \{ total: (\d+)(.*) \}$/gm)].pop();
    if (!m) { fail += 1; continue; }            // a run that printed no summary counts as failed
    runs += 1;
    const n = (k) => Number((m[2].match(new RegExp(k + ": (\\d+)")) || [0, 0])[1]);
    pass += n("pass"); fail += n("fail"); skip += n("skip") + n("todo");
    if (n("pass") + n("fail") + n("skip") + n("todo") === 0) fail += 1;
  }
  console.log(`${pass} passed, ${fail} failed` + (skip ? `, ${skip} skipped` : ""));
  if (fail > 0) process.exitCode = 1;
' "$logs/lint.rc" "$logs/unit.log" "$logs/e2e.log" || status=1
exit "$status"
