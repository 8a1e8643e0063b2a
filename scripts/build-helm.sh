#!/bin/sh
# Build helm from the Go module proxy through scripts/go-tool.sh (cached outside the
# repository). Prints the absolute path of the helm binary on stdout; everything else
# goes to stderr. Exits non-zero when helm cannot be built, so callers (the chart tests,
# the e2e tier) fail instead of skipping.
#   HELM_VERSION   module version to build (default below)
#   SDB_CACHE_DIR  cache root (default $SDB_TLS_GUARD_CACHE, else ~/.cache/sdb-tls-guard)
set -eu
cd "$(dirname "$0")/.."
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
# helm's default Kubernetes version (used by `helm template`/`helm lint` without a
# cluster) comes from link-time variables its Makefile stamps from the client-go minor.
# Unstamped it says v1.20.0, which the chart's kubeVersion (>=1.30) rejects.
K8S_MINOR="${HELM_K8S_MINOR:-37}"
HELM="$(GO_TOOL_TAG="k1.$K8S_MINOR" GO_TOOL_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR" \
  sh scripts/go-tool.sh helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION")"
"$HELM" version --short >&2
echo "$HELM"
