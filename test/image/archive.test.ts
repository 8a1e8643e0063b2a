// What `npm run image` wrote (dist/image/), read without a container tool: one archive
// that is an OCI archive and a docker-archive, its digest, config and layer contents
// (Node 20 + exactly its ldd libraries + the bundled app, no shell, compiler or package
// manager), the
// marks of a reproducible build, its size, and the SBOM beside it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { IMAGE_ARCHIVE, IMAGE_DIR, IMAGE_UID, imageInfo } from '../e2e/harness/webhook-image.js';
import { REPO_ROOT } from '../e2e/harness/paths.js';
import { blob, readArchive, type Archive } from './archive.js';
import { productionPackages } from '../support/lockfile.js';

// The first call of imageInfo() rebuilds a stale archive (1-2 min on this machine's two
// cores) before the tests run: give this file more than .taprc's 120 s.
t.setTimeout(10 * 60_000);

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; license: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const MB = 1000 * 1000;

let archive: Archive | undefined;
async function image(): Promise<Archive> {
  await imageInfo();
  archive ??= readArchive(IMAGE_ARCHIVE);
  return archive;
}

t.test('one archive: OCI layout and docker-archive, the digest file names its manifest', async (t) => {
  const info = await imageInfo();
  const a = await image();
  t.strictSame(JSON.parse(a.files.get('oci-layout')?.data.toString() ?? '{}'), { imageLayoutVersion: '1.0.0' });
  t.equal(a.index.manifests.length, 1);
  const [d] = a.index.manifests;
  if (!d) return;
  t.equal(d.annotations?.['io.containerd.image.name'], info.reference, 'containerd, podman and docker 25+ name it from this');
  t.equal(d.annotations?.['org.opencontainers.image.ref.name'], info.tag);
  t.strictSame(d.platform, { architecture: 'amd64', os: 'linux' });
  t.equal(readFileSync(join(IMAGE_DIR, 'sdb-tls-guard.digest'), 'utf8'), `${info.digest}\n`);
  t.equal(a.manifestDigest, info.digest);
  const manifestBytes = blob(a.files, info.digest);
  t.equal(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, info.digest, 'the manifest blob hashes to the digest');
  t.equal(a.manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  t.equal(a.manifest.config.digest, info.imageId);
  // docker load (every version) reads manifest.json: the same config and layer blobs.
  t.strictSame(a.dockerManifest, [
    { Config: `blobs/${info.imageId.replace(':', '/')}`, RepoTags: [info.reference], Layers: a.manifest.layers.map((l) => `blobs/${l.digest.replace(':', '/')}`) },
  ]);
  for (const l of a.manifest.layers) {
    const bytes = blob(a.files, l.digest);
    t.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, l.digest, `layer ${l.digest} is intact`);
  }
});

t.test('config: platform, entrypoint, cmd, user, workdir, env, port, labels', async (t) => {
  const { config } = await image();
  t.equal(config.os, 'linux');
  t.equal(config.architecture, 'amd64');
  t.strictSame(config.config.Entrypoint, ['/nodejs/bin/node', '/app/dist/bundle/sdb-tls-guard.mjs']);
  t.strictSame(config.config.Cmd, ['serve']);
  t.equal(config.config.User, `${IMAGE_UID}:${IMAGE_UID}`);
  t.equal(config.config.WorkingDir, '/app');
  t.strictSame(config.config.ExposedPorts, { '8443/tcp': {} });
  t.ok(config.config.Env?.includes('NODE_ENV=production'));
  t.ok(config.config.Env?.includes('SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'));
  t.strictSame(config.config.Labels, {
    'org.opencontainers.image.source': 'https://github.com/sdb-tls-guard/sdb-tls-guard',
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.licenses': pkg.license,
    'org.opencontainers.image.title': 'sdb-tls-guard',
  });
});

