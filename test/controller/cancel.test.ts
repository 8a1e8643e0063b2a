// Cancelling a request (docs/reconciler.md, "Cancelling a request"): the user deletes it.
// A waiting request simply goes; a running one leaves its database resumed — on the
// watch's delete event alone, with no finalizer — and a queued request of the same
// database then runs instead of failing on the orphaned pause. What a half-done restart
// leaves behind is what the docs say.
import t from 'tap';
import { startReconciler } from '../../src/controller/index.js';
import { createMetrics } from '../../src/metrics.js';
import { systemClock } from '../../src/kube/ports.js';
import { FakeCertManager, FakePetSetController, MemoryCache, MemoryStore, memoryOpsSource, memoryPorts } from '../support/memory-ports.js';
import { addRequest, advance, conditionTypes, drive, getDatabase, getRequest, isPaused, makeReconciler, newHarness, pass, putProgressingRestart, seedState, type Harness } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
  return cond();
}
const tlsVolume = (h: Harness, name: string) => Boolean(h.store.get('PetSet', NS, name)?.spec?.template?.spec?.volumes?.some((v) => v.name === 'tls-volume'));

/** Passes over the database until `stop` holds (the stand-ins run between passes). */
async function passUntil(h: Harness, rec: ReturnType<typeof makeReconciler>, stop: () => boolean, max = 200): Promise<void> {
  for (let i = 0; i < max && !stop(); i++) {
    const { res, changed } = await pass(h, rec, NS, DB);
    advance(h, res, changed);
  }
  if (!stop()) throw new Error('condition not reached');
}

t.test('deleting a waiting (Pending) request: it is gone and nothing was touched', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  putProgressingRestart(h, NS, DB);
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h);
  await rec.reconcileDatabase(NS, DB);
  await rec.reconcileDatabase(NS, DB);
  t.equal(getRequest(h, NS, 'sdbops-rotate')?.status?.phase, 'Pending', 'waiting for the Restart request');
  const before = h.store.get('Singlestore', NS, DB);
  h.store.delete('SinglestoreOpsRequest', NS, 'sdbops-rotate');
  await rec.reconcileDatabase(NS, DB);
  t.strictSame(h.store.get('Singlestore', NS, DB), before, 'the database is as it was');
  t.equal(h.store.calls.get('databases.patchStatus') ?? 0, 0, 'never paused');
  t.equal(h.store.evictions.length, 0, 'no pod restarted');
});

