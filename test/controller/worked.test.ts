// The docs' five worked requests, carried out against the in-memory ports with the
// cert-manager and PetSet stand-ins: each reaches Successful with the database's
// spec.tls, Certificates, Secrets, PetSets and pods in the expected end state.
import t from 'tap';
import type { Certificate, PetSet, Pod } from '../../src/api/types.js';
import { addRequest, conditionTypes, drive, getDatabase, isPaused, makeReconciler, newHarness, seedState, type Harness } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';
const PODS = ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-leaf-0'];
const RESTART = PODS.flatMap((p) => [`GetPod--${p}`, `EvictPod--${p}`, `CheckPodReady--${p}`]);
const TAIL = ['UpdatePetSets', ...RESTART, 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful'];

const db = (h: Harness) => getDatabase(h, NS, DB);
const certs = (h: Harness) => h.store.list<Certificate>('Certificate', NS).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
const secrets = (h: Harness) => h.store.list<{ metadata: { name: string } }>('Secret', NS).map((s) => s.metadata.name).sort();
const petSets = (h: Harness) => h.store.list<PetSet>('PetSet', NS);
const pods = (h: Harness) => h.store.list<Pod>('Pod', NS);
const hasTLSVolume = (ps: PetSet) =>
  (ps.spec?.template?.spec?.volumes ?? []).some((v) => v.name === 'tls-volume') &&
  (ps.spec?.template?.spec?.containers ?? []).every((c) => (c.volumeMounts ?? []).some((m) => m.name === 'tls-volume' && m.mountPath === '/etc/memsql/certs'));

async function run(state: string, file: string) {
  const h = newHarness();
  seedState(h, state);
  const uidsBefore = pods(h).map((p) => p.metadata?.uid);
  const req = addRequest(h, file);
  const final = await drive(h, makeReconciler(h), NS, DB, req.metadata.name);
  return { h, final, uidsBefore };
}

t.test('add-tls: TLS on with server and client Certificates', async (t) => {
  const { h, final, uidsBefore } = await run('state.yaml', 'add-tls.yaml');
  t.equal(final.status?.phase, 'Successful');
  t.strictSame(conditionTypes(final), ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', ...TAIL]);
  t.strictSame(db(h).spec?.tls, {
    issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-issuer' },
    // KubeDB's TLS defaulting writes the derived secretName for server and client (issue 12)
    certificates: [
      { alias: 'client', subject: { organizations: ['singlestore'], organizationalUnits: ['client'] }, secretName: 'sample-sdb-client-cert' },
      { alias: 'server', secretName: 'sample-sdb-server-cert' },
    ],
  });
  t.strictSame(certs(h).map((c) => c.metadata?.labels?.['app.kubernetes.io/component']), ['database', 'database'], "KubeDB's component label on the Certificates");
  t.strictSame(certs(h).map((c) => [c.metadata?.name, c.spec?.issuerRef?.name, c.status?.conditions?.find((x) => x.type === 'Ready')?.status]), [
    ['sample-sdb-client-cert', 'sdb-issuer', 'True'],
    ['sample-sdb-server-cert', 'sdb-issuer', 'True'],
  ]);
  t.strictSame(certs(h)[0]?.spec?.subject, { organizations: ['singlestore'], organizationalUnits: ['client'] });
  t.strictSame(certs(h)[1]?.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.controller]), [['Singlestore', 'sample-sdb', true]]);
  t.strictSame(secrets(h), ['sample-sdb-client-cert', 'sample-sdb-server-cert']);
  t.ok(petSets(h).every(hasTLSVolume), 'both PetSets mount tls-volume in every container');
  t.strictSame(h.store.evictions, PODS, 'aggregators first, by ordinal, then the leaf');
  const after = pods(h);
  t.equal(after.length, 3);
  t.ok(after.every((p) => !uidsBefore.includes(p.metadata?.uid)), 'every pod replaced');
  t.ok(after.every((p) => (p.spec?.volumes ?? []).some((v) => v.name === 'tls-volume')), 'replacements carry the tls-volume');
  t.notOk(isPaused(h, NS, DB), 'database resumed');
  t.strictSame(
    h.store.events.filter((e) => e.object === 'demo/sdbops-add-tls' && e.type === 'Normal').map((e) => e.reason).filter((r, i, a) => a.indexOf(r) === i),
    ['Pending', 'ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', ...TAIL],
    'an event for every step',
  );
});

t.test('rotate: both Certificates re-issued, spec.tls unchanged but for the derived secretNames', async (t) => {
  const h0 = newHarness();
  seedState(h0, 'state-tls.yaml');
  const specBefore = db(h0).spec?.tls;
  const { h, final } = await run('state-tls.yaml', 'rotate.yaml');
  t.equal(final.status?.phase, 'Successful');
  t.strictSame(conditionTypes(final), ['ReconfigureTLS', 'DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', ...TAIL]);
  // The only change: server and client get the secretName KubeDB's defaulting writes (issue 12).
  t.strictSame(db(h).spec?.tls, {
    ...specBefore,
    certificates: specBefore?.certificates?.map((c) => {
      if (c.alias === undefined) throw new Error('a certificate of state-tls.yaml has no alias');
      return { ...c, secretName: `sample-sdb-${c.alias}-cert` };
    }),
  });
  t.strictSame(certs(h).map((c) => [c.metadata?.name, c.status?.revision, c.status?.conditions?.some((x) => x.type === 'Issuing')]), [
    ['sample-sdb-client-cert', 2, false],
    ['sample-sdb-server-cert', 2, false],
  ]);
  t.strictSame(h.store.evictions, PODS);
  t.notOk(isPaused(h, NS, DB));
});