t.test('layer: Node 20 and exactly the libraries ldd lists, CA bundle, passwd, the app', async (t) => {
  const { layer } = await image();
  const byName = new Map(layer.map((e) => [e.name, e]));
  const node = byName.get('nodejs/bin/node');
  t.ok(node?.type === '0' && (node.mode & 0o111) !== 0, 'nodejs/bin/node is an executable file');
  if (!node) return;
  // ldd of the image's own node binary, run here (the same machine kind built it).
  const dir = mkdtempSync(join(tmpdir(), 'sdb-image-node-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'node'), node.data);
  chmodSync(join(dir, 'node'), 0o755);
  t.match(execFileSync(join(dir, 'node'), ['--version'], { encoding: 'utf8' }), /^v20\./, 'it is Node 20');
  const ldd = execFileSync('ldd', [join(dir, 'node')], { encoding: 'utf8' });
  const wanted = [...ldd.matchAll(/(?:^|\s)(\/\S+)/gm)].map((m) => (m[1] ?? '').slice(1)).sort();
  t.ok(wanted.length >= 4, `ldd listed libraries: ${wanted.join(' ')}`);
  const libs = layer.filter((e) => e.type !== '5' && /^(usr\/)?lib(64|32|x32)?\//.test(e.name)).map((e) => e.name).sort();
  t.strictSame(libs, wanted, 'the image holds exactly the libraries ldd lists, no more');
  for (const l of libs) t.equal(byName.get(l)?.type, '0', `${l} is a file, not a link`);

  t.match(byName.get('etc/ssl/certs/ca-certificates.crt')?.data.toString() ?? '', /-----BEGIN CERTIFICATE-----/, 'CA certificates');
  t.match(byName.get('etc/passwd')?.data.toString() ?? '', new RegExp(`^nonroot:x:${IMAGE_UID}:${IMAGE_UID}:`, 'm'));
  t.match(byName.get('etc/group')?.data.toString() ?? '', new RegExp(`^nonroot:x:${IMAGE_UID}:`, 'm'));
  // The app is one bundled module (scripts/bundle.mjs) and its licence texts: no
  // dist/src, no node_modules.
  const app = layer.filter((e) => e.type !== '5' && e.name.startsWith('app/')).map((e) => e.name).sort();
  t.strictSame(
    app,
    ['app/dist/bundle/THIRD-PARTY-NOTICES.txt', 'app/dist/bundle/packages.json', 'app/dist/bundle/sdb-tls-guard.mjs', 'app/dist/bundle/sdb-tls-guard.mjs.LEGAL.txt', 'app/package.json'],
    'the bundle, its licence texts, the bundled-package list and package.json; nothing else',
  );
  t.equal((JSON.parse(byName.get('app/package.json')?.data.toString() ?? '{}') as { version?: string }).version, pkg.version);
  // The bundled packages: every production dependency, and only packages the lockfile
  // installs without --include=dev, at the lockfile's versions.
  const bundled = JSON.parse(byName.get('app/dist/bundle/packages.json')?.data.toString() ?? '[]') as { name: string; version: string; license: string }[];
  const names = new Set(bundled.map((b) => b.name));
  for (const dep of Object.keys(pkg.dependencies)) t.ok(names.has(dep), `production dependency ${dep} is bundled`);
  const prod = productionPackages(join(REPO_ROOT, 'package-lock.json'));
  t.strictSame(bundled.map((b) => `${b.name}@${b.version}`).filter((b) => !prod.has(b)), [], `every bundled package is a production package of the lockfile (${bundled.length})`);
  for (const dev of ['tap', 'typescript', 'tsx', 'fast-check', 'autocannon', 'esbuild', 'eslint']) t.notOk(names.has(dev), `no ${dev}`);
  // The image's bundle (made in a production-only tree) is byte for byte the one the
  // repository makes (dist/bundle, with dev packages installed), which the e2e tier runs.
  const shipped = createHash('sha256').update(byName.get('app/dist/bundle/sdb-tls-guard.mjs')?.data ?? '').digest('hex');
  const local = createHash('sha256').update(readFileSync(join(REPO_ROOT, 'dist', 'bundle', 'sdb-tls-guard.mjs'))).digest('hex');
  t.equal(shipped, local, 'the bundle in the image is dist/bundle/sdb-tls-guard.mjs (the one the e2e tier runs)');
  const notices = byName.get('app/dist/bundle/THIRD-PARTY-NOTICES.txt')?.data.toString() ?? '';
  t.strictSame(bundled.filter((b) => !notices.includes(`${b.name}@${b.version} (${b.license})`)).map((b) => b.name), [], 'the notices name every bundled package with its licence');
  t.match(notices, /Permission is hereby granted, free of charge/, 'and carry the licence texts (MIT, for one)');
  t.notOk(layer.some((e) => e.name.startsWith('app/dist/test/') || e.name.startsWith('app/dist/bench/') || e.name === 'app/package-lock.json'), 'no tests, benchmarks or lockfile');
  const tmp = byName.get('tmp/');
  t.equal(tmp?.mode, 0o1777, '/tmp is sticky and world-writable (the chart mounts an emptyDir there)');
});

t.test('no shell, compiler or package manager; nothing setuid; root owns all but the home', async (t) => {
  const { layer } = await image();
  const forbidden = /^(sh|bash|dash|ash|zsh|ksh|mksh|csh|tcsh|fish|busybox|toybox|gcc|g\+\+|cc|c\+\+|clang|clang\+\+|tcc|ld|as|make|cmake|apt|apt-get|dpkg|rpm|yum|dnf|apk|npm|npx|yarn|pnpm|corepack|pip|pip3|python|python3|perl|su|sudo|env|curl|wget)$/;
  const base = (n: string): string => n.replace(/\/$/, '').split('/').pop() ?? '';
  t.strictSame(layer.filter((e) => e.type !== '5' && forbidden.test(base(e.name))).map((e) => e.name), [], 'no such program anywhere');
  t.strictSame(layer.filter((e) => /^(usr\/)?s?bin\//.test(e.name)).map((e) => e.name), [], 'no bin/ or sbin/ directories at all');
  const executables = layer.filter((e) => e.type === '0' && (e.mode & 0o111) !== 0).map((e) => e.name);
  t.strictSame(executables.filter((n) => n !== 'nodejs/bin/node' && !/^(usr\/)?lib(64)?\//.test(n)), [], `the only executables are node and its libraries (${executables.join(' ')})`);
  t.strictSame(layer.filter((e) => (e.mode & 0o6000) !== 0).map((e) => e.name), [], 'no setuid/setgid file');
  t.strictSame(layer.filter((e) => e.type !== '2' && (e.mode & 0o002) !== 0 && e.name !== 'tmp/').map((e) => e.name), [], 'nothing world-writable but /tmp');
  const notRoot = layer.filter((e) => e.uid !== 0 || e.gid !== 0);
  t.strictSame(notRoot.map((e) => `${e.name} ${e.uid}:${e.gid}`), [`home/nonroot/ ${IMAGE_UID}:${IMAGE_UID}`], 'the app is read-only to its user: root owns everything but the home directory');
});

t.test('reproducible build marks: fixed timestamps and sorted file order', async (t) => {
  const info = await imageInfo();
  const a = await image();
  t.strictSame([...new Set(a.layer.map((e) => e.mtime))], [info.sourceDateEpoch], 'every file in the layer has SOURCE_DATE_EPOCH as its time');
  t.strictSame([...new Set([...a.files.values()].map((e) => e.mtime))], [info.sourceDateEpoch], 'every file in the archive too');
  const main = a.layer.filter((e) => !e.name.startsWith('home/'));
  const names = main.map((e) => e.name.replace(/\/$/, ''));
  // GNU tar --sort=name: each directory's entries in byte order (a prefix sort of paths).
  const sorted = [...names].sort((x, y) => {
    const xs = x.split('/');
    const ys = y.split('/');
    for (const [i, xi] of xs.entries()) {
      const yi = ys[i];
      if (yi === undefined) break;
      if (xi !== yi) return Buffer.compare(Buffer.from(xi), Buffer.from(yi));
    }
    return xs.length - ys.length;
  });
  t.strictSame(names, sorted, 'the layer lists files in sorted order');
  t.equal(a.config.created ?? '0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z', 'the config carries no build time');
});

t.test('size (aim: at most 80 MB compressed)', async (t) => {
  const info = await imageInfo();
  const a = await image();
  const line = `image ${info.reference} ${info.digest}: ${(a.compressedBytes / MB).toFixed(1)} MB compressed (archive ${(info.archiveBytes / MB).toFixed(1)} MB), ${(a.uncompressedBytes / MB).toFixed(1)} MB uncompressed; built in ${info.buildSeconds} s`;
  t.comment(line);
  // Also on stderr, which the runner passes through whatever its reporter shows.
  console.error(`test/image: ${line}`);
  t.ok(a.compressedBytes <= 80 * MB, `compressed size ${(a.compressedBytes / MB).toFixed(1)} MB <= 80 MB`);
});

t.test('SBOM beside the archive: CycloneDX from npm, production dependencies, the runtime, the digest', async (t) => {
  const info = await imageInfo();
  const sbom = JSON.parse(readFileSync(join(IMAGE_DIR, 'sdb-tls-guard.cdx.json'), 'utf8')) as {
    bomFormat: string;
    specVersion: string;
    serialNumber: string;
    metadata: { timestamp: string; component?: { name: string; version: string }; properties?: { name: string; value: string }[] };
    components: { name: string; version: string; type: string }[];
  };
  t.equal(sbom.bomFormat, 'CycloneDX');
  t.match(sbom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(sbom.metadata.timestamp, new Date(info.sourceDateEpoch * 1000).toISOString(), 'the build time is SOURCE_DATE_EPOCH, not the clock');
  t.equal(sbom.metadata.component?.name, 'sdb-tls-guard');
  t.ok(sbom.metadata.properties?.some((p) => p.name === 'sdb-tls-guard:image:digest' && p.value === info.digest), 'names the image digest');
  const names = new Set(sbom.components.map((c) => c.name));
  for (const dep of Object.keys(pkg.dependencies)) t.ok(names.has(dep), `lists ${dep}`);
  for (const dev of ['tap', 'typescript', 'tsx', 'fast-check', 'autocannon']) t.notOk(names.has(dev), `does not list the dev dependency ${dev}`);
  const node = sbom.components.find((c) => c.name === 'node');
  t.equal(node?.version, info.node.replace(/^v/, ''), 'lists the Node.js runtime');
  // Every package the bundle holds is in the SBOM, at its version.
  const { layer } = await image();
  const bundled = JSON.parse(layer.find((e) => e.name === 'app/dist/bundle/packages.json')?.data.toString() ?? '[]') as { name: string; version: string }[];
  const listed = new Set(sbom.components.map((c) => `${c.name}@${c.version}`));
  t.ok(bundled.length > 50, `the bundle lists its packages (${bundled.length})`);
  t.strictSame(bundled.map((b) => `${b.name}@${b.version}`).filter((b) => !listed.has(b)), [], 'every bundled package is listed at its version');
});
