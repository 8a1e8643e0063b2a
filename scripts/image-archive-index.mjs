// Helper of scripts/build-image.sh (plain Node, no dependencies).
//   node image-archive-index.mjs OCI_DIR DIGEST NAME:TAG
//     Rewrites OCI_DIR/index.json (crane pull --format=oci) to hold the one manifest
//     DIGEST, with its platform and the names containerd, podman and docker read
//     (io.containerd.image.name, org.opencontainers.image.ref.name), and writes the
//     docker-archive manifest.json beside it, so that one tar of OCI_DIR is both an OCI
//     archive and a docker-archive.
//   node image-archive-index.mjs --finish OCI_DIR OUT NAME TAG DIGEST SBOM NODE_VERSION EPOCH SECONDS LIBS INPUTS
//     Writes OUT/sdb-tls-guard.json (what was built) and OUT/sdb-tls-guard.cdx.json (the
//     npm SBOM with a timestamp and serial number derived from the build, not the clock,
//     plus the Node.js runtime the image carries).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

// The shapes read here (JSDoc, so the linter's type-aware rules check their use):
/** @typedef {{ digest: string, size: number }} Descriptor an OCI content descriptor */
/** @typedef {{ mediaType: string, config: Descriptor, layers: Descriptor[] }} Manifest an OCI image manifest */
/** @typedef {{ architecture: string, os: string }} ImageConfig the fields of an OCI image config used here */
/** @typedef {{ name: string, value: string }} Property a CycloneDX property */
/**
 * @typedef {{
 *   serialNumber?: string,
 *   metadata?: { timestamp?: string, component?: { name?: string }, properties?: Property[] },
 *   components?: object[],
 * }} Sbom the fields of npm's CycloneDX SBOM written here
 */

/** @param {string} digest */
const blobPath = (digest) => join('blobs', ...digest.split(':'));
/** @param {string} text @returns {unknown} */
const parseJson = (text) => JSON.parse(text);
/** @param {string} p */
const readJson = (p) => parseJson(readFileSync(p, 'utf8'));

/** @param {string} ociDir @param {string} digest @param {string} ref */
function index(ociDir, digest, ref) {
  const manifestBytes = readFileSync(join(ociDir, blobPath(digest)));
  const got = 'sha256:' + createHash('sha256').update(manifestBytes).digest('hex');
  if (got !== digest) throw new Error(`manifest blob ${digest} hashes to ${got}`);
  const manifest = /** @type {Manifest} */ (parseJson(manifestBytes.toString('utf8')));
  const config = /** @type {ImageConfig} */ (readJson(join(ociDir, blobPath(manifest.config.digest))));
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  const idx = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: manifest.mediaType,
        digest,
        size: manifestBytes.length,
        annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tag },
        platform: { architecture: config.architecture, os: config.os },
      },
    ],
  };
  writeFileSync(join(ociDir, 'index.json'), JSON.stringify(idx));
  const dockerManifest = [
    { Config: blobPath(manifest.config.digest), RepoTags: [ref], Layers: manifest.layers.map((l) => blobPath(l.digest)) },
  ];
  writeFileSync(join(ociDir, 'manifest.json'), JSON.stringify(dockerManifest));
}

/** A name-based (v5-style) UUID from text, so the SBOM's serial number is the build's. @param {string} text */
function uuidFrom(text) {
  const b = createHash('sha256').update(text).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The arguments as build-image.sh passes them, all strings. @param {string[]} args */
function finish(...args) {
  const [ociDir = '', out = '', name = '', tag = '', digest = '', sbomFile = '', nodeVersion = '', epoch = '', seconds = '', libs = '', inputs = ''] = args;
  const manifest = /** @type {Manifest} */ (readJson(join(ociDir, blobPath(digest))));
  const archive = join(out, 'sdb-tls-guard.tar');
  const created = new Date(Number(epoch) * 1000).toISOString();
  const sbom = /** @type {Sbom} */ (readJson(sbomFile));
  sbom.serialNumber = `urn:uuid:${uuidFrom(`sdb-tls-guard sbom ${digest}`)}`;
  sbom.metadata = sbom.metadata ?? {};
  sbom.metadata.timestamp = created;
  // npm names the root component after the directory it ran in; name it as the package.
  const pkg = /** @type {{ name: string }} */ (readJson(join(ociDir, '..', 'rootfs', 'app', 'package.json')));
  if (sbom.metadata.component) sbom.metadata.component.name = pkg.name;
  sbom.metadata.properties = [
    ...(sbom.metadata.properties ?? []),
    { name: 'sdb-tls-guard:image', value: `${name}:${tag}` },
    { name: 'sdb-tls-guard:image:digest', value: digest },
  ];
  const v = nodeVersion.replace(/^v/, '');
  sbom.components = [
    ...(sbom.components ?? []),
    {
      'bom-ref': `runtime:node@${v}`,
      type: 'application',
      name: 'node',
      version: v,
      description: 'Node.js runtime of the build machine, at /nodejs/bin/node, with the shared libraries ldd lists for it',
      purl: `pkg:generic/nodejs@${v}`,
      properties: libs
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((l) => ({ name: 'sdb-tls-guard:image:library', value: l })),
    },
  ];
  writeFileSync(join(out, 'sdb-tls-guard.cdx.json'), `${JSON.stringify(sbom, null, 2)}\n`);
  const info = {
    name,
    tag,
    reference: `${name}:${tag}`,
    digest,
    imageId: manifest.config.digest,
    platform: 'linux/amd64',
    archive: 'sdb-tls-guard.tar',
    archiveBytes: statSync(archive).size,
    layerBytesCompressed: manifest.layers.reduce((n, l) => n + l.size, 0),
    node: nodeVersion,
    sourceDateEpoch: Number(epoch),
    buildSeconds: Number(seconds),
    // sha256 of what it was built from (scripts/build-image.sh --if-stale).
    inputs,
  };
  writeFileSync(join(out, 'sdb-tls-guard.json'), `${JSON.stringify(info, null, 2)}\n`);
}

const [first = '', second = '', third = ''] = process.argv.slice(2);
if (first === '--finish') finish(...process.argv.slice(3));
else index(first, second, third);
