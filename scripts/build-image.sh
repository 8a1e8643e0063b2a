#!/bin/sh
# `npm run image`: build the sdb-tls-guard container image HERE, with no container engine
# and no base image pull (docs/adr/0001-image-build.md says why this way):
#   - a root filesystem made of this machine's Node 20 binary and exactly the shared
#     libraries `ldd` lists for it, the CA certificates, /etc/passwd and /etc/group with
#     the non-root user 65532 (as in the Dockerfile's distroless base), package.json and
#     the app as ONE bundled module (dist/bundle/, scripts/bundle.mjs: the compiled
#     dist/src and the production dependencies `npm ci --omit=dev` installs, exactly as
#     locked; it saves ~50 MiB RSS against dist/src plus node_modules) with the bundled
#     packages' licence texts;
#   - packed as one layer by GNU tar with fixed timestamps, owners and file order, then
#     made an OCI image by crane (go-containerregistry, built from the Go module proxy):
#     `crane append --oci-empty-base` and `crane mutate` (platform linux/amd64,
#     entrypoint, cmd, user, workdir, env, exposed port, labels) against crane's own
#     in-memory registry on a loopback port that lives as long as this script;
#   - written as ONE archive that is both an OCI archive (oci-layout, index.json, blobs/)
#     and a docker-archive (manifest.json), so `podman load`, `docker load`,
#     `kind load image-archive`, `ctr images import` and `skopeo copy oci-archive:` take it.
# Outputs (README "Container image"):
#   dist/image/sdb-tls-guard.tar            the image archive
#   dist/image/sdb-tls-guard.digest         the manifest digest (sha256:...), one line
#   dist/image/sdb-tls-guard.json           name, tag, digest, image id, sizes, build time
#   dist/image/sdb-tls-guard.cdx.json       CycloneDX SBOM (npm sbom of the production
#                                           tree the bundle was made from, plus the
#                                           Node.js runtime)
# Reproducible: two builds of one tree give the same digest (timestamps are
# SOURCE_DATE_EPOCH, default 0; file order is sorted; owners are numeric).
#   SDB_IMAGE_NAME   repository (default ghcr.io/sdb-tls-guard/sdb-tls-guard, the chart's)
#   SDB_IMAGE_TAG    tag (default the package.json version = the chart's appVersion)
#   SDB_IMAGE_OUT    output directory (default dist/image)
#   SOURCE_DATE_EPOCH  timestamp of every file in the image (default 0)
# With --if-stale it does nothing when the archive was built from the same inputs.
set -eu
export LC_ALL=C
cd "$(dirname "$0")/.."
START="$(date +%s)"
NAME="${SDB_IMAGE_NAME:-ghcr.io/sdb-tls-guard/sdb-tls-guard}"
VERSION="$(node -p 'require("./package.json").version')"
TAG="${SDB_IMAGE_TAG:-$VERSION}"
OUT="${SDB_IMAGE_OUT:-dist/image}"
EPOCH="${SOURCE_DATE_EPOCH:-0}"
CRANE_VERSION=v0.22.1
# The image's contract; the Dockerfile says the same (test/image/dockerfile.test.ts).
APP_UID=65532
ENTRYPOINT=/nodejs/bin/node,/app/dist/bundle/sdb-tls-guard.mjs
SOURCE_URL=https://github.com/sdb-tls-guard/sdb-tls-guard
LICENSE="$(node -p 'require("./package.json").license')"
log() { echo "build-image: $*" >&2; }

NODE="$(readlink -f "$(command -v node)")"
NODE_VERSION="$("$NODE" --version)"
case "$NODE_VERSION" in
  v20.*) ;;
  *) echo "build-image: the image carries this machine's Node.js binary and must be Node 20; found $NODE_VERSION at $NODE" >&2; exit 1 ;;
esac
ARCH="$(uname -m)"
[ "$ARCH" = x86_64 ] || { echo "build-image: builds linux/amd64 only (this machine is $ARCH)" >&2; exit 1; }
# Exactly the libraries ldd lists (the loader included); linux-vdso has no file.
LIBS="$(ldd "$NODE" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }' | sort -u)"
[ -n "$LIBS" ] || { echo "build-image: ldd listed no libraries for $NODE" >&2; exit 1; }

# One build at a time per output directory (parallel test files, a second terminal).
mkdir -p "$OUT"
exec 9> "$OUT/.build.lock"
if command -v flock > /dev/null 2>&1; then flock 9; fi

