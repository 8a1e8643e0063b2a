// 409 conflicts are retried on a fresh read; status is written only when it changed.
import t from 'tap';
import { addRequest, conditionTypes, drive, getRequest, isPaused, makeReconciler, newHarness, seedState } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';

t.test('a 409 on the ops request status write is retried on a fresh read', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  // Someone else (kubectl label) writes the request just before our status write.
  let raced = 0;
  const ports = {
    ...h.ports,
    opsRequests: {
      ...h.ports.opsRequests,
      async patchStatus(ns: string, name: string, patch: Record<string, unknown>) {
        if (raced < 3) {
          raced++;
          h.store.patch('SinglestoreOpsRequest', ns, name, { metadata: { labels: { touched: String(raced) } } }, false);
        }
        return h.ports.opsRequests.patchStatus(ns, name, patch);
      },
    },
  };
  const rec = makeReconciler(h, { ports });
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate');
  t.equal(raced, 3);
  t.equal(r.status?.phase, 'Successful');
  t.equal(r.metadata?.labels?.touched, '3', 'the other writer’s change survived');
  t.equal(new Set(conditionTypes(r)).size, conditionTypes(r).length, 'no condition written twice');
});

t.test('injected 409s on every kind of write are absorbed', async (t) => {
  for (const op of ['opsRequests.patchStatus', 'databases.patchStatus', 'certificates.patchStatus', 'certificates.patch', 'petSets.patch']) {
    const h = newHarness();
    const [file, state, name] =
      op === 'certificates.patch' ? ['update.yaml', 'state-tls.yaml', 'sdbops-update-tls'] : op === 'petSets.patch' ? ['add-tls.yaml', 'state.yaml', 'sdbops-add-tls'] : ['rotate.yaml', 'state-tls.yaml', 'sdbops-rotate'];
    seedState(h, state);
    addRequest(h, file);
    h.store.failNext(op, 409, 2);
    const r = await drive(h, makeReconciler(h), NS, DB, name);
    t.equal(r.status?.phase, 'Successful', `${op}: Successful`);
    t.equal(h.store.pendingFaults(), 0, `${op}: the conflicts happened`);
    t.notOk(isPaused(h, NS, DB), `${op}: resumed`);
  }
});

t.test('status is written only when it changes', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  h.store.patch('Singlestore', NS, DB, { status: { phase: 'NotReady' } }, true);
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h);
  await rec.reconcileDatabase(NS, DB); // "" → Pending, then waits
  const writes = h.store.calls.get('opsRequests.patchStatus');
  t.equal(writes, 1);
  for (let i = 0; i < 10; i++) {
    await rec.reconcileDatabase(NS, DB);
    h.clock.advance(10_000);
  }
  t.equal(h.store.calls.get('opsRequests.patchStatus'), writes, 'no writes while waiting');
  h.store.patch('Singlestore', NS, DB, { status: { phase: 'Ready' } }, true);
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate');
  const done = h.store.calls.get('opsRequests.patchStatus');
  if (done === undefined) throw new Error('no status write was counted');
  // Steps completing in one pass share a write (StatusBatch): a write before each of the
  // 3 evictions, at each phase change and at the end of each pass, not one per condition.
  t.ok(done < 1 + conditionTypes(r).length, `fewer writes than conditions plus Pending (${done} < ${1 + conditionTypes(r).length})`);
  t.equal(done, 10, 'rotate: 10 status writes');
  const rv = getRequest(h, NS, 'sdbops-rotate')?.metadata?.resourceVersion;
  for (let i = 0; i < 5; i++) await rec.reconcileDatabase(NS, DB);
  t.equal(h.store.calls.get('opsRequests.patchStatus'), done, 'a finished request is not written again');
  t.equal(getRequest(h, NS, 'sdbops-rotate')?.metadata?.resourceVersion, rv);
});

t.test('writeStatus gives up after repeated conflicts and the next pass recovers', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  h.store.failNext('opsRequests.patchStatus', 409, 6);
  const rec = makeReconciler(h, { maxStepsPerPass: 1 });
  await rec.reconcileDatabase(NS, DB);
  t.equal(getRequest(h, NS, 'sdbops-rotate')?.status?.phase, undefined, 'nothing written yet');
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate');
  t.equal(r.status?.phase, 'Successful');
});
