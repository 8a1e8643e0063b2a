// The bootstrap certificate loop against in-memory ports, on a fake clock: Secret
// creation, two replicas racing, renewals, CA rotation with overlap, caBundle patches.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, stat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileWriter } from '../../src/kube/cert-bootstrap/files.js';
import { caBundlePatch, startCertBootstrap, type CertBootstrapDeps } from '../../src/kube/cert-bootstrap/loop.js';
import {
  SECRET_KEYS,
  type BootstrapSecretPort,
  type CertFileWriter,
  type JsonPatchOp,
  type SecretObject,
  type WebhookConfigObject,
  type WebhookConfigPort,
  type WebhookKind,
} from '../../src/kube/cert-bootstrap/ports.js';
import { StatusError } from '../../src/kube/ports.js';
import { DAY_MS, DEFAULT_RENEWAL } from '../../src/core/cert-renewal.js';

const NS = 'sdb-tls-guard';
const SECRET = 'sdb-tls-guard-bootstrap-certs';
const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);

class MemorySecrets implements BootstrapSecretPort {
  store = new Map<string, SecretObject>();
  rv = 0;
  creates = 0;
  replaces = 0;
  conflicts = 0;
  failGet: Error | undefined;
  async get(ns: string, name: string) {
    await Promise.resolve();
    if (this.failGet) throw this.failGet;
    const s = this.store.get(`${ns}/${name}`);
    return s ? structuredClone(s) : undefined;
  }
  async create(ns: string, s: SecretObject) {
    await Promise.resolve();
    const key = `${ns}/${String(s.metadata?.name)}`;
    if (this.store.has(key)) {
      this.conflicts++;
      throw new StatusError(409, 'AlreadyExists');
    }
    const out = structuredClone({ ...s, metadata: { ...s.metadata, resourceVersion: String(++this.rv) } });
    this.store.set(key, out);
    this.creates++;
    return structuredClone(out);
  }
  async replace(ns: string, name: string, s: SecretObject) {
    await Promise.resolve();
    const key = `${ns}/${name}`;
    const cur = this.store.get(key);
    if (!cur) throw new StatusError(404, 'NotFound');
    if (s.metadata?.resourceVersion !== cur.metadata?.resourceVersion) {
      this.conflicts++;
      throw new StatusError(409, 'Conflict');
    }
    const out = structuredClone({ ...s, metadata: { ...s.metadata, resourceVersion: String(++this.rv) } });
    this.store.set(key, out);
    this.replaces++;
    return structuredClone(out);
  }
  data(key: string): string | undefined {
    const v = this.store.get(`${NS}/${SECRET}`)?.data?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  }
  /** data(key) where the key must be there. */
  present(key: string): string {
    const v = this.data(key);
    if (v === undefined) throw new Error(`the bootstrap Secret has no ${key}`);
    return v;
  }
}

class MemoryWebhooks implements WebhookConfigPort {
  configs = new Map<string, WebhookConfigObject>();
  patches: { kind: WebhookKind; name: string; ops: JsonPatchOp[] }[] = [];
  add(kind: WebhookKind, name: string, webhookNames: string[]) {
    this.configs.set(`${kind}/${name}`, {
      metadata: { name },
      webhooks: webhookNames.map((n) => ({ name: n, clientConfig: { service: { name: 'sdb-tls-guard', namespace: NS } } })),
    });
  }
  async get(kind: WebhookKind, name: string) {
    const c = this.configs.get(`${kind}/${name}`);
    return c ? structuredClone(c) : undefined;
  }
  async patch(kind: WebhookKind, name: string, ops: JsonPatchOp[]) {
    const c = this.configs.get(`${kind}/${name}`);
    if (!c) throw new StatusError(404, 'NotFound');
    const copy = structuredClone(c);
    for (const op of ops) {
      const m = /^\/webhooks\/(\d+)\/(name|clientConfig\/caBundle)$/.exec(op.path);
      if (!m) throw new Error(`unexpected patch path ${op.path}`);
      const w = copy.webhooks?.[Number(m[1])];
      if (!w) throw new StatusError(422, 'index out of range');
      if (op.op === 'test') {
        if (w.name !== op.value) throw new StatusError(422, 'test failed');
      } else {
        w.clientConfig = { ...(w.clientConfig ?? {}), caBundle: op.value as string };
      }
    }
    this.configs.set(`${kind}/${name}`, copy);
    this.patches.push({ kind, name, ops });
  }
  bundle(kind: WebhookKind, name = 'sdb-tls-guard'): string[] {
    return (this.configs.get(`${kind}/${name}`)?.webhooks ?? []).map((w) =>
      Buffer.from(w.clientConfig?.caBundle ?? '', 'base64').toString('utf8'),
    );
  }
}