t.test('update: server Certificate gets the subject and email; merged by alias', async (t) => {
  const { h, final } = await run('state-tls.yaml', 'update.yaml');
  t.equal(final.status?.phase, 'Successful');
  t.strictSame(conditionTypes(final), ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', ...TAIL]);
  t.strictSame(db(h).spec?.tls?.certificates, [
    { alias: 'server', subject: { organizations: ['kubedb:server'] }, emailAddresses: ['kubedb@appscode.com'], secretName: 'sample-sdb-server-cert' },
    { alias: 'client', subject: { organizations: ['singlestore'], organizationalUnits: ['client'] }, secretName: 'sample-sdb-client-cert' },
  ]);
  const server = certs(h).find((c) => c.metadata?.name === 'sample-sdb-server-cert');
  if (!server) throw new Error('no server Certificate');
  t.strictSame(server.spec?.subject, { organizations: ['kubedb:server'] });
  t.strictSame(server.spec?.emailAddresses, ['kubedb@appscode.com']);
  t.equal(server.metadata?.generation, 2, 'server Certificate updated once');
  t.equal(certs(h).find((c) => c.metadata?.name === 'sample-sdb-client-cert')?.metadata?.generation, 1, 'client Certificate untouched');
  t.notOk(isPaused(h, NS, DB));
});

t.test('change-issuer: both Certificates and spec.tls name the new issuer', async (t) => {
  const { h, final } = await run('state-tls.yaml', 'change-issuer.yaml');
  t.equal(final.status?.phase, 'Successful');
  t.strictSame(db(h).spec?.tls?.issuerRef, { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-new-issuer' });
  t.strictSame(certs(h).map((c) => c.spec?.issuerRef), [
    { name: 'sdb-new-issuer', kind: 'Issuer', group: 'cert-manager.io' },
    { name: 'sdb-new-issuer', kind: 'Issuer', group: 'cert-manager.io' },
  ]);
  t.ok(petSets(h).every(hasTLSVolume));
  t.strictSame(h.store.evictions, PODS);
  t.notOk(isPaused(h, NS, DB));
});

t.test('remove: Certificates, Secrets, tls-volume and spec.tls gone', async (t) => {
  const { h, final } = await run('state-tls.yaml', 'remove.yaml');
  t.equal(final.status?.phase, 'Successful');
  t.strictSame(conditionTypes(final), ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', ...TAIL]);
  t.equal(db(h).spec?.tls, undefined);
  t.strictSame(certs(h), []);
  t.strictSame(secrets(h), []);
  t.ok(petSets(h).every((ps) => !(ps.spec?.template?.spec?.volumes ?? []).some((v) => v.name === 'tls-volume')));
  t.ok(petSets(h).every((ps) => (ps.spec?.template?.spec?.containers ?? []).every((c) => !(c.volumeMounts ?? []).some((m) => m.name === 'tls-volume'))));
  t.ok(pods(h).every((p) => !(p.spec?.volumes ?? []).some((v) => v.name === 'tls-volume')));
  t.strictSame(h.store.evictions, PODS);
  t.notOk(isPaused(h, NS, DB));
  t.equal(h.store.calls.get('secrets.get') ?? 0, 0, 'no Secret is read');
  t.equal(h.store.calls.get('secrets.delete'), 3, 'one DELETE per derived name (server, client, metrics-exporter), none read first');
});

t.test('remove: TLS Secrets someone already deleted are no obstacle (404 is success)', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  for (const s of h.store.list<{ metadata: { name: string } }>('Secret', NS)) h.store.delete('Secret', NS, s.metadata.name);
  const req = addRequest(h, 'remove.yaml');
  const final = await drive(h, makeReconciler(h), NS, DB, req.metadata.name);
  t.equal(final.status?.phase, 'Successful');
  t.strictSame(conditionTypes(final), ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', ...TAIL]);
  t.strictSame(secrets(h), []);
  t.equal(h.store.calls.get('secrets.delete'), 3);
});

t.test('metrics: step counts by kind (per-pod steps collapsed) and durations', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  const counts = new Map<string, number>();
  const observed: string[] = [];
  const rec = makeReconciler(h, {
    metrics: {
      reconcileSteps: { inc: (l) => counts.set(`${l.step}/${l.result}`, (counts.get(`${l.step}/${l.result}`) ?? 0) + 1) },
      reconcileStepDuration: {
        observe: (l, s) => {
          if (s >= 0) observed.push(l.step);
        },
      },
    },
  });
  await drive(h, rec, NS, DB, 'sdbops-rotate');
  const success = Object.fromEntries([...counts].filter(([k]) => k.endsWith('/success')).map(([k, v]) => [k.replace('/success', ''), v]));
  t.strictSame(success, {
    Pending: 1,
    ReconfigureTLS: 1,
    DatabasePauseSucceeded: 1,
    IssueCertificatesSucceeded: 1,
    CertificateSynced: 1,
    UpdatePetSets: 1,
    GetPod: 3,
    EvictPod: 3,
    CheckPodReady: 3,
    RestartNodes: 1,
    UpdateDatabase: 1,
    DatabaseResumeSucceeded: 1,
    Successful: 1,
  });
  t.ok((counts.get('CertificateSynced/wait') ?? 0) >= 1, 'waits are counted');
  t.strictSame([...new Set(observed)], ['DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets', 'GetPod', 'EvictPod', 'CheckPodReady', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful']);
});
