# syntax=docker/dockerfile:1
# The sdb-tls-guard image for those who build with Docker / BuildKit, or in their CI
# (.github/workflows/release.yml builds and pushes it for linux/amd64 and linux/arm64).
#
# It CANNOT be built on this project's machines: they run no Docker engine and can pull
# no base image. There `npm run image` (scripts/build-image.sh) builds the same image
# from the machine's own Node 20 and files, with no daemon (docs/adr/0001-image-build.md).
# Keep the two equivalent: test/image/dockerfile.test.ts compares this file's final
# stage (ENTRYPOINT, CMD, USER, WORKDIR, EXPOSE, ENV, LABEL) with the built image.
#
#   docker build -t ghcr.io/sdb-tls-guard/sdb-tls-guard:0.1.0 .

# ---- build: compile the TypeScript, bundle it with the production dependencies -------
# scripts/bundle.mjs makes ONE module of dist/src and what it imports from a tree with
# only the production dependencies, exactly as locked (npm ci --omit=dev in /prod); the
# image runs that module and carries no node_modules (it saves ~50 MiB RSS,
# BENCHMARKS.md "Cache memory"). esbuild comes from the build tree's devDependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts/bundle.mjs ./scripts/bundle.mjs
RUN ./node_modules/.bin/tsc -p tsconfig.json
WORKDIR /prod
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && mkdir dist && cp -R /src/dist/src dist/src \
 && node /src/scripts/bundle.mjs /prod \
 && rm dist/bundle/meta.json

# ---- the image: distroless Node 20 (no shell, no package manager), user 65532 --------
FROM gcr.io/distroless/nodejs20-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.source="https://github.com/sdb-tls-guard/sdb-tls-guard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.title="sdb-tls-guard"
# MALLOC_ARENA_MAX=2: glibc makes a malloc arena per thread (V8's platform workers, the
# libuv pool); two arenas take ~13 MiB off the peak RSS with 10,000 cached objects and no
# throughput measured lost (docs/adr/0007-one-bundled-module.md).
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json ./
COPY --from=build /prod/dist/bundle ./dist/bundle
USER 65532:65532
EXPOSE 8443/tcp
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bundle/sdb-tls-guard.mjs"]
CMD ["serve"]