class MemoryFiles implements CertFileWriter {
  cert = '';
  key = '';
  writes = 0;
  async write(cert: string, key: string) {
    if (cert === this.cert && key === this.key) return false;
    this.cert = cert;
    this.key = key;
    this.writes++;
    return true;
  }
}

interface Harness {
  secrets: MemorySecrets;
  webhooks: MemoryWebhooks;
  clock: { now: number };
  timers: { ms: number }[];
  logs: { level: string; msg: string; obj: object }[];
  deps(files: CertFileWriter, over?: Partial<CertBootstrapDeps>): CertBootstrapDeps;
}

function harness(): Harness {
  const secrets = new MemorySecrets();
  const webhooks = new MemoryWebhooks();
  webhooks.add('validating', 'sdb-tls-guard', ['validate.sdb-tls-guard.io']);
  webhooks.add('mutating', 'sdb-tls-guard', ['default.sdb-tls-guard.io']);
  webhooks.add('validating', 'someone-else', ['other.example.com']);
  const clock = { now: T0 };
  const timers: { ms: number }[] = [];
  const logs: Harness['logs'] = [];
  const logger = {
    info: (obj: object, msg: string) => logs.push({ level: 'info', msg, obj }),
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', msg, obj }),
    error: (obj: object, msg: string) => logs.push({ level: 'error', msg, obj }),
  };
  return {
    secrets,
    webhooks,
    clock,
    timers,
    logs,
    deps: (files, over = {}) => ({
      namespace: NS,
      secretName: SECRET,
      webhookConfigurations: { validating: 'sdb-tls-guard', mutating: 'sdb-tls-guard' },
      serviceName: 'sdb-tls-guard',
      secrets,
      webhooks,
      files,
      logger,
      now: () => clock.now,
      setTimer: (_fn, ms) => {
        timers.push({ ms });
        return timers.length;
      },
      clearTimer: () => undefined,
      ...over,
    }),
  };
}

const pems = (bundle: string | undefined) => (bundle ?? '').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];

