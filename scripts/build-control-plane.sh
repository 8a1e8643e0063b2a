#!/usr/bin/env bash
# Build kube-apiserver (+ kubectl, optional) and the etcd its release pairs with from the
# Go module proxy — no release binaries can be downloaded — and cache them by version
# outside the repository. Reuses cached binaries. Prints the path of an env file on stdout
# (everything else goes to stderr):
#   KUBE_APISERVER=/abs/path  KUBE_VERSION=v1.N.x  ETCD=/abs/path  ETCD_VERSION=v3.M.x
#   KUBECTL=/abs/path (empty when kubectl did not build)  BUILD_SECONDS=...  GO_VERSION=...
# Exits non-zero, saying why, when Go or the module proxy is missing or nothing builds:
# the e2e tier then FAILS, it never skips.
#
#   SDB_TLS_GUARD_CACHE  cache root (default ~/.cache/sdb-tls-guard)
#   SDB_K8S_VERSION      build exactly this k8s.io/kubernetes version (e.g. v1.36.3)
#   SDB_ETCD_VERSION     build exactly this go.etcd.io/etcd/server/v3 version
#   SDB_K8S_MIN_MINOR    oldest minor tried when newer ones fail (default 34)
#   SDB_BUILD_JOBS       go build -p (default 2)
#   SDB_REBUILD=1        ignore cached binaries and failure markers
#   SDB_SKIP_KUBECTL=1   do not build kubectl
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
    "$dir/kube-apiserver" --version >/dev/null 2>&1 && "$dir/etcd" --version >/dev/null 2>&1
}

publish() {
  local dir="$1"
  cp "$dir/env" "$LATEST_ENV.tmp.$$" && mv "$LATEST_ENV.tmp.$$" "$LATEST_ENV"
  echo "$dir/env"
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
    echo "// Throw-away module: builds kube-apiserver and kubectl $version for sdb-tls-guard's e2e tier."
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

  (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=$JOBS" \
    nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver) >&2 || return 1
  mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"

  if [ "${SDB_SKIP_KUBECTL:-}" != "1" ]; then
    log "building kubectl $version (optional)"
    if (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=$JOBS" \
      nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$out/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl) >&2; then
      mv "$out/kubectl.tmp" "$out/kubectl"
    else
      log "kubectl did not build (optional; the tests do not need it)"
    fi
  fi
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
  log "building kube-apiserver $K8S and etcd $ETCD_V with $GO_VERSION, -p=$JOBS (cold: many minutes)"
  if build_k8s "$K8S" "$DIR" 2>&1 | tee "$DIR/build.log" >&2 && [ -x "$DIR/kube-apiserver" ] &&
     build_etcd "$ETCD_V" "$DIR" 2>&1 | tee -a "$DIR/build.log" >&2 && [ -x "$DIR/etcd" ]; then
    END=$(date +%s)
    KUBECTL=""; [ -x "$DIR/kubectl" ] && KUBECTL="$DIR/kubectl"
    cat >"$DIR/env" <<EOF
KUBE_VERSION=$K8S
KUBE_APISERVER=$DIR/kube-apiserver
KUBECTL=$KUBECTL
ETCD_VERSION=$ETCD_V
ETCD=$DIR/etcd
GO_VERSION=$GO_VERSION
BUILD_SECONDS=$((END-START))
BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
    log "built $K8S + etcd $ETCD_V in $((END-START))s"
    "$DIR/kube-apiserver" --version >&2
    "$DIR/etcd" --version >&2 || true
    publish "$DIR"; exit 0
  fi
  if [ -f "$DIR/DOWNLOAD_FAILED" ]; then
    rm -f "$DIR/DOWNLOAD_FAILED" "$DIR/kube-apiserver" "$DIR/etcd" "$DIR/kubectl"
    log "could not download the sources of $K8S / etcd $ETCD_V (not remembered; the next run retries); trying the next older minor"
    FAILURES="$FAILURES $K8S(download)"; continue
  fi
  { echo "build of $K8S / etcd $ETCD_V failed at $(date -u +%Y-%m-%dT%H:%M:%SZ) with $GO_VERSION"; tail -40 "$DIR/build.log"; } >"$DIR/FAILED.tmp"
  rm -f "$DIR/kube-apiserver" "$DIR/etcd" "$DIR/kubectl"; mv "$DIR/FAILED.tmp" "$DIR/FAILED"
  log "build of $K8S failed; trying the next older minor. Last lines:"; tail -15 "$DIR/FAILED" >&2
  FAILURES="$FAILURES $K8S"
done
die "no Kubernetes release >= 1.$MIN_MINOR built:$FAILURES (logs under $BIN_ROOT/<version>/FAILED)"
