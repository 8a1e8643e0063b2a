#!/bin/sh
# Install podman (and the runc runtime and skopeo it is used with) from Debian's packages
# when missing, for the image tier of `npm test` (test/image/) and the e2e harness that
# runs the webhook from the image (test/e2e/harness/webhook-image.ts). Debian 12 ships
# podman 4.3, runc 1.1, skopeo 1.9; no container engine daemon is involved.
# Exits non-zero with the reason when they cannot be installed: the image tier then FAILS
# (it is never skipped). Prints the podman path on stdout.
set -eu
missing=""
for tool in podman runc skopeo; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "ensure-podman: installing$missing from Debian's packages" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-podman: not root; install the Debian packages podman runc skopeo by hand" >&2
    exit 1
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "ensure-podman: no apt-get on this machine; install podman, runc and skopeo" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update once per machine (its lists are needed before the first install).
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
    apt-get update -qq >&2
  fi
  # shellcheck disable=SC2086
  if ! apt-get install -y -qq --no-install-recommends podman runc skopeo uidmap ca-certificates >&2; then
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends podman runc skopeo uidmap ca-certificates >&2
  fi
fi
podman --version >&2
command -v podman