t.test('deleting a running request mid-restart (add TLS): the watch event alone resumes the database; the rest stays as it was', async (t) => {
  const store = new MemoryStore(systemClock);
  const h: Harness = { store, clock: undefined as never, ports: memoryPorts(store), certManager: new FakeCertManager(store), petSets: new FakePetSetController(store) };
  seedState(h, 'state.yaml');
  const cache = new MemoryCache(store);
  const metrics = createMetrics();
  // The stand-ins run only until the first pod was restarted, then the replacement pod
  // is held back: the request is stuck mid-restart when it is deleted.
  const tick = setInterval(() => {
    h.certManager.step();
    h.petSets.step();
  }, 2);
  const running = startReconciler({
    ports: h.ports,
    source: memoryOpsSource(store),
    cache,
    view: cache,
    namespace: 'kubedb',
    identity: 'pod-a',
    metrics,
    leaderElection: false,
    resyncMs: 3_600_000, // no safety-net resync: only watch events wake it
    plan: { notReadyRequeueMs: 2 },
    pollMs: 2,
    errorRequeueMs: 5,
  });
  try {
    h.petSets.holdBack.add('sample-sdb-aggregator-1');
    addRequest(h, 'add-tls.yaml');
    const conds = () => conditionTypes(getRequest(h, NS, 'sdbops-add-tls'));
    t.ok(await until(() => conds().includes('EvictPod--sample-sdb-aggregator-1')), 'second pod evicted, its replacement held back');
    await sleep(20);
    t.equal(getRequest(h, NS, 'sdbops-add-tls')?.status?.phase, 'Progressing');
    t.ok(isPaused(h, NS, DB), 'paused while it runs');
    const evictedBefore = [...store.evictions];

    store.delete('SinglestoreOpsRequest', NS, 'sdbops-add-tls');
    t.ok(await until(() => !isPaused(h, NS, DB), 5000), 'the database is resumed after the delete event');
    await running.idle();
    await sleep(50);

    // What the half-done request leaves (docs/reconciler.md, "Cancelling a request"):
    const db = getDatabase(h, NS, DB);
    t.notOk(db.spec?.tls, 'spec.tls of the database is unchanged (UpdateDatabase never ran)');
    t.equal(store.list('Certificate', NS).length, 2, 'the Certificates it created stay (owned by the database)');
    t.ok(tlsVolume(h, 'sample-sdb-aggregator') && tlsVolume(h, 'sample-sdb-leaf'), 'the PetSets keep the tls-volume');
    t.strictSame(store.evictions, evictedBefore, 'no further pod is restarted');
    t.strictSame(store.evictions, ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1'], 'the pods restarted so far');
    h.petSets.holdBack.clear();
    await sleep(30);
    const leaf = store.get('Pod', NS, 'sample-sdb-leaf-0');
    t.ok(leaf, 'the pod not reached yet still runs, on its old configuration');
    t.ok(store.events.some((e) => e.reason === 'DatabasePauseSucceeded'), 'the request’s events stay (until they expire)');
    t.ok(
      store.events.some((e) => e.reason === 'DatabaseResumeSucceeded' && e.message.includes('SinglestoreOpsRequest demo/sdbops-add-tls, which paused it, was deleted')),
      'an Event on the deleted request says the database was resumed',
    );
  } finally {
    await running.stop();
    clearInterval(tick);
  }
});

t.test('deleting a running request while a newer one waits: the newer one runs (not Failed on the orphaned pause)', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml', { name: 'sdbops-first' });
  const rec = makeReconciler(h, { maxStepsPerPass: 3 });
  await rec.reconcileDatabase(NS, DB); // Pending, ReconfigureTLS, pause
  t.equal(getRequest(h, NS, 'sdbops-first')?.status?.phase, 'Progressing');
  t.ok(isPaused(h, NS, DB));
  h.clock.advance(60_000);
  addRequest(h, 'update.yaml', { name: 'sdbops-second' });
  await rec.reconcileDatabase(NS, DB);
  t.equal(getRequest(h, NS, 'sdbops-second')?.status?.phase, 'Pending', 'queued behind the first');
  h.store.delete('SinglestoreOpsRequest', NS, 'sdbops-first');
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-second');
  t.equal(r.status?.phase, 'Successful', `the queued request ran: ${JSON.stringify(r.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '')}`);
  t.notOk(isPaused(h, NS, DB), 'resumed at the end');
});

t.test('deleting a running remove after its Secrets are gone: the PetSets still mount them; a new remove finishes the job', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'remove.yaml');
  const rec = makeReconciler(h);
  h.petSets.holdBack.add('sample-sdb-aggregator-0');
  await passUntil(h, rec, () => conditionTypes(getRequest(h, NS, 'sdbops-remove')).includes('EvictPod--sample-sdb-aggregator-0'));
  t.equal(h.store.list('Certificate', NS).length, 0, 'Certificates deleted');
  h.store.delete('SinglestoreOpsRequest', NS, 'sdbops-remove');
  await rec.reconcileDatabase(NS, DB);
  t.notOk(isPaused(h, NS, DB), 'resumed');
  t.ok(h.store.get('Singlestore', NS, DB)?.spec?.tls, 'spec.tls still set');
  t.notOk(tlsVolume(h, 'sample-sdb-aggregator'), 'the PetSets no longer mount the TLS Secrets (UpdatePetSets had run)');
  h.petSets.holdBack.clear();
  addRequest(h, 'remove.yaml', { name: 'sdbops-remove-again' });
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-remove-again');
  t.equal(r.status?.phase, 'Successful', 'a new remove completes it');
  t.notOk(h.store.get('Singlestore', NS, DB)?.spec?.tls, 'TLS off');
});

t.test('metrics: a cancelled request counts no failure', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  const metrics = createMetrics();
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h, { maxStepsPerPass: 3, metrics });
  await rec.reconcileDatabase(NS, DB);
  h.store.delete('SinglestoreOpsRequest', NS, 'sdbops-rotate');
  await rec.reconcileDatabase(NS, DB);
  const text = await metrics.registry.metrics();
  t.match(text, /sdb_tls_guard_ops_request_phase_transitions_total\{phase="Progressing"\} 1/);
  t.notMatch(text, /sdb_tls_guard_reconcile_failures_total\{step="[^"]+"\} [1-9]/);
  const req = getRequest(h, NS, 'sdbops-rotate');
  t.notOk(req);
});
