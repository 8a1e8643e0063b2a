// The binary's dispatch and `serve` start-up/shutdown, run in-process through run().
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import t from 'tap';
import type { CheckReport } from '../../src/cli/output.js';
import { packageVersion, run, type MainIO } from '../../src/main.js';
import { WORKED_DIR } from '../server/helpers.js';

function io(over: Partial<MainIO> = {}) {
  let out = '';
  let err = '';
  const stdout = new Writable({
    write: (c: Buffer, _e, cb) => {
      out += c.toString();
      cb();
    },
  });
  const stderr = new Writable({
    write: (c: Buffer, _e, cb) => {
      err += c.toString();
      cb();
    },
  });
  const value: MainIO = { stdin: new PassThrough(), stdout, stderr, env: {}, cwd: process.cwd(), ...over };
  return { io: value, out: () => out, err: () => err };
}

const dir = mkdtempSync(join(tmpdir(), 'sdb-tls-guard-main-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('--version, help and unknown commands', async (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal(packageVersion(), version);
  const v = io();
  t.equal(await run(['--version'], v.io), 0);
  t.equal(v.out(), `sdb-tls-guard ${version}\n`);
  const h = io();
  t.equal(await run(['help'], h.io), 0);
  t.match(h.out(), /^Usage: sdb-tls-guard <command> \[flags\]/);
  const none = io();
  t.equal(await run([], none.io), 2);
  t.match(none.err(), /^Usage: sdb-tls-guard/);
  const bad = io();
  t.equal(await run(['serv'], bad.io), 2);
  t.match(bad.err(), /^sdb-tls-guard: unknown command "serv"/);
  const sh = io();
  t.equal(await run(['serve', '--help'], sh.io), 0);
  t.match(sh.out(), /^Usage: sdb-tls-guard serve \[flags\]/);
});

