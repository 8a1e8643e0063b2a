// The serving certificate replaced on disk while the service is under load, through
// the real composition root (`sdb-tls-guard serve --cert --key`, in-process): zero
// failed requests, new connections get the new certificate, a bad pair written mid-way
// is refused while the old one keeps serving. The files are laid out the way the
// kubelet mounts a Secret (tls.crt -> ..data/tls.crt, ..data -> a timestamped dir,
// swapped atomically by renaming a new ..data symlink over the old).
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { run } from '../../src/main.js';
import { generateSelfSigned, type SelfSignedMaterial } from '../../src/server/selfsigned.js';
import { wrapReview, workedObjects } from '../fuzz/arbitraries.js';
import { after, post } from './support.js';

/** A timer that keeps the process alive (after() is unref'd). */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const addTls = workedObjects().find((o) => (o['metadata'] as { name: string }).name === 'sdbops-add-tls');
if (!addTls) throw new Error('test/fixtures/worked holds no sdbops-add-tls');
const REVIEW = JSON.stringify(wrapReview(addTls, { uid: 'fault-rotate-1' }));
const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;

class SecretDir {
  private n = 0;
  constructor(readonly dir: string) {}
  /** Write a new version and swap ..data to it atomically (what the kubelet does). */
  swap(cert: string, key: string): void {
    const version = `..2026_11_28_00_00_${String(this.n++).padStart(2, '0')}.${process.pid}`;
    mkdirSync(join(this.dir, version));
    writeFileSync(join(this.dir, version, 'tls.crt'), cert);
    writeFileSync(join(this.dir, version, 'tls.key'), key);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(version, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    if (this.n === 1) {
      symlinkSync(join('..data', 'tls.crt'), join(this.dir, 'tls.crt'));
      symlinkSync(join('..data', 'tls.key'), join(this.dir, 'tls.key'));
    }
  }
  /** Overwrite the current files in place, certificate first (a non-atomic writer). */
  async overwrite(cert: string, key: string, gapMs: number): Promise<void> {
    const cur = join(this.dir, readlinkSync(join(this.dir, '..data')));
    writeFileSync(join(cur, 'tls.crt'), cert);
    await sleep(gapMs);
    writeFileSync(join(cur, 'tls.key'), key);
  }
}

t.test('serving certificate replaced on disk during load: zero failed requests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdb-fault-cert-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pairs: SelfSignedMaterial[] = [];
  for (let i = 0; i < 4; i++) pairs.push(await generateSelfSigned({ namespace: 'fault', now: new Date() }));
  const [A, B, C, D] = pairs as [SelfSignedMaterial, SelfSignedMaterial, SelfSignedMaterial, SelfSignedMaterial];
  const ca = pairs.map((p) => p.caCert);
  const secret = new SecretDir(dir);
  secret.swap(A.cert, A.key);

  const logs: Record<string, unknown>[] = [];
  let raw = '';
  const stdout = new Writable({
    write(chunk: Buffer, _e, cb) {
      raw += chunk.toString('utf8');
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim().startsWith('{')) logs.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  let stop!: (sig: string) => void;
  const shutdown = new Promise<string>((r) => (stop = r));
  let port = 0;
  let exitCode: number | undefined;
  let markExited!: () => void;
  const exited = new Promise<void>((r) => (markExited = r));
  const listening = new Promise<void>((resolve) => {
    void run(['serve', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), '--port', '0', '--host', '127.0.0.1', '--reconcile=false'], {
      stdin: new PassThrough(),
      stdout,
      stderr: stdout,
      env: {},
      cwd: dir,
      shutdown,
      onListening: (i) => {
        port = i.port;
        resolve();
      },
    }).then((code) => {
      exitCode = code;
      markExited();
    });
  });
  await Promise.race([listening, after(20_000, undefined)]);
  t.not(port, 0, 'the service listens');
  if (port === 0) return;

  // Load: 4 workers on keep-alive connections, 4 opening a new TLS connection per request.
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const seen = new Set<string>();
  const worker = async (agent: Agent | false): Promise<void> => {
    while (running) {
      try {
        const r = await post(port, '/validate', REVIEW, { ca, agent });
        if (r.status === 200 && (JSON.parse(r.body) as { response: { uid: string } }).response.uid === 'fault-rotate-1') ok++;
        else failures.push(`status ${r.status}: ${r.body.slice(0, 200)}`);
        if (r.fingerprint256) seen.add(r.fingerprint256);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const agents = Array.from({ length: 4 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const load = Promise.all([...agents.map((a) => worker(a)), ...Array.from({ length: 4 }, () => worker(false))]);

  /** Poll with fresh connections until the served certificate is `want` (or time out). */
  const servedBecomes = async (want: string, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const r = await post(port, '/validate', REVIEW, { ca, agent: false }).catch(() => undefined);
      if (r?.fingerprint256 === want) return true;
      await sleep(100);
    }
    return false;
  };

  await sleep(500);
  t.ok(await servedBecomes(fp(A.cert), 2000), 'serving A');
  secret.swap(B.cert, B.key);
  t.ok(await servedBecomes(fp(B.cert), 10_000), 'atomic ..data swap: new connections get B');

  // A bad pair (C's certificate with B's key): refused, B keeps serving.
  secret.swap(C.cert, B.key);
  await sleep(1500);
  t.ok(await servedBecomes(fp(B.cert), 500), 'mismatched pair refused: still serving B');

  // Non-atomic in-place writes: certificate first, key 300 ms later (mismatched between).
  await secret.overwrite(D.cert, D.key, 300);
  t.ok(await servedBecomes(fp(D.cert), 10_000), 'in-place rewrite: new connections get D');
  await sleep(500);

  running = false;
  await load;
  for (const a of agents) a.destroy();
  stop('SIGTERM');
  await Promise.race([exited, sleep(5000)]);

  t.equal(exitCode, 0, 'serve stopped cleanly on shutdown');
  t.same(failures.slice(0, 5), [], 'zero failed requests');
  t.ok(ok > 50, `requests answered during the rotations: ${ok}`);
  t.ok(seen.has(fp(A.cert)) && seen.has(fp(B.cert)) && seen.has(fp(D.cert)), 'the load saw A, B and D');
  t.notOk(seen.has(fp(C.cert)), 'the mismatched certificate was never served');
  const reloaded = logs.filter((l) => l['msg'] === 'serving certificate reloaded');
  t.ok(reloaded.length >= 2, `reloads logged: ${reloaded.length}`);
  t.ok(logs.some((l) => l['msg'] === 'serving certificate not reloaded; keeping the current one'), 'the refused pair was logged');
  t.notMatch(raw, /PRIVATE KEY|BEGIN CERTIFICATE/, 'no key or certificate material in the log');
  for (const p of pairs) t.notOk(raw.includes(p.key.split('\n')[1] ?? '!'), 'no private key bytes in the log');
});
