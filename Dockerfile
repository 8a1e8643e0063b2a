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

# ---- build: compile the TypeScript --------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN ./node_modules/.bin/tsc -p tsconfig.json

# ---- deps: production dependencies exactly as locked ---------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# ---- the image: distroless Node 20 (no shell, no package manager), user 65532 --------
FROM gcr.io/distroless/nodejs20-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.source="https://github.com/sdb-tls-guard/sdb-tls-guard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.title="sdb-tls-guard"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist/src ./dist/src
USER 65532:65532
EXPOSE 8443/tcp
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/main.js"]
CMD ["serve"]
