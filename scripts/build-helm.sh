#!/bin/sh
# Build helm from the Go module proxy (no release binaries can be downloaded here) and
# cache it outside the repository. Prints the absolute path of the helm binary on stdout;
# everything else goes to stderr. Exits non-zero when helm cannot be built, so callers
# (the chart tests, the e2e tier) fail instead of skipping.
#   HELM_VERSION   module version to build (default below)
#   SDB_CACHE_DIR  cache root (default $SDB_TLS_GUARD_CACHE, else ~/.cache/sdb-tls-guard)
set -eu
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
# helm's default Kubernetes version (used by `helm template`/`helm lint` without a
# cluster) comes from link-time variables its Makefile stamps from the client-go minor.
# Unstamped it says v1.20.0, which the chart's kubeVersion (>=1.30) rejects.
K8S_MINOR="${HELM_K8S_MINOR:-37}"
CACHE="${SDB_CACHE_DIR:-${SDB_TLS_GUARD_CACHE:-$HOME/.cache/sdb-tls-guard}}"
BIN="$CACHE/bin"
OUT="$BIN/helm-$HELM_VERSION-k1.$K8S_MINOR"
if [ -x "$OUT" ] && "$OUT" version --short >/dev/null 2>&1; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "build-helm: go is not installed" >&2; exit 1; }
mkdir -p "$BIN"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "build-helm: building helm $HELM_VERSION (first time only; takes a few minutes)" >&2
# go install pkg@version builds in module mode outside any main module.
GOBIN="$TMP" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
mv "$TMP/helm" "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
ln -sf "$(basename "$OUT")" "$BIN/helm"
"$OUT" version --short >&2
echo "$OUT"
