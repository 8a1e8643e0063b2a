// Issue 12, controller tier: queue like KubeDB. The webhook's engine admits what KubeDB
// would queue, and the reconciler carries it out in KubeDB's order: a request created
// while another request holds the database Paused waits its turn; among Pending
// ReconfigureTLS requests the newest runs and the older one is Skipped naming it.
import t from 'tap';
import type { SinglestoreOpsRequest } from '../../src/api/types.js';
import { decide } from '../../src/core/engine.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { skippedMessage } from '../../src/core/names.js';
import { addRequest, drive, getDatabase, getRequest, isPaused, makeReconciler, newHarness, seedState, type Harness } from '../support/reconcile-harness.js';
import { messageOf } from '../support/findings.js';

const NS = 'demo';
const DB = 'sample-sdb';
const db = (h: Harness) => getDatabase(h, NS, DB);

/** The webhook's verdict on a request as a CREATE, against what the store holds now. */
function admit(h: Harness, req: SinglestoreOpsRequest) {
  const view = MemoryView.from([
    ...h.store.list('Singlestore'),
    ...h.store.list<SinglestoreOpsRequest>('SinglestoreOpsRequest').filter((r) => r.metadata?.name !== req.metadata?.name),
    ...h.store.list('Issuer'),
  ]);
  return decide({ object: req, operation: 'CREATE', view }).result;
}

function holdPausedByVerticalScaling(h: Harness): void {
  h.store.put('SinglestoreOpsRequest', {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name: 'sdbops-vscale', namespace: NS },
    spec: { type: 'VerticalScaling', databaseRef: { name: DB } },
    status: { phase: 'Progressing' },
  } as never);
  const conds = db(h).status?.conditions ?? [];
  // KubeDB's own pause: reason equal to the type.
  h.store.patch('Singlestore', NS, DB, { status: { conditions: [...conds, { type: 'Paused', status: 'True', reason: 'Paused', lastTransitionTime: h.clock.iso() }] } }, true);
}

t.test('a TLS request created while a VerticalScaling holds the database Paused: admitted with op-in-flight, Pending until it finishes, then Successful', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  holdPausedByVerticalScaling(h);
  const req = addRequest(h, 'rotate.yaml');
  const verdict = admit(h, req);
  t.same(verdict.errors, [], 'not denied: KubeDB queues it');
  t.same(verdict.warnings.map((w) => w.rule), ['op-in-flight']);
  const [warning] = verdict.warnings;
  if (!warning) throw new Error('no warning');
  t.match(messageOf(warning), /VerticalScaling request demo\/sdbops-vscale is Progressing; this one will wait/);

  const rec = makeReconciler(h);
  for (let i = 0; i < 4; i++) {
    const res = await rec.reconcileDatabase(NS, DB);
    t.equal(res.requeueAfterMs, 10_000, `pass ${i}: waits its turn`);
    h.clock.advance(10_000);
  }
  t.equal(getRequest(h, NS, 'sdbops-rotate')?.status?.phase, 'Pending');
  t.equal(db(h).status?.conditions?.find((c) => c.type === 'Paused')?.reason, 'Paused', "KubeDB's pause is left alone");

  // The VerticalScaling finishes; KubeDB resumes the database.
  h.store.patch('SinglestoreOpsRequest', NS, 'sdbops-vscale', { status: { phase: 'Successful' } }, true);
  h.store.patch('Singlestore', NS, DB, { status: { conditions: (db(h).status?.conditions ?? []).filter((c) => c.type !== 'Paused') } }, true);
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate');
  t.equal(r.status?.phase, 'Successful');
  t.notOk(isPaused(h, NS, DB));
});

t.test('the boundary: the same pause with no request in flight is denied by the webhook and fails the pre-flight', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  holdPausedByVerticalScaling(h);
  h.store.patch('SinglestoreOpsRequest', NS, 'sdbops-vscale', { status: { phase: 'Failed' } }, true);
  const req = addRequest(h, 'rotate.yaml');
  t.same(admit(h, req).errors.map((f) => f.rule), ['database-paused'], 'a stale pause: denied');
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-rotate', { maxRounds: 20 }).catch(() => getRequest(h, NS, 'sdbops-rotate'));
  t.equal(r?.status?.phase, 'Failed');
  t.match(r?.status?.conditions?.find((c) => c.type === 'Failed')?.message, /spec\.databaseRef: Forbidden: Singlestore demo\/sample-sdb is paused/);
});

t.test('two TLS requests, the older still Pending: the newer is admitted with tls-op-superseded, the older Skipped naming the newer', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  h.store.patch('Singlestore', NS, DB, { status: { phase: 'NotReady' } }, true); // apply: IfReady keeps the older one Pending
  addRequest(h, 'rotate.yaml', { name: 'sdbops-older' });
  const rec = makeReconciler(h);
  await rec.reconcileDatabase(NS, DB);
  t.equal(getRequest(h, NS, 'sdbops-older')?.status?.phase, 'Pending');

  h.clock.advance(60_000);
  const newer = addRequest(h, 'update.yaml', { name: 'sdbops-newer' });
  const verdict = admit(h, newer);
  t.same(verdict.errors, [], 'a Pending TLS sibling does not deny');
  t.same(verdict.warnings.map((w) => [w.rule, messageOf(w)]), [
    ['tls-op-superseded', 'spec.databaseRef: ReconfigureTLS request demo/sdbops-older is Pending; it will be Skipped in favour of this newer one'],
    ['database-not-ready', 'spec.apply: Singlestore demo/sample-sdb is NotReady; with apply IfReady the request waits until it is Ready'],
  ]);
  t.ok(verdict.warnings.every((w) => messageOf(w).length <= 120));

  await rec.reconcileDatabase(NS, DB);
  const older = getRequest(h, NS, 'sdbops-older');
  t.equal(older?.status?.phase, 'Skipped');
  const skipped = older?.status?.conditions?.find((c) => c.type === 'Skipped');
  t.strictSame([skipped?.status, skipped?.reason, skipped?.message], ['True', 'Skipped', skippedMessage('demo/sdbops-newer')]);
  t.equal(skipped?.message, 'Skipped in favour of the newer SinglestoreOpsRequest demo/sdbops-newer');
  t.ok(h.store.events.some((e) => e.object === 'demo/sdbops-older' && e.reason === 'Skipped'), 'a Skipped event on the older request');

  h.store.patch('Singlestore', NS, DB, { status: { phase: 'Ready' } }, true);
  const r = await drive(h, rec, NS, DB, 'sdbops-newer');
  t.equal(r.status?.phase, 'Successful');
  t.equal(getRequest(h, NS, 'sdbops-older')?.status?.phase, 'Skipped', 'the older one never ran');
  t.equal(h.store.evictions.length, 3, 'one restart of the database');
});

t.test('the boundary: a newer TLS request while the older one is Progressing is denied by the webhook', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml', { name: 'sdbops-older' });
  const rec = makeReconciler(h, { maxStepsPerPass: 3 });
  await rec.reconcileDatabase(NS, DB);
  t.equal(getRequest(h, NS, 'sdbops-older')?.status?.phase, 'Progressing');
  h.clock.advance(60_000);
  const newer = addRequest(h, 'update.yaml', { name: 'sdbops-newer' });
  t.same(admit(h, newer).errors.map((f) => f.rule), ['tls-op-in-flight']);
});
