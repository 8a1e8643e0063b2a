// The bundle (scripts/bundle.mjs: dist/src and the dependencies it imports as one module,
// what the image, `npm start` and the e2e tier run) is the same program as dist/src: the
// CLI's whole case table gives the same exit status and output through it, `--version`
// and `help` answer the same, `serve --self-signed` answers /healthz; and only
// production packages of the lockfile went in. The bundle is made here when missing or
// older than dist/src (scripts/ensure-deps.sh makes it for npm test).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CASES } from '../cli/cases.js';
import { BUNDLE_JS, MAIN_JS, ROOT, runBuilt } from '../cli/harness.js';
import { productionPackages } from '../support/lockfile.js';

t.setTimeout(600_000);

t.before(() => {
  if (!existsSync(MAIN_JS)) {
    const r = spawnSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (!existsSync(MAIN_JS)) throw new Error(`tsc did not produce ${MAIN_JS}:\n${r.stdout}${r.stderr}`);
  }
  if (existsSync(BUNDLE_JS) && statSync(BUNDLE_JS).mtimeMs >= statSync(MAIN_JS).mtimeMs) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/bundle.mjs failed (${String(r.status)}):\n${r.stdout}${r.stderr}`);
});

for (const c of CASES) {
  t.test(`the bundle, like dist/src: ${c.name}`, async (t) => {
    const [bundled, built] = await Promise.all([runBuilt(c.argv, { ...c.opts, entry: BUNDLE_JS }), runBuilt(c.argv, c.opts)]);
    t.equal(bundled.code, c.code, `exit status\nstdout:\n${bundled.stdout}\nstderr:\n${bundled.stderr}`);
    c.verify(t, bundled);
    t.equal(bundled.stdout, built.stdout, 'the same stdout as dist/src/main.js');
  });
}

t.test('--version and help answer as dist/src does', (t) => {
  for (const argv of [['--version'], ['help']]) {
    const a = spawnSync(process.execPath, [BUNDLE_JS, ...argv], { encoding: 'utf8' });
    const b = spawnSync(process.execPath, [MAIN_JS, ...argv], { encoding: 'utf8' });
    t.equal(a.status, 0, `${argv.join(' ')}: exit 0`);
    t.equal(a.stdout, b.stdout, `${argv.join(' ')}: the same output`);
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.equal(spawnSync(process.execPath, [BUNDLE_JS, '--version'], { encoding: 'utf8' }).stdout.trim(), `sdb-tls-guard ${pkg.version}`, 'the version from package.json');
  t.end();
});

t.test('serve --self-signed from the bundle answers /healthz over HTTPS', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-bundle-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const caOut = path.join(dir, 'ca.pem');
  const child = spawn(process.execPath, [BUNDLE_JS, 'serve', '--self-signed', '--host', '127.0.0.1', '--port', '0', '--ca-out', caOut, '--reconcile=false'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${log}`)), 30_000);
    const look = (): void => {
      const m = /"address":"https:\/\/127\.0\.0\.1:(\d+)"/.exec(log);
      if (m?.[1] && existsSync(caOut)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      } else setTimeout(look, 50);
    };
    look();
  });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca: readFileSync(caOut, 'utf8'), timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 200, `/healthz on port ${port}`);
});

t.test('only production packages of the lockfile are bundled', (t) => {
  const bundled = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'bundle', 'packages.json'), 'utf8')) as { name: string; version: string }[];
  const prod = productionPackages(path.join(ROOT, 'package-lock.json'));
  t.ok(bundled.length > 50, `packages listed (${bundled.length})`);
  t.strictSame(bundled.map((b) => `${b.name}@${b.version}`).filter((b) => !prod.has(b)), [], 'each is a production package at its locked version');
  t.end();
});
