// The reconciler reads a database's ops requests from the (informer) cache instead of
// LISTing the namespace on every pass, and stays correct while that cache lags: a
// decision to start or skip a request is confirmed with GETs of the siblings (and of
// the requests this process started), and a database is only resumed for a deleted
// request once a GET says it is gone.
import t from 'tap';
import type { SinglestoreOpsRequest } from '../../src/api/types.js';
import type { ReconcileCache } from '../../src/controller/types.js';
import { runScale } from '../support/scale.js';
import { addRequest, drive, getRequest, isPaused, makeReconciler, newHarness, seedState, type Harness } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';
const phase = (r: SinglestoreOpsRequest | undefined): string => r?.status?.phase ?? '';

t.test('with a view: 10 requests on 10 databases in one namespace, no namespace LIST', async (t) => {
  const h = newHarness();
  const rec = makeReconciler(h);
  for (let i = 0; i < 10; i++) {
    seedState(h, 'state.yaml', { name: `db-${i}` });
    addRequest(h, 'add-tls.yaml', { name: `ops-${i}`, database: `db-${i}` });
  }
  h.store.calls.clear();
  for (let i = 0; i < 10; i++) {
    const final = await drive(h, rec, NS, `db-${i}`, `ops-${i}`);
    t.equal(final.status?.phase, 'Successful', `ops-${i}`);
  }
  t.equal(h.store.calls.get('opsRequests.list') ?? 0, 0, 'no LIST');
});

t.test('without a view: the same work falls back to one LIST per pass and Pending step', async (t) => {
  const h: Harness = newHarness();
  delete h.cache;
  const rec = makeReconciler(h);
  seedState(h, 'state.yaml');
  addRequest(h, 'add-tls.yaml', { name: 'ops-0' });
  h.store.calls.clear();
  const final = await drive(h, rec, NS, DB, 'ops-0');
  t.equal(final.status?.phase, 'Successful');
  t.ok((h.store.calls.get('opsRequests.list') ?? 0) > 0, 'LISTs the namespace');
});

t.test('a cached sibling shown Pending that is really Progressing holds a newer request back', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  const rec = makeReconciler(h, { maxStepsPerPass: 1 });
  addRequest(h, 'add-tls.yaml', { name: 'a' });
  await rec.reconcileRequest(NS, 'a'); // '' → Pending
  h.clock.advance(1000);
  addRequest(h, 'rotate.yaml', { name: 'b', database: DB });
  await rec.reconcileRequest(NS, 'b'); // '' → Pending
  h.cache.freeze(); // the cache shows a and b Pending from here on
  // Another replica (or an earlier leader) started a: not this process's record.
  const a = getRequest(h, NS, 'a');
  if (!a) throw new Error('request a is gone');
  h.store.patch('SinglestoreOpsRequest', NS, 'a', { metadata: { resourceVersion: a.metadata?.resourceVersion }, status: { phase: 'Progressing' } }, true);
  t.strictSame(h.cache.listOpsRequests(NS, DB).map((r) => [r.metadata?.name, phase(r)]).sort(), [['a', 'Pending'], ['b', 'Pending']], 'the cache lags');
  const getsBefore = h.store.calls.get('opsRequests.get') ?? 0;
  const res = await rec.reconcileRequest(NS, 'b');
  t.strictSame(res.steps, [], 'no step taken');
  t.equal(res.requeueAfterMs, 10_000, 'waits for a');
  t.equal(phase(getRequest(h, NS, 'b')), 'Pending', 'b not started while a runs');
  t.equal((h.store.calls.get('opsRequests.get') ?? 0) - getsBefore, 1, 'one GET, of its sibling a (b itself is read from the cache)');
});

t.test('a request this process started but the cache has never shown holds a newer request back', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  await h.cache.settled();
  h.cache.freeze(); // nothing of what follows reaches the cache until sync()
  const rec = makeReconciler(h, { maxStepsPerPass: 1 });
  addRequest(h, 'add-tls.yaml', { name: 'a' });
  await rec.reconcileRequest(NS, 'a'); // '' → Pending
  await rec.reconcileRequest(NS, 'a'); // Pending → Progressing
  t.equal(phase(getRequest(h, NS, 'a')), 'Progressing');
  h.clock.advance(1000);
  addRequest(h, 'rotate.yaml', { name: 'b', database: DB });
  await rec.reconcileRequest(NS, 'b'); // '' → Pending
  t.strictSame(h.cache.listOpsRequests(NS, DB), [], 'the cache shows neither');
  const res = await rec.reconcileRequest(NS, 'b');
  t.strictSame(res.steps, []);
  t.equal(phase(getRequest(h, NS, 'b')), 'Pending', 'b waits for a');
  h.cache.sync();
  const rec2 = makeReconciler(h);
  const finalA = await drive(h, rec2, NS, DB, 'a');
  t.equal(finalA.status?.phase, 'Successful', 'a finishes');
  const finalB = await drive(h, rec2, NS, DB, 'b');
  t.equal(finalB.status?.phase, 'Successful', 'then b runs');
});

t.test('an unsynced (empty) cache does not make the reconciler resume a database its request still holds', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  const rec = makeReconciler(h, { maxStepsPerPass: 3 });
  addRequest(h, 'add-tls.yaml', { name: 'a' });
  await rec.reconcileRequest(NS, 'a'); // → Pending → Progressing → paused
  t.ok(isPaused(h, NS, DB), 'paused by a');
  const c = h.cache;
  const empty: ReconcileCache = { get: (kind, ns, name) => c.get(kind, ns, name), listOpsRequests: () => [], subscribe: (l) => c.subscribe(l), hasSynced: () => true };
  const fresh = makeReconciler(h, { cache: empty });
  await fresh.reconcileDatabase(NS, DB);
  t.ok(isPaused(h, NS, DB), 'still paused: a GET found a');
  t.equal(h.store.calls.get('databases.patchStatus'), 1, 'only the pause was written');
  h.store.delete('SinglestoreOpsRequest', NS, 'a');
  await fresh.reconcileDatabase(NS, DB);
  t.notOk(isPaused(h, NS, DB), 'resumed once a is really gone');
});

t.test('startReconciler behind a cache that lags 15 ms (real time): every request finishes, no GET of a cached object', async (t) => {
  const r = await runScale({ databases: 4, concurrency: 2, timeoutMs: 30_000, cacheLagMs: 15, resyncMs: 3_600_000 });
  t.equal(r.successful, 4, 'woken by the lagging watch alone (no resync)');
  for (const op of ['databases.get', 'petSets.get', 'pods.get', 'certificates.get', 'opsRequests.list']) t.equal(r.callsByOp[op] ?? 0, 0, `no ${op}`);
  t.equal(r.callsByOp['pods.evict'], 12, 'each pod evicted once');
});

t.test('startReconciler hands its cache to the reconciler: 6 databases in one namespace, no LIST', async (t) => {
  const withView = await runScale({ databases: 6, concurrency: 2, timeoutMs: 30_000 });
  t.equal(withView.successful, 6);
  t.equal(withView.callsByOp['opsRequests.list'] ?? 0, 0, 'no LIST with the view');
  const without = await runScale({ databases: 6, concurrency: 2, timeoutMs: 30_000, cache: false });
  t.equal(without.successful, 6);
  t.ok((without.callsByOp['opsRequests.list'] ?? 0) >= 6, 'the no-view fallback LISTs');
});
