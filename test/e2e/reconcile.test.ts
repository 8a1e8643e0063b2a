// E2E reconciler scenarios: `sdb-tls-guard serve --self-signed` with the reconciler on
// (leader election through a Lease), registered from webhook-config/, against a real
// kube-apiserver + etcd with KubeDB's and cert-manager's published CRDs and the real
// controllers: kube-controller-manager (GC, namespaces, PDBs), kube-scheduler, kwok (a
// fake node running the pods) and cert-manager (issuing into real Secrets from a real CA
// Issuer). Only KubeDB's PetSet controller is a stand-in (harness/stand-ins.ts).
import { X509Certificate } from 'node:crypto';
import t, { type Test } from 'tap';
import type { PetSet, Singlestore, SinglestoreOpsRequest, TLSConfig } from '../../src/api/types.js';
import {
  createOps,
  dbPath,
  newNamespace,
  opsPath,
  R,
  resourcePath,
  seedDatabase,
  sleep,
  startServiceCluster,
  waitFor,
  workedRequest,
  type ControlPlane,
  type Obj,
  type SeedOptions,
} from './harness/index.js';

let cp: ControlPlane;
let stop: (() => Promise<void>) | undefined;

t.before(async () => {
  ({ cp, stop } = await startServiceCluster((l) => t.comment(l)));
});

t.teardown(() => stop?.());

interface Running {
  ns: string;
  db: Singlestore;
}

async function cluster(prefix: string, state: string, o: SeedOptions = {}): Promise<Running> {
  const ns = await newNamespace(cp.api, prefix);
  const { db } = await seedDatabase(cp.api, ns, state, o);
  return { ns, db };
}

/** Creates the request, retrying while the webhook's informer cache catches up with the seeded state. */
async function admit(req: Obj): Promise<Awaited<ReturnType<typeof createOps>>> {
  let created;
  const deadline = Date.now() + 10_000;
  do {
    created = await createOps(cp.api, req);
    if (created.status === 201) break;
    await sleep(300);
  } while (Date.now() < deadline);
  return created;
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

/** The database's Certificates (not the CA Certificates the test made for its Issuers). */
async function certificates(ns: string): Promise<Map<string, Obj>> {
  const list = await cp.api.must<{ items: Obj[] }>(cp.api.get(resourcePath(R.certificate, ns)), 'certificates');
  return new Map(list.items.filter((c) => !(c.spec as { isCA?: boolean } | undefined)?.isCA).map((c) => [c.metadata?.name ?? '', c]));
}

/** The certificate a kubernetes.io/tls Secret holds (tls.crt), parsed by node:crypto. */
async function secretCertificate(ns: string, name: string): Promise<X509Certificate> {
  const s = await cp.api.must<{ type?: string; data?: Record<string, string> }>(cp.api.get(resourcePath(R.secret, ns, name)), `secret ${name}`);
  if (s.type !== 'kubernetes.io/tls') throw new Error(`secret ${name} is of type ${String(s.type)}`);
  return new X509Certificate(Buffer.from(s.data?.['tls.crt'] ?? '', 'base64'));
}

async function tlsVolumes(ns: string): Promise<string[]> {
  const list = await cp.api.must<{ items: PetSet[] }>(cp.api.get(resourcePath(R.petSet, ns)), 'petsets');
  return list.items
    .filter((ps) => (ps.spec?.template?.spec?.volumes ?? []).some((v) => v.name === 'tls-volume'))
    .map((ps) => ps.metadata?.name ?? '')
    .sort();
}

const BOTH_PETSETS = ['sample-sdb-aggregator', 'sample-sdb-leaf'];
const BOTH_CERTS = ['sample-sdb-client-cert', 'sample-sdb-server-cert'];
const CA_OF: Record<string, string> = { 'sdb-issuer': 'sdb-ca', 'sdb-new-issuer': 'sdb-new-ca' };

/** The server Secret's certificate chains to the Issuer's CA and carries KubeDB's names. */
async function checkServerCertificate(t: Test, ns: string, issuer: string): Promise<void> {
  const leaf = await secretCertificate(ns, 'sample-sdb-server-cert');
  const caSecret = CA_OF[issuer];
  if (caSecret === undefined) throw new Error(`no CA Secret known for issuer ${issuer}`);
  const ca = await secretCertificate(ns, caSecret);
  t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), `the server certificate is signed by ${issuer}'s CA (${ca.subject.replace(/\n/g, ', ')})`);
  const sans = (leaf.subjectAltName ?? '').split(', ');
  for (const dns of [`*.sample-sdb-pods.${ns}.svc`, `*.sample-sdb-pods.${ns}.svc.cluster.local`, `*.sample-sdb.${ns}.svc`, 'localhost', 'sample-sdb', `sample-sdb.${ns}.svc`]) {
    t.ok(sans.includes(`DNS:${dns}`), `server certificate has dnsName ${dns}`);
  }
  t.ok(sans.includes('IP Address:127.0.0.1'), 'server certificate has IP 127.0.0.1');
}