# --if-stale: do nothing when the archive was built from exactly these inputs (their
# contents, hashed; scripts/test.sh uses it so npm test does not rebuild an unchanged image).
inputs_hash() {
  {
    find src -type f | sort
    echo package.json package-lock.json tsconfig.json scripts/build-image.sh scripts/bundle.mjs scripts/image-archive-index.mjs
  } | xargs sha256sum
  # shellcheck disable=SC2086
  sha256sum "$NODE" $LIBS /etc/ssl/certs/ca-certificates.crt
  echo "$NAME $TAG $EPOCH $CRANE_VERSION"
} 2>/dev/null
INPUTS="sha256:$(inputs_hash | sha256sum | cut -d' ' -f1)"
if [ "${1:-}" = --if-stale ] && [ -s "$OUT/sdb-tls-guard.tar" ] && [ -s "$OUT/sdb-tls-guard.json" ] &&
  grep -q "\"inputs\": \"$INPUTS\"" "$OUT/sdb-tls-guard.json"; then
  log "$OUT/sdb-tls-guard.tar is up to date ($(cat "$OUT/sdb-tls-guard.digest"))"
  echo "$OUT/sdb-tls-guard.tar"
  exit 0
fi

sh scripts/ensure-deps.sh
CRANE="$(sh scripts/go-tool.sh crane github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION")"

WORK="$(mktemp -d)"
REG_PID=""
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null || true
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
R="$WORK/rootfs"

# ---- root filesystem ------------------------------------------------------------------
log "root filesystem: node $NODE_VERSION from $NODE"
mkdir -p "$R/nodejs/bin" "$R/etc/ssl/certs" "$R/tmp" "$R/home/nonroot" "$R/app/dist"
cp "$NODE" "$R/nodejs/bin/node"
# Each library at the path ldd names, symlinks resolved.
for lib in $LIBS; do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
log "libraries: $(echo "$LIBS" | tr '\n' ' ')"
# CA certificates (Debian's bundle) and the name service switch, as in distroless.
[ -s /etc/ssl/certs/ca-certificates.crt ] || { echo "build-image: /etc/ssl/certs/ca-certificates.crt is missing (apt-get install ca-certificates)" >&2; exit 1; }
cp -L /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' "$APP_UID" "$APP_UID" > "$R/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' "$APP_UID" > "$R/etc/group"
printf 'hosts: files dns\n' > "$R/etc/nsswitch.conf"
# The app: the compiled sources with the production dependencies exactly as locked, in a
# work tree ($A) outside the image; from it the bundle and the SBOM. The image gets the
# bundle, its licence texts and package.json (for the version), and no node_modules.
A="$WORK/app"
mkdir -p "$A/dist" "$R/app/dist/bundle"
cp -R dist/src "$A/dist/src"
cp package.json package-lock.json "$A/"
log "production node_modules (npm ci --omit=dev), then the bundle"
(cd "$A" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >&2)
node scripts/bundle.mjs "$A"
# Plain files (esbuild keeps the entry's executable bit; node runs the module anyway).
for f in sdb-tls-guard.mjs sdb-tls-guard.mjs.LEGAL.txt THIRD-PARTY-NOTICES.txt packages.json; do
  cp "$A/dist/bundle/$f" "$R/app/dist/bundle/$f"
  chmod 0644 "$R/app/dist/bundle/$f"
done
cp package.json "$R/app/package.json"
# SBOM of the production tree (npm reads node_modules). npm sbom insists that the
# devDependencies be installed even with --omit dev, so it reads a package.json without
# them.
node -e 'const fs = require("fs"); const p = JSON.parse(fs.readFileSync(process.argv[1])); delete p.devDependencies; fs.writeFileSync(process.argv[1], JSON.stringify(p))' "$A/package.json"
(cd "$A" && npm sbom --sbom-format cyclonedx --omit dev > "$WORK/sbom.json")
# Every bundled package must be in the SBOM, at its version.
node -e '
  const fs = require("fs");
  const listed = new Set(JSON.parse(fs.readFileSync(process.argv[1])).components.map((c) => `${c.name}@${c.version}`));
  const missing = JSON.parse(fs.readFileSync(process.argv[2])).map((p) => `${p.name}@${p.version}`).filter((p) => !listed.has(p));
  if (missing.length) { console.error(`build-image: bundled but not in the SBOM: ${missing.join(" ")}`); process.exit(1); }
' "$WORK/sbom.json" "$A/dist/bundle/packages.json"
# Normalised modes: directories 0755, files 0755 when executable else 0644.
find "$R" -type d -exec chmod 0755 {} +
find "$R" -type f -perm /111 -exec chmod 0755 {} +
find "$R" -type f ! -perm /111 -exec chmod 0644 {} +
chmod 1777 "$R/tmp"
chmod 0700 "$R/home/nonroot"