t.test('first start: creates the Secret, writes the files, patches both configurations', async (t) => {
  const h = harness();
  const files = new MemoryFiles();
  const b = startCertBootstrap(h.deps(files));
  await b.ready;
  await b.syncNow(); // joins the first pass, still running
  const r = await b.syncNow();
  await b.stop();
  t.equal(h.secrets.creates, 1, 'one Secret created');
  t.strictSame(Object.keys(h.secrets.store.get(`${NS}/${SECRET}`)?.data ?? {}).sort(), ['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  t.equal(files.cert, h.secrets.data(SECRET_KEYS.cert), 'files hold the Secret pair');
  t.equal(files.key, h.secrets.data(SECRET_KEYS.key));
  const ca = new X509Certificate(h.secrets.present(SECRET_KEYS.ca));
  const serving = new X509Certificate(files.cert);
  t.ok(serving.verify(ca.publicKey), 'serving signed by the CA');
  t.equal(ca.ca, true, 'CA is a CA');
  t.equal(serving.ca, false);
  t.equal(
    serving.subjectAltName,
    'DNS:sdb-tls-guard, DNS:sdb-tls-guard.sdb-tls-guard, DNS:sdb-tls-guard.sdb-tls-guard.svc, DNS:sdb-tls-guard.sdb-tls-guard.svc.cluster.local',
  );
  t.equal(Date.parse(serving.validTo), T0 + DEFAULT_RENEWAL.servingLifetimeMs);
  t.strictSame(h.webhooks.bundle('validating'), [h.secrets.data(SECRET_KEYS.ca)]);
  t.strictSame(h.webhooks.bundle('mutating'), [h.secrets.data(SECRET_KEYS.ca)]);
  t.strictSame(h.webhooks.bundle('validating', 'someone-else'), [''], 'another configuration is untouched');
  t.equal(h.secrets.data(SECRET_KEYS.bundle), h.secrets.data(SECRET_KEYS.ca));
  // the second pass (syncNow above) found nothing to do
  t.strictSame(r, { wroteSecret: false, wroteFiles: false, patched: [], missing: [], nextAt: T0 + 5 * 60 * 1000 });
  t.equal(h.webhooks.patches.length, 2, 'one patch per configuration, none on the idle pass');
  t.notMatch(JSON.stringify(h.logs), /BEGIN/, 'no certificate or key material in logs');
});

t.test('two replicas racing on an empty namespace end with one Secret and the same pair', async (t) => {
  const h = harness();
  const fa = new MemoryFiles();
  const fb = new MemoryFiles();
  const a = startCertBootstrap(h.deps(fa));
  const b = startCertBootstrap(h.deps(fb));
  await Promise.all([a.ready, b.ready]);
  await Promise.all([a.stop(), b.stop()]);
  t.equal(h.secrets.creates, 1, 'exactly one create succeeded');
  t.equal(h.secrets.conflicts, 1, 'the other replica got 409 and re-read');
  t.equal(fa.cert, fb.cert, 'both serve the same certificate');
  t.equal(fa.key, fb.key);
  t.equal(fa.cert, h.secrets.data(SECRET_KEYS.cert));
  t.ok(h.logs.some((l) => l.msg === 'another replica wrote the bootstrap Secret first; reading it again'));
});

t.test('renewals over time: serving at 2/3 of its life, CA rotation with overlap', async (t) => {
  const h = harness();
  const files = new MemoryFiles();
  const b = startCertBootstrap(h.deps(files));
  await b.ready;
  await b.syncNow();
  const ca1 = h.secrets.present(SECRET_KEYS.ca);
  const s1 = files.cert;

  h.clock.now = T0 + 59 * DAY_MS;
  let r = await b.syncNow();
  t.equal(r.wroteSecret, false, 'day 59: nothing to renew');

  h.clock.now = T0 + 60 * DAY_MS;
  r = await b.syncNow();
  t.equal(r.wroteSecret, true, 'day 60: serving renewed');
  t.equal(r.wroteFiles, true);
  t.strictSame(r.patched, [], 'same CA: caBundle unchanged');
  t.not(files.cert, s1);
  t.equal(h.secrets.data(SECRET_KEYS.ca), ca1);

  // CA: 3 years, rotated when a third is left (after 2 years)
  const rotation = T0 + 2 * 365 * DAY_MS + 1;
  h.clock.now = rotation - 2 * DAY_MS;
  await b.syncNow(); // serving renewals keep happening before the rotation
  const sBefore = files.cert;
  h.clock.now = rotation;
  r = await b.syncNow();
  const ca2 = h.secrets.present(SECRET_KEYS.ca);
  t.not(ca2, ca1, 'a new CA');
  t.equal(h.secrets.data(SECRET_KEYS.previousCa), ca1, 'the old CA is kept as previous');
  t.strictSame(pems(h.webhooks.bundle('validating')[0]), [ca2, ca1], 'caBundle: new + old');
  t.strictSame(pems(h.webhooks.bundle('mutating')[0]), [ca2, ca1]);
  t.strictSame(r.patched, ['validating', 'mutating']);
  t.equal(files.cert, sBefore, 'serving certificate unchanged during the overlap');
  t.equal(r.nextAt, rotation + 5 * 60 * 1000, 'next pass at the resync (before the overlap ends)');

  h.clock.now = rotation + DEFAULT_RENEWAL.caOverlapMs - 60_000;
  r = await b.syncNow();
  t.equal(r.wroteFiles, false, 'a minute before the overlap ends: still the old serving certificate');
  t.equal(r.nextAt, rotation - (rotation % 1000) + DEFAULT_RENEWAL.caOverlapMs, 'next pass when the overlap ends (X.509 times are whole seconds)');

  h.clock.now = r.nextAt;
  r = await b.syncNow();
  t.equal(r.wroteFiles, true, 'after the overlap the serving certificate is re-issued');
  t.ok(new X509Certificate(files.cert).verify(new X509Certificate(ca2).publicKey), 'by the new CA');
  t.strictSame(r.patched, [], 'bundle unchanged');

  h.clock.now = T0 + 3 * 365 * DAY_MS + 1; // the old CA expired
  await b.syncNow();
  t.equal(h.secrets.data(SECRET_KEYS.previousCa), undefined, 'previous CA dropped');
  t.strictSame(pems(h.webhooks.bundle('validating')[0]), [ca2], 'caBundle: new CA only');
  await b.stop();
});

t.test('a missing webhook configuration: files still written, looked for again soon', async (t) => {
  const h = harness();
  h.webhooks.configs.delete('mutating/sdb-tls-guard');
  const files = new MemoryFiles();
  const b = startCertBootstrap(h.deps(files));
  await b.ready;
  await b.syncNow();
  const r = await b.syncNow();
  await b.stop();
  t.ok(files.cert.length > 0);
  t.strictSame(r.missing, ['mutating']);
  t.equal(r.nextAt, T0 + 10_000);
  t.ok(h.logs.some((l) => l.level === 'warn' && l.msg === 'webhook configuration not found; caBundle not set yet'));
});

t.test('API errors: retried with a doubling delay, then back to normal', async (t) => {
  const h = harness();
  h.secrets.failGet = new StatusError(500, 'etcd unavailable');
  const files = new MemoryFiles();
  const b = startCertBootstrap(h.deps(files, { retryMs: 1000, maxRetryMs: 4000 }));
  await t.rejects(b.syncNow(), /etcd unavailable/); // joins the initial pass
  await t.rejects(b.syncNow(), /etcd unavailable/);
  await t.rejects(b.syncNow(), /etcd unavailable/);
  await t.rejects(b.syncNow(), /etcd unavailable/);
  t.strictSame(h.timers.map((x) => x.ms), [1000, 2000, 4000, 4000], 'four failed passes: doubling, capped');
  t.equal(h.logs.filter((l) => l.level === 'error').length, 4);
  h.secrets.failGet = undefined;
  await b.syncNow();
  await b.ready;
  t.equal(h.timers.at(-1)?.ms, 5 * 60 * 1000, 'normal resync after success');
  await b.stop();
});

t.test('a foreign or damaged Secret is repaired in place (resourceVersion kept)', async (t) => {
  const h = harness();
  h.secrets.store.set(`${NS}/${SECRET}`, {
    metadata: { name: SECRET, namespace: NS, resourceVersion: '7', labels: { keep: 'me' } },
    data: { 'tls.crt': Buffer.from('garbage').toString('base64') },
  });
  h.secrets.rv = 7;
  const files = new MemoryFiles();
  const b = startCertBootstrap(h.deps(files));
  await b.ready;
  await b.stop();
  t.equal(h.secrets.replaces, 1);
  t.equal(h.secrets.creates, 0);
  t.equal(h.secrets.store.get(`${NS}/${SECRET}`)?.metadata?.labels?.['keep'], 'me');
  t.ok(new X509Certificate(files.cert));
});

t.test('bad renewal settings are refused at start', async (t) => {
  const h = harness();
  t.throws(
    () => startCertBootstrap(h.deps(new MemoryFiles(), { renewal: { servingLifetimeMs: 5 * 365 * DAY_MS } })),
    /must not exceed caLifetimeMs × renewFraction/,
  );
});

t.test('caBundlePatch: guarded adds for the entries that differ only', async (t) => {
  const cfg: WebhookConfigObject = {
    webhooks: [
      { name: 'a.example.com', clientConfig: { caBundle: 'NEW' } },
      { name: 'b.example.com', clientConfig: {} },
    ],
  };
  t.strictSame(caBundlePatch(cfg, 'NEW'), [
    { op: 'test', path: '/webhooks/1/name', value: 'b.example.com' },
    { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: 'NEW' },
  ]);
  t.strictSame(caBundlePatch({ webhooks: [{ name: 'a', clientConfig: { caBundle: 'X' } }] }, 'X'), []);
  t.strictSame(caBundlePatch({}, 'X'), []);
});

t.test('fileWriter: atomic, 0600, writes only on change', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sdb-certs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const w = fileWriter(path.join(dir, 'certs', 'tls.crt'), path.join(dir, 'certs', 'tls.key'));
  t.equal(await w.write('CERT1', 'KEY1'), true);
  t.equal(await w.write('CERT1', 'KEY1'), false);
  t.equal(await readFile(path.join(dir, 'certs', 'tls.crt'), 'utf8'), 'CERT1');
  t.equal((await stat(path.join(dir, 'certs', 'tls.key'))).mode & 0o777, 0o600);
  t.equal(await w.write('CERT2', 'KEY1'), true);
  t.equal(await readFile(path.join(dir, 'certs', 'tls.crt'), 'utf8'), 'CERT2');
  t.equal(await readFile(path.join(dir, 'certs', 'tls.key'), 'utf8'), 'KEY1');
});
