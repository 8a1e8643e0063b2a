// Every failure path ends Failed (or Skipped / waiting, where that is the contract) with
// the database resumed; someone else's pause is never touched.
import t from 'tap';
import { addRequest, conditionTypes, drive, getDatabase, getRequest, isPaused, makeReconciler, newHarness, putProgressingRestart, seedState, type Harness } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';
const db = (h: Harness) => getDatabase(h, NS, DB);
const failedMessage = (r: ReturnType<typeof getRequest>) => r?.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '';

t.test('pre-flight: remove on a database without TLS → Failed, database untouched', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  const before = db(h);
  addRequest(h, 'remove.yaml');
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-remove');
  t.equal(r.status?.phase, 'Failed');
  t.strictSame(conditionTypes(r), ['Failed']);
  t.match(failedMessage(r), /^spec\.tls\.remove: Forbidden: .*TLS is not enabled/);
  t.strictSame(db(h), before, 'the database was not written at all');
  t.equal(h.store.calls.get('databases.patchStatus') ?? 0, 0);
});

t.test('pre-flight: an issuer that does not exist → Failed with NotFound', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  addRequest(h, 'add-tls.yaml', { spec: { tls: { issuerRef: { name: 'no-such-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' } } } });
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-add-tls');
  t.equal(r.status?.phase, 'Failed');
  t.match(failedMessage(r), /spec\.tls\.issuerRef\.name: Not found: "no-such-issuer"/);
  t.equal(h.store.list('Certificate', NS).length, 0);
  t.notOk(isPaused(h, NS, DB));
});

t.test('pre-flight: a database paused by someone else → Failed; their pause stays', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  const d = db(h);
  h.store.patch('Singlestore', NS, DB, { status: { conditions: [...(d.status?.conditions ?? []), { type: 'Paused', status: 'True', reason: 'PausedByKubectlDBA', message: 'paused by kubectl dba pause', lastTransitionTime: h.clock.iso() }] } }, true);
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h);
  await rec.reconcileDatabase(NS, DB);
  await rec.reconcileDatabase(NS, DB);
  const r = getRequest(h, NS, 'sdbops-rotate');
  t.equal(r?.status?.phase, 'Failed');
  t.match(failedMessage(r), /database-paused|Paused|paused/);
  t.equal(db(h).status?.conditions?.find((c) => c.type === 'Paused')?.reason, 'PausedByKubectlDBA');
});

const timeoutCases: { name: string; file: string; state: string; setup: (h: Harness) => void; step: RegExp }[] = [
  { name: 'cert-manager never issues', file: 'add-tls.yaml', state: 'state.yaml', setup: (h) => (h.certManager.failing = true), step: /^step CertificateSynced did not finish within spec\.timeout 30s/ },
  { name: 'rotation never completes', file: 'rotate.yaml', state: 'state-tls.yaml', setup: (h) => (h.certManager.failing = true), step: /^step CertificateSynced did not finish/ },
  { name: 'a PodDisruptionBudget refuses the eviction', file: 'rotate.yaml', state: 'state-tls.yaml', setup: (h) => h.store.pdbBlocked.add('sample-sdb-aggregator-1'), step: /^step EvictPod--sample-sdb-aggregator-1 did not finish/ },
  { name: 'the replacement pod never comes back', file: 'rotate.yaml', state: 'state-tls.yaml', setup: (h) => h.petSets.holdBack.add('sample-sdb-leaf-0'), step: /^step CheckPodReady--sample-sdb-leaf-0 did not finish/ },
  { name: 'a PetSet is missing', file: 'rotate.yaml', state: 'state-tls.yaml', setup: (h) => h.store.delete('PetSet', NS, 'sample-sdb-leaf'), step: /^step UpdatePetSets did not finish.*PetSet demo\/sample-sdb-leaf not found/ },
];

for (const c of timeoutCases) {
  t.test(`timeout: ${c.name} → Failed, database resumed, spec.tls unchanged`, async (t) => {
    const h = newHarness();
    seedState(h, c.state);
    const tlsBefore = db(h).spec?.tls;
    c.setup(h);
    const req = addRequest(h, c.file, { spec: { timeout: '30s' } });
    const r = await drive(h, makeReconciler(h), NS, DB, req.metadata.name);
    t.equal(r.status?.phase, 'Failed');
    t.match(failedMessage(r), c.step);
    t.equal(r.status?.conditions?.at(-1)?.type, 'Failed');
    t.notOk(isPaused(h, NS, DB), 'database resumed');
    t.strictSame(db(h).spec?.tls, tlsBefore, 'spec.tls not written on failure');
    t.ok(h.store.events.some((e) => e.type === 'Warning' && e.reason === 'Failed'), 'a Warning event says why');
  });
}