# ---- the layer: sorted, fixed timestamps, numeric owners (root, but the user's home) --
TAR_OPTS="--format=gnu --sort=name --mtime=@$EPOCH --numeric-owner --hard-dereference"
# Every top-level directory recursively, but home/ alone; home/nonroot is appended owned
# by the user. GNU tar takes --no-recursion/--recursion between names.
TOP="$(cd "$R" && ls -1 | grep -vx home | tr '\n' ' ')"
# shellcheck disable=SC2086
tar --create --file="$WORK/layer.tar" $TAR_OPTS --owner=0 --group=0 -C "$R" $TOP --no-recursion home
# shellcheck disable=SC2086
tar --append --file="$WORK/layer.tar" $TAR_OPTS --owner="$APP_UID" --group="$APP_UID" --no-recursion -C "$R" home/nonroot
gzip -n -6 < "$WORK/layer.tar" > "$WORK/layer.tar.gz"
log "layer: $(wc -c < "$WORK/layer.tar") bytes, $(wc -c < "$WORK/layer.tar.gz") gzipped"

# ---- the image: crane against its own registry on a loopback port -----------------------
"$CRANE" registry serve --address 127.0.0.1:0 2> "$WORK/registry.log" &
REG_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT="$(sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$WORK/registry.log" | head -n 1)"
  [ -n "$PORT" ] && break
  kill -0 "$REG_PID" 2>/dev/null || { cat "$WORK/registry.log" >&2; echo "build-image: crane registry serve exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "build-image: crane registry serve did not report its port" >&2; exit 1; }
REPO="127.0.0.1:$PORT/sdb-tls-guard"
"$CRANE" append --insecure --oci-empty-base -f "$WORK/layer.tar.gz" -t "$REPO:layer" > /dev/null 2> "$WORK/append.log" || { cat "$WORK/append.log" >&2; exit 1; }
"$CRANE" mutate --insecure "$REPO:layer" -t "$REPO:$TAG" \
  --set-platform linux/amd64 \
  --entrypoint "$ENTRYPOINT" --cmd serve \
  --user "$APP_UID:$APP_UID" --workdir /app --exposed-ports 8443/tcp \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --env NODE_ENV=production \
  --env MALLOC_ARENA_MAX=2 \
  --label "org.opencontainers.image.source=$SOURCE_URL" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.licenses=$LICENSE" \
  --label "org.opencontainers.image.title=sdb-tls-guard" \
  > /dev/null 2> "$WORK/mutate.log" || { cat "$WORK/mutate.log" >&2; exit 1; }
DIGEST="$("$CRANE" digest --insecure "$REPO:$TAG")"
"$CRANE" pull --insecure --format=oci "$REPO:$TAG" "$WORK/oci" 2> "$WORK/pull.log" || { cat "$WORK/pull.log" >&2; exit 1; }
kill "$REG_PID" 2>/dev/null || true
wait "$REG_PID" 2>/dev/null || true
REG_PID=""

# ---- one archive for every loader: OCI layout + docker-archive manifest.json ------------
node scripts/image-archive-index.mjs "$WORK/oci" "$DIGEST" "$NAME:$TAG"
mkdir -p "$OUT"
find "$WORK/oci" -type d -exec chmod 0755 {} +
find "$WORK/oci" -type f -exec chmod 0644 {} +
# shellcheck disable=SC2086
tar --create --file="$OUT/sdb-tls-guard.tar.tmp" $TAR_OPTS --owner=0 --group=0 -C "$WORK/oci" blobs index.json manifest.json oci-layout
mv "$OUT/sdb-tls-guard.tar.tmp" "$OUT/sdb-tls-guard.tar"
echo "$DIGEST" > "$OUT/sdb-tls-guard.digest"

# ---- SBOM (made above) with the build's time and serial number, and the info file ----
END="$(date +%s)"
node scripts/image-archive-index.mjs --finish "$WORK/oci" "$OUT" "$NAME" "$TAG" "$DIGEST" "$WORK/sbom.json" \
  "$NODE_VERSION" "$EPOCH" "$((END - START))" "$(echo "$LIBS" | tr '\n' ' ')" "$INPUTS"
log "wrote $OUT/sdb-tls-guard.tar ($NAME:$TAG, $DIGEST) in $((END - START)) s"
echo "$OUT/sdb-tls-guard.tar"
