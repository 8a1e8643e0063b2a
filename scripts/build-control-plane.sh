#!/usr/bin/env bash
# Build every real part of the e2e tier from the Go module proxy — no release binaries can
# be downloaded — and cache each by version outside the repository:
#   - kube-apiserver, kube-controller-manager, kube-scheduler (+ kubectl with
#     SDB_WITH_KUBECTL=1) of one k8s.io/kubernetes release, in ONE go build of one
#     throw-away module (the packages they share compile once);
#   - the etcd that release pairs with;
#   - kwok (sigs.k8s.io/kwok), with the stage YAML its module ships;
#   - a runner of the real cert-manager controller packages (scripts/cert-manager-runner,
#     built in a throw-away module: cert-manager's own main is not served by the proxy).
# Reuses cached binaries. Prints the path of an env file on stdout (everything else goes
# to stderr):
#   KUBE_APISERVER KUBE_CONTROLLER_MANAGER KUBE_SCHEDULER KUBE_VERSION ETCD ETCD_VERSION
#   KWOK KWOK_VERSION KWOK_STAGES CERT_MANAGER CERT_MANAGER_VERSION
#   KUBECTL (empty unless built)  BUILD_SECONDS (this run's build time)  GO_VERSION
# Exits non-zero, saying why, when Go or the module proxy is missing or nothing builds:
# the e2e tier then FAILS, it never skips.
#
#   SDB_TLS_GUARD_CACHE  cache root (default ~/.cache/sdb-tls-guard)
#   SDB_K8S_VERSION      build exactly this k8s.io/kubernetes version (e.g. v1.36.3)
#   SDB_ETCD_VERSION     build exactly this go.etcd.io/etcd/server/v3 version
#   SDB_K8S_MIN_MINOR    oldest minor tried when newer ones fail (default 34)
#   SDB_BUILD_JOBS       go build -p (default 2)
#   SDB_REBUILD=1        ignore cached binaries and failure markers
#   SDB_WITH_KUBECTL=1   also build kubectl (npm run cluster does; the tests do not need it)
#   SDB_KWOK_VERSION     sigs.k8s.io/kwok version (default v0.8.0)
#   SDB_CERT_MANAGER_VERSION  github.com/cert-manager/cert-manager version (default v1.21.2)
set -euo pipefail

CACHE="${SDB_TLS_GUARD_CACHE:-$HOME/.cache/sdb-tls-guard}"
MIN_MINOR="${SDB_K8S_MIN_MINOR:-34}"
JOBS="${SDB_BUILD_JOBS:-2}"
BIN_ROOT="$CACHE/bin"
BUILD_ROOT="$CACHE/build"
LATEST_ENV="$CACHE/control-plane.env"

log() { echo "build-control-plane: $*" >&2; }
die() { echo "build-control-plane: ERROR: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is not installed (need go >= 1.24 on PATH); the e2e tier cannot build kube-apiserver/etcd without it"
GO_VERSION="$(go env GOVERSION)"
GOPROXY_VALUE="$(go env GOPROXY)"
mkdir -p "$BIN_ROOT" "$BUILD_ROOT"

# --- version selection --------------------------------------------------------------
# Newest patch of every minor >= MIN_MINOR, newest minor first (pre-releases ignored).
k8s_candidates() {
  if [ -n "${SDB_K8S_VERSION:-}" ]; then echo "$SDB_K8S_VERSION"; return; fi
  case "$GOPROXY_VALUE" in
    off|"") echo "LIST_FAILED GOPROXY is '$GOPROXY_VALUE'; a Go module proxy is needed to fetch k8s.io/kubernetes and etcd"; return ;;
  esac
  local versions
  if ! versions="$(cd "$BUILD_ROOT" && GOFLAGS=-mod=mod go list -m -versions k8s.io/kubernetes 2>&1)"; then
    echo "LIST_FAILED $versions"; return
  fi
  echo "$versions" | tr ' ' '\n' | grep -E '^v1\.[0-9]+\.[0-9]+$' |
    awk -F. -v min="$MIN_MINOR" '{ m=$2+0; p=$3+0; if (m>=min && (!(m in best) || p>best[m])) best[m]=p }
      END { for (m in best) printf "%d v1.%d.%d\n", m, m, best[m] }' |
    sort -rn | awk '{print $2}'
}