interface Before {
  db: Singlestore;
  serials: Map<string, string>;
}

const WORKED: { file: string; state: string; check: (t: Test, db: Singlestore, before: Before, run: Running) => Promise<void> }[] = [
  {
    file: 'add-tls.yaml',
    state: 'state.yaml',
    check: async (t, db, _before, run) => {
      t.same(tlsOf(db)?.issuerRef, { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-issuer' }, 'TLS on with the issuer');
      t.same([...(await certificates(run.ns)).keys()].sort(), BOTH_CERTS, 'server and client Certificates created');
      t.same(await tlsVolumes(run.ns), BOTH_PETSETS, 'both PetSets mount the tls-volume');
      await checkServerCertificate(t, run.ns, 'sdb-issuer');
      const client = await secretCertificate(run.ns, 'sample-sdb-client-cert');
      t.match(client.subject, /O=singlestore/, `client certificate subject from the request (${client.subject.replace(/\n/g, ', ')})`);
    },
  },
  {
    file: 'rotate.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, before, run) => {
      const withoutSecretNames = (tls: TLSConfig | undefined): unknown => tls && { ...tls, certificates: tls.certificates?.map(({ secretName: _s, ...c }) => c) };
      t.same(withoutSecretNames(tlsOf(db)), withoutSecretNames(tlsOf(before.db)), 'TLS settings unchanged (but for the derived secretNames KubeDB writes)');
      t.same(tlsOf(db)?.certificates?.map((c) => c.secretName).sort(), BOTH_CERTS, 'the derived secretNames are written for server and client');
      const certs = await certificates(run.ns);
      t.same([...certs.keys()].sort(), BOTH_CERTS, 'both Certificates exist');
      for (const [name, c] of certs) t.ok(((c.status as { revision?: number }).revision ?? 0) >= 2, `${name} re-issued (revision ${String((c.status as { revision?: number }).revision)})`);
      t.equal(before.serials.size, 2, 'serials were read before the rotation');
      for (const [secret, serial] of before.serials) {
        const now = (await secretCertificate(run.ns, secret)).serialNumber;
        t.not(now, serial, `Secret ${secret} holds a certificate with a new serial (${serial} → ${now})`);
      }
      await checkServerCertificate(t, run.ns, 'sdb-issuer');
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
      const leaf = await secretCertificate(run.ns, 'sample-sdb-server-cert');
      t.match(leaf.subject, /O=kubedb:server/, `the issued certificate has the new subject (${leaf.subject.replace(/\n/g, ', ')})`);
      t.ok((leaf.subjectAltName ?? '').includes('email:kubedb@appscode.com'), 'and the email address');
      await checkServerCertificate(t, run.ns, 'sdb-issuer');
    },
  },
  {
    file: 'change-issuer.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, _before, run) => {
      t.equal(tlsOf(db)?.issuerRef?.name, 'sdb-new-issuer', 'issuer changed in the database');
      const certs = await certificates(run.ns);
      t.same([...certs.keys()].sort(), BOTH_CERTS, 'both Certificates exist');
      for (const [name, c] of certs) {
        t.equal((c.spec as { issuerRef?: { name?: string } }).issuerRef?.name, 'sdb-new-issuer', `${name} issued by the new issuer`);
      }
      await checkServerCertificate(t, run.ns, 'sdb-new-issuer');
    },
  },
  {
    file: 'remove.yaml',
    state: 'state-tls.yaml',
    check: async (t, db, _before, run) => {
      t.equal(tlsOf(db), undefined, 'spec.tls removed');
      t.equal((await certificates(run.ns)).size, 0, 'Certificates deleted');
      t.same(await tlsVolumes(run.ns), [], 'no PetSet mounts the tls-volume');
      for (const s of BOTH_CERTS) {
        t.equal((await cp.api.get(resourcePath(R.secret, run.ns, s))).status, 404, `Secret ${s} deleted`);
      }
    },
  },
];