t.test('serve: configuration errors exit 2 with a message before anything listens', async (t) => {
  const badPolicy = join(dir, 'policy.yaml');
  writeFileSync(badPolicy, 'allowedIssuers: 5\n');
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['unknown flag', ['serve', '--self-signed', '--prot', '1'], {}, /^sdb-tls-guard serve: unknown flag --prot\nRun 'sdb-tls-guard serve --help' for usage\.\n$/],
    ['no TLS', ['serve'], {}, /^sdb-tls-guard serve: serving needs TLS: pass --cert FILE --key FILE, or --self-signed for local use\n/],
    ['bad policy', ['serve', '--self-signed', '--policy', badPolicy], {}, new RegExp(`^sdb-tls-guard serve: .*${badPolicy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*allowedIssuers`)],
    ['missing policy', ['serve', '--self-signed', '--policy', join(dir, 'none.yaml')], {}, /^sdb-tls-guard serve: cannot read policy file .*none\.yaml: ENOENT\n$/],
    ['missing kubeconfig', ['serve', '--self-signed', '--kubeconfig', join(dir, 'kc')], {}, /^sdb-tls-guard serve: kubeconfig .*kc \(--kubeconfig\) does not exist\n$/],
    ['bad KUBECONFIG', ['serve', '--self-signed'], { KUBECONFIG: join(dir, 'kc') }, /^sdb-tls-guard serve: KUBECONFIG names no existing file: /],
    ['context without kubeconfig', ['serve', '--self-signed', '--context', 'dev'], {}, /^sdb-tls-guard serve: --context dev given but no kubeconfig was found/],
    ['missing cert files', ['serve', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')], {}, /^sdb-tls-guard serve: cannot read certificate .*tls\.crt: ENOENT\n$/],
    ['missing client CA', ['serve', '--self-signed', '--client-ca', join(dir, 'ca.crt')], {}, /^sdb-tls-guard serve: cannot read client CA .*ca\.crt: ENOENT\n$/],
  ];
  for (const [name, argv, env, message] of cases) {
    const c = io({ env });
    t.equal(await run(argv, c.io), 2, `${name}: exit 2`);
    t.match(c.err(), message, `${name}: message`);
  }
});

function get(port: number, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('serve --self-signed without a kubeconfig: listens, says cluster rules are off, shuts down on the signal', async (t) => {
  let stop!: (s: string) => void;
  const shutdown = new Promise<string>((r) => (stop = r));
  let listening!: (i: { port: number; caPem?: string }) => void;
  const up = new Promise<{ port: number; caPem?: string }>((r) => (listening = r));
  const c = io({ shutdown, onListening: (i) => listening(i) });
  const done = run(['serve', '--self-signed', '--port', '0', '--host', '127.0.0.1', '--namespace', 'guard'], c.io);
  const { port, caPem } = await up;
  t.ok(caPem?.startsWith('-----BEGIN CERTIFICATE-----'), 'CA handed over');
  if (caPem === undefined) return;
  t.match(c.err(), /^sdb-tls-guard: self-signed serving certificate for localhost, sdb-tls-guard, sdb-tls-guard\.guard, sdb-tls-guard\.guard\.svc, sdb-tls-guard\.guard\.svc\.cluster\.local, 127\.0\.0\.1, ::1\nCA bundle \(PEM; e\.g\. curl --cacert\):\n-----BEGIN CERTIFICATE-----/);
  t.ok(c.err().includes(`caBundle (base64, for the webhook configurations):\n${Buffer.from(caPem).toString('base64')}\n`), 'base64 caBundle printed');

  const ready = await get(port, '/readyz', caPem);
  t.equal(ready.status, 200);
  t.match(JSON.parse(ready.body), { ready: true, clusterRules: 'not-evaluated', message: /cluster rules are not evaluated/ });

  stop('SIGTERM');
  t.equal(await done, 0);
  const lines = c.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const msgs = lines.map((l) => l['msg']);
  t.ok(msgs.includes('no kubeconfig (--kubeconfig, KUBECONFIG or in-cluster): cluster rules are not evaluated, only static and policy rules run'));
  t.ok(msgs.includes('sdb-tls-guard serving'));
  t.ok(msgs.includes('reconciler not started: it needs a kubeconfig'));
  t.match(lines.find((l) => l['msg'] === 'shutting down'), { signal: 'SIGTERM' });
  t.equal(msgs[msgs.length - 1], 'stopped');
  t.notOk(c.out().includes('BEGIN CERTIFICATE'), 'no certificate material in the log');
  await t.rejects(get(port, '/healthz', caPem), { code: 'ECONNREFUSED' }, 'closed after shutdown');
});

t.test('serve --self-signed --ca-out writes the CA file instead of printing it', async (t) => {
  let stop!: (s: string) => void;
  const shutdown = new Promise<string>((r) => (stop = r));
  let listening!: (i: { port: number }) => void;
  const up = new Promise<{ port: number }>((r) => (listening = r));
  const caOut = join(dir, 'ca.pem');
  const c = io({ shutdown, onListening: (i) => listening(i) });
  const done = run(['serve', '--self-signed', '--ca-out', caOut, '--port', '0', '--host', '127.0.0.1', '--reconcile=false'], c.io);
  const { port } = await up;
  t.equal(c.err(), '', 'nothing on stderr');
  const ca = readFileSync(caOut, 'utf8');
  t.equal((await get(port, '/healthz', ca)).status, 200, 'the written CA verifies the server');
  stop('SIGINT');
  t.equal(await done, 0);
  t.notOk(c.out().includes('reconciler not started'), '--reconcile=false: no reconciler warning');
});

t.test('check is dispatched to the CLI', async (t) => {
  const c = io();
  const code = await run(['check', '--output', 'json', join(WORKED_DIR, 'add-tls.yaml')], c.io);
  t.equal(code, 0);
  const doc = JSON.parse(c.out()) as CheckReport;
  t.equal(doc.summary.checked, 1);
  t.equal(doc.results[0]?.name, 'sdbops-add-tls');
});

t.test('serve --shutdown-delay: /readyz fails while draining, requests are still answered, then it closes', async (t) => {
  let stop!: (s: string) => void;
  const shutdown = new Promise<string>((r) => (stop = r));
  let listening!: (i: { port: number; caPem?: string }) => void;
  const up = new Promise<{ port: number; caPem?: string }>((r) => (listening = r));
  const c = io({ shutdown, onListening: (i) => listening(i) });
  const done = run(['serve', '--self-signed', '--port', '0', '--host', '127.0.0.1', '--shutdown-delay', '400ms', '--reconcile=false'], c.io);
  const { port, caPem } = await up;
  if (caPem === undefined) throw new Error('no CA handed over');
  t.equal((await get(port, '/readyz', caPem)).status, 200);
  stop('SIGTERM');
  await new Promise((r) => setTimeout(r, 50));
  const draining = await get(port, '/readyz', caPem);
  t.equal(draining.status, 503, 'not ready while draining');
  t.match(JSON.parse(draining.body), { ready: false, message: 'shutting down: draining for 0.4s' });
  t.equal((await get(port, '/healthz', caPem)).status, 200, 'still serving while draining');
  t.equal(await done, 0);
  t.match(c.out(), /"drainMs":400/);
});

t.test("serve with a kubeconfig: the reconciler's caches only with --reconcile, and a missing one does not make /readyz fail", async (t) => {
  // A fake API server: empty lists and open watches for every kind but PetSets (CRD not
  // installed); the pods list is answered 300 ms late.
  const listed: string[] = [];
  const held: import('node:http').ServerResponse[] = [];
  const known = ['/apis/kubedb.com/v1alpha2/singlestores', '/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests', '/apis/cert-manager.io/v1/issuers', '/apis/cert-manager.io/v1/clusterissuers', '/apis/cert-manager.io/v1/certificates', '/api/v1/pods'];
  const { createServer } = await import('node:http');
  const api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!known.includes(url.pathname)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 404, message: 'not found' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('watch') === 'true') {
      held.push(res);
      res.flushHeaders();
      return;
    }
    // The pods list answers late, as a busy API server may: readiness must not wait for it.
    setTimeout(
      () => {
        listed.push(url.pathname);
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: [] }));
      },
      url.pathname === '/api/v1/pods' ? 300 : 0,
    );
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  t.teardown(async () => {
    for (const w of held) w.destroy();
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
  });
  const kc = join(dir, 'fake.kubeconfig');
  writeFileSync(
    kc,
    `apiVersion: v1\nkind: Config\nclusters: [{name: fake, cluster: {server: "http://127.0.0.1:${(api.address() as import('node:net').AddressInfo).port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: fake, context: {cluster: fake, user: u}}]\ncurrent-context: fake\n`,
  );
  for (const reconcile of [false, true]) {
    listed.length = 0;
    let stop!: (s: string) => void;
    const shutdown = new Promise<string>((r) => (stop = r));
    let listening!: (i: { port: number; caPem?: string }) => void;
    const up = new Promise<{ port: number; caPem?: string }>((r) => (listening = r));
    const c = io({ shutdown, onListening: (i) => listening(i) });
    const done = run(['serve', '--self-signed', '--port', '0', '--host', '127.0.0.1', '--kubeconfig', kc, `--reconcile=${String(reconcile)}`], c.io);
    const { port, caPem } = await up;
    if (caPem === undefined) throw new Error('no CA handed over');
    let ready = await get(port, '/readyz', caPem);
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await get(port, '/readyz', caPem);
    }
    t.equal(ready.status, 200, `--reconcile=${String(reconcile)}: ready`);
    // Readiness waits only for the webhook's four caches; the reconciler's list after them
    // (one page in flight at a time), so wait until they have tried (pods listed, the
    // PetSets' list answered 404) before reading what /readyz says of them.
    for (let i = 0; reconcile && i < 200 && (!listed.includes('/api/v1/pods') || /petsets[^;]*\(listing\)/.test(ready.body)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await get(port, '/readyz', caPem);
    }
    const body = JSON.parse(ready.body) as { caches: { resource: string; synced: boolean; gatesReadiness: boolean }[]; message: string };
    const resources = body.caches.map((x) => x.resource);
    if (!reconcile) {
      t.strictSame(resources, ['singlestores.kubedb.com', 'singlestoreopsrequests.ops.kubedb.com', 'issuers.cert-manager.io', 'clusterissuers.cert-manager.io'], '--reconcile=false: the four webhook caches only');
      t.notOk(listed.some((p) => p.includes('pods') || p.includes('certificates') || p.includes('petsets')), 'nothing of the reconciler is listed');
    } else {
      t.strictSame(resources.slice(4), ['certificates.cert-manager.io', 'petsets.apps.k8s.appscode.com', 'pods'], 'with the reconciler: its three caches too');
      t.match(body.caches.find((x) => x.resource === 'petsets.apps.k8s.appscode.com'), { synced: false, gatesReadiness: false }, 'PetSets not served: reported, not waited for');
      t.match(body.message, /reconciler caches not synced \(they do not gate readiness\): petsets\.apps\.k8s\.appscode\.com/);
      t.ok(listed.includes('/api/v1/pods'), 'pods are listed');
    }
    stop('SIGTERM');
    t.equal(await done, 0);
  }
});