# etcd release paired with a Kubernetes minor (what envtest bundles): 3.6 for 1.34–1.36,
# 3.7 from 1.37 on. Newest patch of that etcd minor the proxy serves.
etcd_for() {
  local minor="$1" series
  if [ -n "${SDB_ETCD_VERSION:-}" ]; then echo "$SDB_ETCD_VERSION"; return; fi
  if [ "$minor" -ge 37 ]; then series=7; else series=6; fi
  (cd "$BUILD_ROOT" && go list -m -versions go.etcd.io/etcd/server/v3) | tr ' ' '\n' |
    grep -E "^v3\.$series\.[0-9]+$" | sort -t. -k3,3n | tail -1
}

# Reuse: a complete cache entry for this version (binaries present and runnable).
cached_ok() {
  local dir="$1"
  [ -f "$dir/env" ] && [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ] &&
    [ -x "$dir/kube-controller-manager" ] && [ -x "$dir/kube-scheduler" ] &&
    { [ "${SDB_WITH_KUBECTL:-}" != "1" ] || [ -x "$dir/kubectl" ]; } &&
    "$dir/kube-apiserver" --version >/dev/null 2>&1 && "$dir/etcd" --version >/dev/null 2>&1
}

KWOK_V="${SDB_KWOK_VERSION:-v0.8.0}"
CM_V="${SDB_CERT_MANAGER_VERSION:-v1.21.2}"
# cert-manager v1.21.x requires github.com/Venafi/vcert/v5 v5.13.7, whose zip the proxy
# refuses; v5.13.9 is served and builds.
VCERT_V="v5.13.9"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXTRA_SECONDS=0

