#!/bin/sh
# actionlint (github.com/rhysd/actionlint, built once from the Go module proxy and cached
# by scripts/go-tool.sh) over the repository's GitHub Actions workflows. Extra arguments
# go to actionlint; with none it checks .github/workflows/*.yml. Exit status is
# actionlint's (1 on findings), or non-zero when it cannot be built.
set -eu
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION=v1.7.12
ACTIONLINT="$(sh scripts/go-tool.sh actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION")"
# shellcheck and pyflakes integrations are turned off, so the result does not depend on
# what else a machine has installed.
exec "$ACTIONLINT" -no-color -shellcheck= -pyflakes= "$@"
