// E2E reconciler scenarios: `sdb-tls-guard serve --self-signed` with the reconciler on
// (leader election through a Lease), registered from webhook-config/, against a real
// kube-apiserver + etcd. cert-manager and the PetSet controller do not run here; the
// TEST-ONLY stand-ins of ./harness/stand-ins.ts do their part through the API server.
import t, { type Test } from 'tap';
import type { PetSet, Singlestore, SinglestoreOpsRequest, TLSConfig } from '../../src/api/types.js';
import {
  createOps,
  dbPath,
  newNamespace,
  opsPath,
  R,
  registerWebhooks,
  resourcePath,
  seedPetSets,
  seedState,
  sleep,
  startControlPlane,
  startWebhook,
  waitFor,
  workedRequest,
  type ApiClient,
  type ControlPlane,
  type Obj,
  type Webhook,
} from './harness/index.js';
import { TestOnlyCertManager, TestOnlyPetSetController } from './harness/stand-ins.js';

let cp: ControlPlane;
let wh: Webhook;

t.before(async () => {
  cp = await startControlPlane({ log: (l) => t.comment(l) });
  // The reconciler's leader-election Lease lives in --namespace.
  await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sdb-tls-guard' } }), 'namespace sdb-tls-guard');
  wh = await startWebhook(cp, { reconcile: true });
  await registerWebhooks(cp.api, wh);
  t.comment(`API server version: ${cp.version} (etcd ${cp.etcdVersion}); webhook + reconciler at ${wh.url}`);
});

t.teardown(async () => {
  await wh?.stop();
  await cp?.stop();
});

interface Running {
  ns: string;
  db: Singlestore;
  certManager: TestOnlyCertManager;
  petSets: TestOnlyPetSetController;
  stop(): Promise<void>;
}