# kwok: fake nodes and pod lifecycles. Plain kwok has no stages built in; its module ships
# them under kustomize/stage/ (node fast + heartbeat with lease, pod fast), copied here.
build_kwok() {
  local out="$BIN_ROOT/kwok-$KWOK_V" work="$BUILD_ROOT/kwok-$KWOK_V"
  if [ -x "$out/kwok" ] && [ -s "$out/stages.yaml" ]; then return 0; fi
  local start; start=$(date +%s)
  rm -rf "$out" "$work"; mkdir -p "$out" "$work"
  local gomod dir
  gomod="$(mod_gomod "sigs.k8s.io/kwok@$KWOK_V" "$out")" || return 1
  dir="$(cd "$BUILD_ROOT" && go mod download -json "sigs.k8s.io/kwok@$KWOK_V" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
  printf '// Throw-away module: builds kwok %s for sdb-tls-guard'"'"'s e2e tier.\nmodule sdbtlsguard.local/kwok\n\n%s\n\nrequire sigs.k8s.io/kwok %s\n' \
    "$KWOK_V" "$(grep -E '^go [0-9]' "$gomod" | head -1)" "$KWOK_V" >"$work/go.mod"
  log "building kwok $KWOK_V"
  (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=$JOBS" \
    nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok) >&2 || return 1
  local f first=1
  : >"$out/stages.yaml.tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [ -f "$dir/kustomize/stage/$f" ] || { log "kwok module has no kustomize/stage/$f"; return 1; }
    [ "$first" = 1 ] || echo "---" >>"$out/stages.yaml.tmp"
    cat "$dir/kustomize/stage/$f" >>"$out/stages.yaml.tmp"; first=0
  done
  mv "$out/stages.yaml.tmp" "$out/stages.yaml"
  mv "$out/kwok.tmp" "$out/kwok"
  EXTRA_SECONDS=$((EXTRA_SECONDS + $(date +%s) - start))
}

build_cert_manager() {
  local out="$BIN_ROOT/cert-manager-$CM_V" work="$BUILD_ROOT/cert-manager-$CM_V"
  if [ -x "$out/cert-manager-runner" ] && cmp -s "$HERE/cert-manager-runner/main.go" "$out/main.go"; then return 0; fi
  local start; start=$(date +%s)
  rm -rf "$out" "$work"; mkdir -p "$out" "$work"
  local gomod
  gomod="$(mod_gomod "github.com/cert-manager/cert-manager@$CM_V" "$out")" || return 1
  cp "$HERE/cert-manager-runner/main.go" "$work/main.go"
  printf '// Throw-away module: the cert-manager %s controller runner of sdb-tls-guard'"'"'s e2e tier.\nmodule sdbtlsguard.local/certmanager\n\n%s\n\nrequire github.com/cert-manager/cert-manager %s\n\nreplace github.com/Venafi/vcert/v5 => github.com/Venafi/vcert/v5 %s\n' \
    "$CM_V" "$(grep -E '^go [0-9]' "$gomod" | head -1)" "$CM_V" "$VCERT_V" >"$work/go.mod"
  log "building the cert-manager $CM_V controller runner"
  (cd "$work" && GOFLAGS="-mod=mod -buildvcs=false" go mod tidy >&2 && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=$JOBS" \
    nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out/cert-manager-runner.tmp" .) >&2 || return 1
  cp "$work/main.go" "$out/main.go"
  mv "$out/cert-manager-runner.tmp" "$out/cert-manager-runner"
  EXTRA_SECONDS=$((EXTRA_SECONDS + $(date +%s) - start))
}

publish() {
  local dir="$1"
  build_kwok || die "kwok $KWOK_V did not build (reason above)"
  build_cert_manager || die "the cert-manager $CM_V runner did not build (reason above)"
  local k8s_seconds=0
  [ -n "${K8S_BUILT_SECONDS:-}" ] && k8s_seconds="$K8S_BUILT_SECONDS"
  {
    grep -v -E '^(KWOK|KWOK_VERSION|KWOK_STAGES|CERT_MANAGER|CERT_MANAGER_VERSION|BUILD_SECONDS)=' "$dir/env"
    echo "KWOK=$BIN_ROOT/kwok-$KWOK_V/kwok"
    echo "KWOK_VERSION=$KWOK_V"
    echo "KWOK_STAGES=$BIN_ROOT/kwok-$KWOK_V/stages.yaml"
    echo "CERT_MANAGER=$BIN_ROOT/cert-manager-$CM_V/cert-manager-runner"
    echo "CERT_MANAGER_VERSION=$CM_V"
    echo "BUILD_SECONDS=$((k8s_seconds + EXTRA_SECONDS))"
  } >"$dir/env.full.tmp"
  mv "$dir/env.full.tmp" "$dir/env.full"
  cp "$dir/env.full" "$LATEST_ENV.tmp.$$" && mv "$LATEST_ENV.tmp.$$" "$LATEST_ENV"
  echo "$dir/env.full"
}

# Path of a module's go.mod in the module cache (downloading it); on failure logs go's
# error and leaves a DOWNLOAD_FAILED marker in $2 (a download problem is not remembered as
# a failed build: the next run tries the same version again).
mod_gomod() {
  local spec="$1" out="$2" json gomod
  json="$(cd "$BUILD_ROOT" && go mod download -json "$spec" 2>&1)" || true
  gomod="$(echo "$json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  if [ -n "$gomod" ] && [ -f "$gomod" ]; then echo "$gomod"; return 0; fi
  log "could not download $spec from $GOPROXY_VALUE: $(echo "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' | head -1)$(echo "$json" | grep -v '^[[:space:]]*[{}"]' | head -3)"
  touch "$out/DOWNLOAD_FAILED"
  return 1
}

# --- building -----------------------------------------------------------------------
build_k8s() {
  local version="$1" out="$2"
  local minor; minor="$(echo "$version" | cut -d. -f2)"
  local patch; patch="$(echo "$version" | cut -d. -f3)"
  local staging="v0.$minor.$patch"
  local work="$BUILD_ROOT/kubernetes-$version"
  rm -rf "$work"; mkdir -p "$work"

  log "resolving k8s.io/kubernetes@$version"
  local gomod
  gomod="$(mod_gomod "k8s.io/kubernetes@$version" "$out")" || return 1

  local godir godebug
  godir="$(grep -E '^go [0-9]' "$gomod" | head -1 || true)"
  godebug="$(awk '/^godebug[[:space:]]*\(/{b=1} b{print} b&&/^\)/{b=0;next} /^godebug [^(]/{print}' "$gomod")"
  {
    echo "// Throw-away module: builds the control plane of $version for sdb-tls-guard's e2e tier."
    echo "module sdbtlsguard.local/controlplane"
    echo
    echo "${godir:-go 1.24.0}"
    [ -n "$godebug" ] && { echo; echo "$godebug"; }
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    # k8s.io/kubernetes's own go.mod replaces each staging module with ./staging/src/…;
    # a published module cannot use those, so point them at the tagged staging releases.
    grep -E '^[[:space:]]*k8s\.io/[^ ]+ => \./staging/src/' "$gomod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$work/go.mod"
  log "throw-away module at $work (staging modules at $staging)"

  local pkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version"
  local date; date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ldflags="-s -w"
  for p in "$pkg" "$cpkg"; do
    ldflags="$ldflags -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done

  # One `go build` for every part of the release: the packages they share compile once.
  local pkgs="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
  [ "${SDB_WITH_KUBECTL:-}" = "1" ] && pkgs="$pkgs k8s.io/kubernetes/cmd/kubectl"
  log "building $(echo "$pkgs" | sed 's#k8s.io/kubernetes/cmd/##g') $version in one go build"
  rm -rf "$out/k8s.tmp"; mkdir -p "$out/k8s.tmp"
  # shellcheck disable=SC2086
  (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=$JOBS" \
    nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out/k8s.tmp/" $pkgs) >&2 || return 1
  mv "$out/k8s.tmp/"* "$out/" && rmdir "$out/k8s.tmp"
  cp "$work/go.mod" "$out/kubernetes.go.mod"
}

build_etcd() {
  local version="$1" out="$2"
  local work="$BUILD_ROOT/etcd-$version"
  rm -rf "$work"; mkdir -p "$work"
  local gomod godir
  gomod="$(mod_gomod "go.etcd.io/etcd/server/v3@$version" "$out")" || return 1
  godir="$(grep -E '^go [0-9]' "$gomod" | head -1 || true)"
  printf '// Throw-away module: builds etcd %s for sdb-tls-guard'"'"'s e2e tier.\nmodule sdbtlsguard.local/etcd\n\n%s\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$version" "${godir:-go 1.24.0}" "$version" >"$work/go.mod"
  local ld="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$version"
  (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=$JOBS" \
    nice -n 10 go build -trimpath -ldflags "$ld" -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3) >&2 || return 1
  mv "$out/etcd.tmp" "$out/etcd"
}

# --- main ---------------------------------------------------------------------------
CANDIDATES="$(k8s_candidates)"
if echo "$CANDIDATES" | grep -q '^LIST_FAILED'; then
  # Proxy unreachable: fall back to the newest complete cache entry, if any.
  for dir in $(ls -d "$BIN_ROOT"/v1.* 2>/dev/null | sort -t. -k2,2nr -k3,3nr); do
    if cached_ok "$dir"; then log "module proxy unreachable; reusing cached $(basename "$dir")"; publish "$dir"; exit 0; fi
  done
  die "cannot list k8s.io/kubernetes versions from the Go module proxy ($GOPROXY_VALUE) and nothing is cached in $BIN_ROOT:
${CANDIDATES#LIST_FAILED }"
fi
[ -n "$CANDIDATES" ] || die "the module proxy serves no k8s.io/kubernetes v1.N.x with N >= $MIN_MINOR"
log "candidates (newest first): $(echo $CANDIDATES)"

FAILURES=""
for K8S in $CANDIDATES; do
  DIR="$BIN_ROOT/$K8S"
  if [ "${SDB_REBUILD:-}" != "1" ] && cached_ok "$DIR"; then
    log "reusing cached $K8S ($DIR)"
    publish "$DIR"; exit 0
  fi
  if [ "${SDB_REBUILD:-}" != "1" ] && [ -f "$DIR/FAILED" ] && [ -z "${SDB_K8S_VERSION:-}" ]; then
    log "skipping $K8S: an earlier build failed (see $DIR/FAILED; SDB_REBUILD=1 retries)"
    FAILURES="$FAILURES $K8S(cached failure)"; continue
  fi
  MINOR="$(echo "$K8S" | cut -d. -f2)"
  ETCD_V="$(etcd_for "$MINOR")" || true
  [ -n "$ETCD_V" ] || die "the module proxy serves no go.etcd.io/etcd/server/v3 release for Kubernetes 1.$MINOR"
  rm -rf "$DIR"; mkdir -p "$DIR"
  START=$(date +%s)
  log "building the $K8S control plane and etcd $ETCD_V with $GO_VERSION, -p=$JOBS (cold: many minutes)"
  if build_k8s "$K8S" "$DIR" 2>&1 | tee "$DIR/build.log" >&2 && [ -x "$DIR/kube-apiserver" ] &&
     build_etcd "$ETCD_V" "$DIR" 2>&1 | tee -a "$DIR/build.log" >&2 && [ -x "$DIR/etcd" ]; then
    END=$(date +%s)
    KUBECTL=""; [ -x "$DIR/kubectl" ] && KUBECTL="$DIR/kubectl"
    K8S_BUILT_SECONDS=$((END-START))
    cat >"$DIR/env" <<EOF
KUBE_VERSION=$K8S
KUBE_APISERVER=$DIR/kube-apiserver
KUBE_CONTROLLER_MANAGER=$DIR/kube-controller-manager
KUBE_SCHEDULER=$DIR/kube-scheduler
KUBECTL=$KUBECTL
ETCD_VERSION=$ETCD_V
ETCD=$DIR/etcd
GO_VERSION=$GO_VERSION
BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
    log "built $K8S + etcd $ETCD_V in $((END-START))s"
    "$DIR/kube-apiserver" --version >&2
    "$DIR/etcd" --version >&2 || true
    publish "$DIR"; exit 0
  fi
  if [ -f "$DIR/DOWNLOAD_FAILED" ]; then
    rm -f "$DIR/DOWNLOAD_FAILED" "$DIR"/kube-* "$DIR/etcd" "$DIR/kubectl"
    log "could not download the sources of $K8S / etcd $ETCD_V (not remembered; the next run retries); trying the next older minor"
    FAILURES="$FAILURES $K8S(download)"; continue
  fi
  { echo "build of $K8S / etcd $ETCD_V failed at $(date -u +%Y-%m-%dT%H:%M:%SZ) with $GO_VERSION"; tail -40 "$DIR/build.log"; } >"$DIR/FAILED.tmp"
  rm -f "$DIR"/kube-* "$DIR/etcd" "$DIR/kubectl"; mv "$DIR/FAILED.tmp" "$DIR/FAILED"
  log "build of $K8S failed; trying the next older minor. Last lines:"; tail -15 "$DIR/FAILED" >&2
  FAILURES="$FAILURES $K8S"
done
die "no Kubernetes release >= 1.$MIN_MINOR built:$FAILURES (logs under $BIN_ROOT/<version>/FAILED)"