type PodObj = Obj & { metadata?: Obj['metadata'] & { creationTimestamp?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };

/** Every pod is a new one (new uid), Ready, created after its certificates were issued. */
async function checkRestarted(t: Test, ns: string, before: Map<string, string>, tlsOn: boolean): Promise<void> {
  const pods = await cp.api.must<{ items: PodObj[] }>(cp.api.get(resourcePath(R.pod, ns)), 'pods');
  t.equal(pods.items.length, 3, 'three pods');
  let issued = 0;
  if (tlsOn) {
    for (const c of (await certificates(ns)).values()) issued = Math.max(issued, Date.parse((c.status as { notBefore?: string }).notBefore ?? ''));
    t.ok(issued > 0, `certificates have a notBefore (${new Date(issued).toISOString()})`);
  }
  for (const p of pods.items) {
    const name = p.metadata?.name ?? '';
    t.ok(before.has(name), `pod ${name} existed before`);
    t.not(p.metadata?.uid, before.get(name), `pod ${name} is a new pod (uid ${String(p.metadata?.uid)})`);
    t.ok(p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'), `pod ${name} Running and Ready`);
    t.ok((p.spec as { nodeName?: string } | undefined)?.nodeName, `pod ${name} was bound to a node by kube-scheduler`);
    if (tlsOn) {
      const created = Date.parse(p.metadata?.creationTimestamp ?? '');
      t.ok(created >= Math.floor(issued / 1000) * 1000, `pod ${name} created (${String(p.metadata?.creationTimestamp)}) after its certificates were issued`);
    }
  }
}

t.test('the reconciler drives each worked request to Successful', { jobs: WORKED.length }, async (t) => {
  // All five at once (jobs), each in its own namespace: the reconciler handles databases independently.
  await Promise.all(
    WORKED.map((w) =>
      t.test(w.file, async (t) => {
        const run = await cluster(w.file.replace('.yaml', ''), w.state);
        const before: Before = { db: await cp.api.must<Singlestore>(cp.api.get(dbPath(run.ns, 'sample-sdb')), 'database'), serials: new Map() };
        if (before.db.spec?.tls) for (const s of BOTH_CERTS) before.serials.set(s, (await secretCertificate(run.ns, s)).serialNumber);
        const uids = await podUids(run.ns);
        const req = workedRequest(w.file, run.ns);
        const created = await admit(req);
        t.equal(created.status, 201, `admitted: ${JSON.stringify((created.body as { message?: string }).message ?? '')}`);
        const { req: done, db } = await until(run.ns, req.metadata?.name ?? '', 180_000);
        t.equal(done.status?.phase, 'Successful', `phase: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
        const types = (done.status?.conditions ?? []).map((c) => c.type);
        for (const c of ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful']) {
          t.ok(types.includes(c), `condition ${c}`);
        }
        await checkRestarted(t, run.ns, uids, db.spec?.tls !== undefined);
        await w.check(t, db, before, run);
        t.same(cp.petSets?.errors ?? ['no PetSet stand-in'], [], 'the PetSet stand-in saw no API errors');
        const events = await cp.api.must<{ items: { involvedObject?: { kind?: string; name?: string }; reason?: string }[] }>(cp.api.get(resourcePath(R.event, run.ns)), 'events');
        t.ok(
          events.items.some((e) => e.involvedObject?.kind === 'SinglestoreOpsRequest' && e.involvedObject.name === req.metadata?.name),
          `events recorded for the request (${events.items.length} in the namespace)`,
        );
        t.comment(`${w.file}: ${String(done.status?.phase)} with conditions ${types.join(', ')}`);
      }),
    ),
  );
});

t.test('an issuer that never becomes Ready (real cert-manager): Failed at spec.timeout naming the Certificate, old TLS kept, database resumed', async (t) => {
  // sdb-new-issuer's CA Secret is never made: cert-manager says Ready=False ErrGetKeyPair
  // and leaves the Certificates Issuing=True, Ready=False — it never fails them.
  const run = await cluster('issuer-never-ready', 'state-tls.yaml', { withoutCA: ['sdb-new-issuer'] });
  const issuer = await cp.api.must<Obj>(cp.api.get(resourcePath(R.issuer, run.ns, 'sdb-new-issuer')), 'issuer');
  const ready = ((issuer.status as { conditions?: { type: string; status: string; reason?: string }[] }).conditions ?? []).find((c) => c.type === 'Ready');
  t.same({ status: ready?.status, reason: ready?.reason }, { status: 'False', reason: 'ErrGetKeyPair' }, 'cert-manager reports the Issuer not Ready');
  const serial = (await secretCertificate(run.ns, 'sample-sdb-server-cert')).serialNumber;
  const req = workedRequest('change-issuer.yaml', run.ns);
  req.spec = { ...req.spec, timeout: '20s' };
  const created = await admit(req);
  t.equal(created.status, 201, 'admitted');
  t.ok(created.warnings.some((w) => w.includes('sdb-new-issuer')), `warned that the issuer is not Ready: ${JSON.stringify(created.warnings)}`);
  const { req: done, db } = await until(run.ns, req.metadata?.name ?? '', 120_000);
  t.equal(done.status?.phase, 'Failed');
  const failed = (done.status?.conditions ?? []).find((c) => c.type === 'Failed');
  t.match(failed?.message ?? '', /spec\.timeout/, 'the Failed condition names the timeout');
  t.match(failed?.message ?? '', /sample-sdb-server-cert/, 'and the Certificate');
  t.match(failed?.message ?? '', /Ready=False/, "and the Certificate's Ready condition");
  t.match(failed?.message ?? '', /Issuing=True/, 'and its Issuing condition, as the real cert-manager leaves it');
  t.comment(`failure path: ${String(failed?.message)}`);
  t.equal(db.spec?.tls?.issuerRef?.name, 'sdb-issuer', 'the database keeps its old issuer');
  t.notOk((db.status?.conditions ?? []).some((c) => c.type === 'Paused'), 'database resumed (no Paused condition)');
  t.equal((await secretCertificate(run.ns, 'sample-sdb-server-cert')).serialNumber, serial, 'the old certificate is still in its Secret');
});

t.test('a PodDisruptionBudget that forbids the eviction: 429 said in EvictPod--<pod>, retried; finishes once relaxed, fails at the timeout if not', async (t) => {
  const pdbPath = (ns: string, name?: string): string => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets${name ? `/${name}` : ''}`;
  const scenario = async (t: Test, relax: boolean): Promise<void> => {
    const run = await cluster(relax ? 'pdb-relaxed' : 'pdb-held', 'state-tls.yaml');
    await cp.api.must(
      cp.api.post(pdbPath(run.ns), {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'sample-sdb' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { 'app.kubernetes.io/instance': 'sample-sdb' } } },
      }),
      'pdb',
    );
    // kube-controller-manager's disruption controller computes the budget over the PetSet pods (through /scale).
    await waitFor(
      'the disruption controller computed the PDB',
      async () => {
        const p = await cp.api.must<{ metadata?: { generation?: number }; status?: { observedGeneration?: number; expectedPods?: number; disruptionsAllowed?: number } }>(cp.api.get(pdbPath(run.ns, 'sample-sdb')), 'pdb');
        return p.status?.observedGeneration === p.metadata?.generation && p.status?.expectedPods === 3 ? p.status : undefined;
      },
      60_000,
    );
    const req = workedRequest('rotate.yaml', run.ns, { name: `sdbops-rotate-pdb-${relax ? 'relaxed' : 'held'}` });
    req.spec = { ...req.spec, timeout: relax ? '2m' : '30s' };
    t.equal((await admit(req)).status, 201, 'admitted');
    const name = req.metadata?.name ?? '';
    const evict = 'EvictPod--sample-sdb-aggregator-0';
    const blocked = await waitFor(
      `${evict} says the eviction was refused`,
      async () => {
        const r = await cp.api.must<SinglestoreOpsRequest>(cp.api.get(opsPath(run.ns, name)), 'request');
        const c = (r.status?.conditions ?? []).find((x) => x.type === evict);
        return c?.status === 'False' && (c.message ?? '').includes('429') ? c : undefined;
      },
      90_000,
    );
    t.match(blocked.message ?? '', /disruption budget|PodDisruptionBudget/i, `the condition names the budget: ${String(blocked.message)}`);
    t.comment(`PDB held: ${String(blocked.message)}`);
    const uids = await podUids(run.ns);
    await sleep(3000);
    t.same(await podUids(run.ns), uids, 'no pod was evicted while the budget forbids it');
    if (relax) {
      await cp.api.must(cp.api.patch(pdbPath(run.ns, 'sample-sdb'), { spec: { maxUnavailable: 1 } }, 'merge'), 'relax pdb');
      const { req: done } = await until(run.ns, name, 180_000);
      t.equal(done.status?.phase, 'Successful', `finished once the budget allowed one disruption at a time: ${JSON.stringify(done.status?.conditions?.slice(-2))}`);
      await checkRestarted(t, run.ns, uids, true);
    } else {
      const { req: done, db } = await until(run.ns, name, 120_000);
      t.equal(done.status?.phase, 'Failed', 'failed at its timeout');
      const failed = (done.status?.conditions ?? []).find((c) => c.type === 'Failed');
      t.match(failed?.message ?? '', new RegExp(`${evict}.*spec\\.timeout|spec\\.timeout`), `Failed says why: ${String(failed?.message)}`);
      t.notOk((db.status?.conditions ?? []).some((c) => c.type === 'Paused'), 'database resumed');
      t.same(await podUids(run.ns), uids, 'no pod was evicted');
    }
  };
  await Promise.all([t.test('relaxed', (t) => scenario(t, true)), t.test('never relaxed', (t) => scenario(t, false))]);
});

t.test('deleting the Singlestore garbage-collects its Certificates; deleting the namespace finishes', async (t) => {
  const run = await cluster('gc', 'state-tls.yaml');
  const certs = await certificates(run.ns);
  t.same([...certs.keys()].sort(), BOTH_CERTS, 'the database has its two Certificates');
  for (const c of certs.values()) {
    const owner = (c.metadata as { ownerReferences?: { kind?: string; name?: string; uid?: string; controller?: boolean }[] }).ownerReferences?.[0];
    t.same({ kind: owner?.kind, name: owner?.name, uid: owner?.uid, controller: owner?.controller }, { kind: 'Singlestore', name: 'sample-sdb', uid: run.db.metadata?.uid, controller: true }, `${String(c.metadata?.name)} is owned by the Singlestore`);
  }
  await cp.api.must(cp.api.delete(dbPath(run.ns, 'sample-sdb')), 'delete the Singlestore');
  await waitFor('the garbage collector deleted the Certificates', async () => ((await certificates(run.ns)).size === 0 ? true : undefined), 60_000, 500);
  t.pass('Certificates garbage-collected by kube-controller-manager');
  await cp.api.must(cp.api.delete(`/api/v1/namespaces/${run.ns}`), 'delete the namespace');
  await waitFor('the namespace is gone', async () => ((await cp.api.get(`/api/v1/namespaces/${run.ns}`)).status === 404 ? true : undefined), 90_000, 500);
  t.pass(`namespace ${run.ns} finished deleting`);
});

t.test('a second TLS change is denied while the reconciler runs the first, admitted after it', async (t) => {
  const run = await cluster('in-flight', 'state-tls.yaml');
  const first = workedRequest('rotate.yaml', run.ns);
  t.equal((await admit(first)).status, 201, 'first admitted');
  await waitFor(
    'the first request Progressing',
    async () => ((await cp.api.must<SinglestoreOpsRequest>(cp.api.get(opsPath(run.ns, first.metadata?.name)), 'first')).status?.phase === 'Progressing' ? true : undefined),
    60_000,
  );
  const second = workedRequest('update.yaml', run.ns);
  const denied = await createOps(cp.api, second);
  t.equal(denied.status, 422, 'second denied while the first runs');
  t.match(String((denied.body as { message?: string }).message), /denied the request: .*is (Progressing|not yet started)/);
  t.comment(`API server error (in flight, live reconciler): ${String((denied.body as { message?: string }).message)}`);
  const { req: done } = await until(run.ns, first.metadata?.name ?? '', 180_000);
  t.equal(done.status?.phase, 'Successful', 'first finished');
  const again = await admit(second);
  t.equal(again.status, 201, `second admitted once the first finished: ${JSON.stringify((again.body as { message?: string }).message ?? '')}`);
  const { req: done2, db } = await until(run.ns, second.metadata?.name ?? '', 180_000);
  t.equal(done2.status?.phase, 'Successful', 'second finished too');
  t.same(db.spec?.tls?.certificates?.find((c) => c.alias === 'server')?.subject?.organizations, ['kubedb:server']);
});