t.test('a PDB-blocked eviction is retried with a Warning event, then goes through', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  h.store.pdbBlocked.add('sample-sdb-aggregator-0');
  addRequest(h, 'rotate.yaml');
  let rounds = 0;
  let blockedCondition: { status?: string; message?: string } | undefined;
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-rotate', {
    afterPass: () => {
      if (++rounds === 8) {
        blockedCondition = getRequest(h, NS, 'sdbops-rotate')?.status?.conditions?.find((c) => c.type === 'EvictPod--sample-sdb-aggregator-0');
        h.store.pdbBlocked.clear();
      }
    },
  });
  t.equal(blockedCondition?.status, 'False', 'while the budget holds, EvictPod--sample-sdb-aggregator-0 is False');
  t.match(blockedCondition?.message ?? '', /429.*disruption budget/, `and says the API server answered 429: ${String(blockedCondition?.message)}`);
  t.equal(r.status?.phase, 'Successful');
  t.equal(r.status?.conditions?.find((c) => c.type === 'EvictPod--sample-sdb-aggregator-0')?.status, 'True', 'then True once evicted');
  t.ok(h.store.events.some((e) => e.type === 'Warning' && e.reason === 'EvictPod--sample-sdb-aggregator-0' && e.message.includes('disruption budget')));
  t.strictSame(h.store.evictions, ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-leaf-0']);
});

t.test('a request deleted while it holds the database paused: the database is resumed', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h, { maxStepsPerPass: 3 });
  await rec.reconcileDatabase(NS, DB); // Pending, ReconfigureTLS, pause
  t.ok(isPaused(h, NS, DB), 'paused mid-flight');
  h.store.delete('SinglestoreOpsRequest', NS, 'sdbops-rotate');
  await rec.reconcileDatabase(NS, DB);
  t.notOk(isPaused(h, NS, DB), 'resumed');
});

t.test('supersede: the older Pending request is Skipped, the newer one runs', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml', { name: 'sdbops-older' });
  h.clock.advance(60_000);
  addRequest(h, 'update.yaml', { name: 'sdbops-newer' });
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-newer');
  const older = getRequest(h, NS, 'sdbops-older');
  t.equal(older?.status?.phase, 'Skipped');
  t.strictSame(older?.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['Skipped', 'True', 'Skipped', 'Skipped in favour of the newer SinglestoreOpsRequest demo/sdbops-newer'],
  ]);
  t.equal(r.status?.phase, 'Successful');
  t.strictSame(h.store.evictions.length, 3, 'only one restart of the database');
});

t.test('another request of the database is Progressing: this one waits, then runs', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  putProgressingRestart(h, NS, DB);
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h);
  for (let i = 0; i < 5; i++) {
    const res = await rec.reconcileDatabase(NS, DB);
    t.equal(res.requeueAfterMs, 10_000, `pass ${i}: requeued in 10s`);
    h.clock.advance(10_000);
  }
  t.equal(getRequest(h, NS, 'sdbops-rotate')?.status?.phase, 'Pending');
  t.notOk(isPaused(h, NS, DB));
  h.store.patch('SinglestoreOpsRequest', NS, 'sdbops-restart', { status: { phase: 'Successful' } }, true);
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate');
  t.equal(r.status?.phase, 'Successful');
});

t.test('apply IfReady: waits for the database to be Ready, with no timeout while Pending', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  h.store.patch('Singlestore', NS, DB, { status: { phase: 'NotReady' } }, true);
  addRequest(h, 'rotate.yaml', { spec: { timeout: '30s' } });
  const rec = makeReconciler(h);
  for (let i = 0; i < 12; i++) {
    await rec.reconcileDatabase(NS, DB);
    h.clock.advance(10_000);
  }
  t.equal(getRequest(h, NS, 'sdbops-rotate')?.status?.phase, 'Pending', 'still waiting after 2 minutes');
  h.store.patch('Singlestore', NS, DB, { status: { phase: 'Ready' } }, true);
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate');
  t.equal(r.status?.phase, 'Successful');
});