async function cluster(prefix: string, state: string, patchDb?: (db: Obj) => void, patchIssuers?: (o: Obj) => void): Promise<Running> {
  const ns = await newNamespace(cp.api, prefix);
  const seeded = await seedState(cp.api, ns, state, patchDb ? { dbPatch: patchDb } : {});
  for (const i of seeded.issuers) patchIssuers?.(i);
  const db = seeded.database as Singlestore;
  await seedPetSets(cp.api, db);
  const certManager = new TestOnlyCertManager(cp.api, ns).start();
  const petSets = new TestOnlyPetSetController(cp.api, ns).start();
  // Settle: every pod Ready, every certificate issued.
  await waitFor(
    `${ns}: pods Ready and certificates issued`,
    async () => {
      const pods = await cp.api.must<{ items: Obj[] }>(cp.api.get(resourcePath(R.pod, ns)), 'pods');
      const ready = pods.items.filter((p) => ((p.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
      const certs = await cp.api.must<{ items: Obj[] }>(cp.api.get(resourcePath(R.certificate, ns)), 'certs');
      const issued = certs.items.filter((c) => ((c.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True'));
      const wantCerts = db.spec?.tls?.certificates?.length ?? 0;
      return ready.length === 3 && issued.length === wantCerts ? true : undefined;
    },
    30_000,
  );
  return {
    ns,
    db,
    certManager,
    petSets,
    stop: async () => {
      await certManager.stop();
      await petSets.stop();
    },
  };
}

const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);

async function until(ns: string, name: string, timeoutMs: number): Promise<{ req: SinglestoreOpsRequest; db: Singlestore }> {
  return waitFor(
    `${ns}/${name} terminal and the database resumed`,
    async () => {
      const req = await cp.api.must<SinglestoreOpsRequest>(cp.api.get(opsPath(ns, name)), 'request');
      const db = await cp.api.must<Singlestore>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database');
      const paused = (db.status?.conditions ?? []).some((c) => c.type === 'Paused' && c.status !== 'False');
      return TERMINAL.has(req.status?.phase ?? '') && !paused ? { req, db } : undefined;
    },
    timeoutMs,
    500,
  );
}

async function podUids(ns: string): Promise<Map<string, string>> {
  const pods = await cp.api.must<{ items: Obj[] }>(cp.api.get(resourcePath(R.pod, ns)), 'pods');
  return new Map(pods.items.map((p) => [p.metadata?.name ?? '', p.metadata?.uid ?? '']));
}

const tlsOf = (db: Singlestore): TLSConfig | undefined => db.spec?.tls;

async function certificates(ns: string): Promise<Map<string, Obj>> {
  const list = await cp.api.must<{ items: Obj[] }>(cp.api.get(resourcePath(R.certificate, ns)), 'certificates');
  return new Map(list.items.map((c) => [c.metadata?.name ?? '', c]));
}

async function tlsVolumes(ns: string): Promise<string[]> {
  const list = await cp.api.must<{ items: PetSet[] }>(cp.api.get(resourcePath(R.petSet, ns)), 'petsets');
  return list.items
    .filter((ps) => (ps.spec?.template?.spec?.volumes ?? []).some((v) => v.name === 'tls-volume'))
    .map((ps) => ps.metadata?.name ?? '')
    .sort();
}

const BOTH_PETSETS = ['sample-sdb-aggregator', 'sample-sdb-leaf'];

const WORKED: { file: string; state: string; check: (t: Test, db: Singlestore, before: Singlestore, run: Running) => Promise<void> }[] = [
  {
    file: 'add-tls.yaml',
    state: 'state.yaml',
    check: async (t, db, _before, run) => {
      t.same(tlsOf(db)?.issuerRef, { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-issuer' }, 'TLS on with the issuer');
      const certs = await certificates(run.ns);
      t.same([...certs.keys()].sort(), ['sample-sdb-client-cert', 'sample-sdb-server-cert'], 'server and client Certificates created');
      t.same(await tlsVolumes(run.ns), BOTH_PETSETS, 'both PetSets mount the tls-volume');
    },
  },
  {
    file: 'rotate.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, before, run) => {
      t.same(tlsOf(db), tlsOf(before), 'TLS settings unchanged');
      const certs = await certificates(run.ns);
      t.same([...certs.keys()].sort(), ['sample-sdb-client-cert', 'sample-sdb-server-cert'], 'both Certificates exist');
      for (const [name, c] of certs) t.ok(((c.status as { revision?: number }).revision ?? 0) >= 2, `${name} re-issued (revision ${(c.status as { revision?: number }).revision})`);
    },
  },
  {
    file: 'update.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, _before, run) => {
      const server = tlsOf(db)?.certificates?.find((c) => c.alias === 'server');
      t.same(server?.subject?.organizations, ['kubedb:server'], 'server certificate subject updated in the database');
      t.same(server?.emailAddresses, ['kubedb@appscode.com']);
      const cert = (await certificates(run.ns)).get('sample-sdb-server-cert');
      t.same((cert?.spec as { subject?: { organizations?: string[] } }).subject?.organizations, ['kubedb:server'], 'and in the server Certificate');
      t.same((cert?.spec as { emailAddresses?: string[] }).emailAddresses, ['kubedb@appscode.com']);
    },
  },
  {
    file: 'change-issuer.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, _before, run) => {
      t.equal(tlsOf(db)?.issuerRef?.name, 'sdb-new-issuer', 'issuer changed in the database');
      const certs = await certificates(run.ns);
      t.same([...certs.keys()].sort(), ['sample-sdb-client-cert', 'sample-sdb-server-cert'], 'both Certificates exist');
      for (const [name, c] of certs) {
        t.equal((c.spec as { issuerRef?: { name?: string } }).issuerRef?.name, 'sdb-new-issuer', `${name} issued by the new issuer`);
      }
    },
  },
  {
    file: 'remove.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, _before, run) => {
      t.equal(tlsOf(db), undefined, 'spec.tls removed');
      t.equal((await certificates(run.ns)).size, 0, 'Certificates deleted');
      t.same(await tlsVolumes(run.ns), [], 'no PetSet mounts the tls-volume');
      for (const s of ['sample-sdb-server-cert', 'sample-sdb-client-cert']) {
        t.equal((await cp.api.get(resourcePath(R.secret, run.ns, s))).status, 404, `Secret ${s} deleted`);
      }
    },
  },
];

t.test('the reconciler drives each worked request to Successful', { jobs: WORKED.length }, async (t) => {
  // All five at once (jobs), each in its own namespace: the reconciler handles databases independently.
  await Promise.all(
    WORKED.map((w) =>
      t.test(w.file, async (t) => {
        const run = await cluster(w.file.replace('.yaml', ''), w.state);
        t.teardown(() => run.stop());
        const before = await cp.api.must<Singlestore>(cp.api.get(dbPath(run.ns, 'sample-sdb')), 'database');
        const uids = await podUids(run.ns);
        const req = workedRequest(w.file, run.ns);
        let created;
        const deadline = Date.now() + 10_000;
        do {
          created = await createOps(cp.api, req);
          if (created.status === 201) break;
          await sleep(300); // the webhook's informer cache catching up with the seeded state
        } while (Date.now() < deadline);
        t.equal(created.status, 201, `admitted: ${JSON.stringify((created.body as { message?: string }).message ?? '')}`);
        const { req: done, db } = await until(run.ns, req.metadata?.name ?? '', 180_000);
        t.equal(done.status?.phase, 'Successful', `phase: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
        const types = (done.status?.conditions ?? []).map((c) => c.type);
        for (const c of ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful']) {
          t.ok(types.includes(c), `condition ${c}`);
        }
        const after = await podUids(run.ns);
        t.equal(after.size, 3, 'three pods');
        for (const [name, uid] of uids) t.not(after.get(name), uid, `pod ${name} was restarted`);
        await w.check(t, db, before, run);
        t.same(run.certManager.errors.concat(run.petSets.errors), [], 'the stand-ins saw no API errors');
        const events = await cp.api.must<{ items: { involvedObject?: { kind?: string; name?: string }; reason?: string }[] }>(cp.api.get(resourcePath(R.event, run.ns)), 'events');
        t.ok(
          events.items.some((e) => e.involvedObject?.kind === 'SinglestoreOpsRequest' && e.involvedObject.name === req.metadata?.name),
          `events recorded for the request (${events.items.length} in the namespace)`,
        );
        t.comment(`${w.file}: ${done.status?.phase} with conditions ${types.join(', ')}`);
      }),
    ),
  );
});

t.test('an issuer that never becomes Ready: Failed after spec.timeout, database resumed', async (t) => {
  const notReady = (o: Obj): void => {
    if (o.metadata?.name === 'sdb-new-issuer') o.status = { conditions: [{ type: 'Ready', status: 'False', reason: 'ErrGetKeyPair', message: 'secret sdb-new-ca not found' }] };
  };
  const ns = await newNamespace(cp.api, 'issuer-never-ready');
  const seeded = await seedState(cp.api, ns, 'state-tls.yaml');
  // The new issuer exists but is not Ready (cert-manager cannot find its CA secret).
  const issuer = seeded.issuers.find((i) => i.metadata?.name === 'sdb-new-issuer')!;
  notReady(issuer);
  await cp.api.must(cp.api.patch(resourcePath(R.issuer, ns, 'sdb-new-issuer', 'status'), { status: issuer.status }, 'merge'), 'issuer not ready');
  await seedPetSets(cp.api, seeded.database as Singlestore);
  const certManager = new TestOnlyCertManager(cp.api, ns).start();
  const petSets = new TestOnlyPetSetController(cp.api, ns).start();
  t.teardown(async () => {
    await certManager.stop();
    await petSets.stop();
  });
  await sleep(2000);
  const req = workedRequest('change-issuer.yaml', ns);
  (req.spec as Record<string, unknown>)['timeout'] = '20s';
  let created;
  const deadline = Date.now() + 10_000;
  do {
    created = await createOps(cp.api, req);
    if (created.status === 201) break;
    await sleep(300);
  } while (Date.now() < deadline);
  t.equal(created.status, 201, 'admitted');
  t.ok(
    created.warnings.some((w) => w.includes('sdb-new-issuer')),
    `warned that the issuer is not Ready: ${JSON.stringify(created.warnings)}`,
  );
  const { req: done, db } = await until(ns, req.metadata?.name ?? '', 120_000);
  t.equal(done.status?.phase, 'Failed');
  const failed = (done.status?.conditions ?? []).find((c) => c.type === 'Failed');
  t.match(failed?.message ?? '', /spec\.timeout/, 'the Failed condition names the timeout');
  t.comment(`failure path: ${failed?.message}`);
  t.equal(db.spec?.tls?.issuerRef?.name, 'sdb-issuer', 'the database keeps its old issuer');
  t.notOk((db.status?.conditions ?? []).some((c) => c.type === 'Paused'), 'database resumed (no Paused condition)');
  t.ok(certManager.failedAttempts > 0, 'cert-manager stand-in refused to issue');
});

t.test('a second TLS change is denied while the reconciler runs the first, admitted after it', async (t) => {
  const run = await cluster('in-flight', 'state-tls.yaml');
  t.teardown(() => run.stop());
  const first = workedRequest('rotate.yaml', run.ns);
  let created;
  const deadline = Date.now() + 10_000;
  do {
    created = await createOps(cp.api, first);
    if (created.status === 201) break;
    await sleep(300);
  } while (Date.now() < deadline);
  t.equal(created.status, 201, 'first admitted');
  await waitFor(
    'the first request Progressing',
    async () => ((await cp.api.must<SinglestoreOpsRequest>(cp.api.get(opsPath(run.ns, first.metadata?.name)), 'first')).status?.phase === 'Progressing' ? true : undefined),
    60_000,
  );
  const second = workedRequest('update.yaml', run.ns);
  const denied = await createOps(cp.api, second);
  t.equal(denied.status, 422, 'second denied while the first runs');
  t.match(String((denied.body as { message?: string }).message), /denied the request: .*is (Progressing|not yet started)/);
  t.comment(`API server error (in flight, live reconciler): ${(denied.body as { message?: string }).message}`);
  const { req: done } = await until(run.ns, first.metadata?.name ?? '', 180_000);
  t.equal(done.status?.phase, 'Successful', 'first finished');
  let again;
  const deadline2 = Date.now() + 10_000;
  do {
    again = await createOps(cp.api, second);
    if (again.status === 201) break;
    await sleep(300);
  } while (Date.now() < deadline2);
  t.equal(again.status, 201, `second admitted once the first finished: ${JSON.stringify((again.body as { message?: string }).message ?? '')}`);
  const { req: done2, db } = await until(run.ns, second.metadata?.name ?? '', 180_000);
  t.equal(done2.status?.phase, 'Successful', 'second finished too');
  t.same(db.spec?.tls?.certificates?.find((c) => c.alias === 'server')?.subject?.organizations, ['kubedb:server']);
});
