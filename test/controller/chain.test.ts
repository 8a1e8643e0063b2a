// The chain of stages reads from the cache and is woken by watch events (issue 17):
//   - a pass makes no GET of an object the cache holds and has synced (calls counted on
//     the MemoryStore; cache reads are not API calls, as informer reads are not), the
//     issuers the start's pre-flight review checks included;
//   - an unsynced kind is read with a GET;
//   - a watch event on what a waiting stage read (Certificate Ready, pod Ready) wakes
//     that database at once, and no other;
//   - requests in flight under the old format (no ReconcilerState condition: the facts
//     only in the step messages) and requests with a corrupt state condition finish.
import t from 'tap';
import type { Certificate, SinglestoreOpsRequestStatus } from '../../src/api/types.js';
import { startReconciler } from '../../src/controller/index.js';
import type { CachedKind, ReconcileCache } from '../../src/controller/types.js';
import { readState, STATE_CONDITION } from '../../src/core/reconcile/index.js';
import { FakeClock, MemoryCache, memoryOpsSource } from '../support/memory-ports.js';
import { addRequest, advance, conditionTypes, drive, getRequest, isPaused, makeReconciler, newHarness, pass, seedState, type Harness } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';
const PODS = ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-leaf-0'] as const;
const WORKED: [string, string, string][] = [
  ['add-tls.yaml', 'state.yaml', 'sdbops-add-tls'],
  ['rotate.yaml', 'state-tls.yaml', 'sdbops-rotate'],
  ['update.yaml', 'state-tls.yaml', 'sdbops-update-tls'],
  ['change-issuer.yaml', 'state-tls.yaml', 'sdbops-change-issuer'],
  ['remove.yaml', 'state-tls.yaml', 'sdbops-remove'],
];
const gets = (h: Harness): Record<string, number> => Object.fromEntries([...h.store.calls].filter(([op]) => op.endsWith('.get') || op.endsWith('.list')));

t.test('a whole request with synced caches: no GET of a cached object, only the confirming reads', async (t) => {
  for (const [file, state, name] of WORKED) {
    const h = newHarness();
    seedState(h, state);
    addRequest(h, file);
    h.store.calls.clear();
    const r = await drive(h, makeReconciler(h), NS, DB, name);
    t.equal(r.status?.phase, 'Successful', `${file}: Successful`);
    // No GET: the start confirms there is no sibling (none here) and reads the issuer the
    // pre-flight review checks from the cache.
    for (const op of ['databases.get', 'petSets.get', 'pods.get', 'certificates.get', 'opsRequests.get', 'opsRequests.list', 'issuers.get', 'clusterIssuers.get']) {
      t.equal(h.store.calls.get(op) ?? 0, 0, `${file}: no ${op} (${JSON.stringify(gets(h))})`);
    }
  }
});

const CLUSTER_ISSUER = { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'cluster-ca' }, spec: { ca: { secretName: 'cluster-ca' } }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KeyPairVerified' }] } };
const byClusterIssuer = { tls: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'ClusterIssuer', name: 'cluster-ca' } } };
const failedMessage = (h: Harness): string => getRequest(h, NS, 'sdbops-add-tls')?.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? '';

t.test('a ClusterIssuer the cache holds is read from it (namespace \'\'), no GET', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  h.store.put('ClusterIssuer', structuredClone(CLUSTER_ISSUER));
  addRequest(h, 'add-tls.yaml', { spec: byClusterIssuer });
  h.store.calls.clear();
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-add-tls');
  t.equal(r.status?.phase, 'Successful', `Successful ${failedMessage(h)}`);
  t.equal(h.store.calls.get('clusterIssuers.get') ?? 0, 0, 'no clusterIssuers.get');
  t.equal(h.store.calls.get('issuers.get') ?? 0, 0, 'no issuers.get');
});

t.test('an issuer deleted (absent from the synced cache) fails the pre-flight review (issuer-exists) after one confirming GET', async (t) => {
  for (const kind of ['Issuer', 'ClusterIssuer'] as const) {
    const h = newHarness();
    seedState(h, 'state.yaml');
    if (kind === 'ClusterIssuer') h.store.put('ClusterIssuer', structuredClone(CLUSTER_ISSUER));
    addRequest(h, 'add-tls.yaml', kind === 'ClusterIssuer' ? { spec: byClusterIssuer } : {});
    await h.cache.settled();
    if (kind === 'ClusterIssuer') h.store.delete('ClusterIssuer', undefined, 'cluster-ca');
    else h.store.delete('Issuer', NS, 'sdb-issuer');
    await h.cache.settled();
    t.equal(kind === 'ClusterIssuer' ? h.cache.getClusterIssuer('cluster-ca') : h.cache.getIssuer(NS, 'sdb-issuer'), undefined, `${kind}: the cache shows it gone`);
    h.store.calls.clear();
    const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-add-tls');
    t.equal(r.status?.phase, 'Failed', `${kind}: Failed`);
    t.match(failedMessage(h), kind === 'ClusterIssuer' ? /spec\.tls\.issuerRef\.name: Not found: "cluster-ca": ClusterIssuer cluster-ca does not exist/ : /spec\.tls\.issuerRef\.name: Not found: "sdb-issuer": Issuer demo\/sdb-issuer does not exist/, `${kind}: the pre-flight's issuer-exists`);
    t.equal(h.store.calls.get(kind === 'ClusterIssuer' ? 'clusterIssuers.get' : 'issuers.get') ?? 0, 1, `${kind}: one confirming GET (${JSON.stringify(gets(h))})`);
    t.equal(h.store.calls.get(kind === 'ClusterIssuer' ? 'issuers.get' : 'clusterIssuers.get') ?? 0, 0, `${kind}: no GET of the other kind`);
    t.notOk(isPaused(h, NS, DB), `${kind}: the database was never paused`);
  }
});

t.test('an issuer the cache has not seen yet (recreated, the watch behind) is confirmed by a GET: the request is carried out, not failed', async (t) => {
  for (const kind of ['Issuer', 'ClusterIssuer'] as const) {
    const h = newHarness();
    seedState(h, 'state.yaml');
    addRequest(h, 'add-tls.yaml', kind === 'ClusterIssuer' ? { spec: byClusterIssuer } : {});
    const issuer = structuredClone(h.store.get('Issuer', NS, 'sdb-issuer'));
    if (!issuer) throw new Error('state.yaml has no Issuer demo/sdb-issuer');
    if (kind === 'Issuer') h.store.delete('Issuer', NS, 'sdb-issuer');
    await h.cache.settled();
    h.cache.freeze(); // the watch stalls: what follows reaches the API server only
    if (kind === 'ClusterIssuer') h.store.put('ClusterIssuer', structuredClone(CLUSTER_ISSUER));
    else h.store.put('Issuer', issuer);
    t.equal(kind === 'ClusterIssuer' ? h.cache.getClusterIssuer('cluster-ca') : h.cache.getIssuer(NS, 'sdb-issuer'), undefined, `${kind}: the cache does not show it yet`);
    h.store.calls.clear();
    await makeReconciler(h).reconcileDatabase(NS, DB);
    const r = getRequest(h, NS, 'sdbops-add-tls');
    t.equal(r?.status?.phase, 'Progressing', `${kind}: started, not failed, on the lagging cache (${String(r?.status?.phase)})`);
    t.equal(h.store.calls.get(kind === 'ClusterIssuer' ? 'clusterIssuers.get' : 'issuers.get') ?? 0, 1, `${kind}: the absence was checked with one GET`);
  }
});

t.test('before the issuer caches synced, the start GETs the issuer it references (once), the rest from the cache', async (t) => {
  for (const [kind, op] of [['issuers', 'issuers.get'], ['clusterissuers', 'clusterIssuers.get']] as const) {
    const h = newHarness();
    seedState(h, 'state.yaml');
    h.store.put('ClusterIssuer', structuredClone(CLUSTER_ISSUER));
    addRequest(h, 'add-tls.yaml', kind === 'clusterissuers' ? { spec: byClusterIssuer } : {});
    h.cache.unsynced.add(kind);
    h.store.calls.clear();
    const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-add-tls');
    t.equal(r.status?.phase, 'Successful', `${kind}: Successful`);
    t.equal(h.store.calls.get(op) ?? 0, 1, `${kind}: one ${op} (${JSON.stringify(gets(h))})`);
    t.equal(h.store.calls.get('databases.get') ?? 0, 0, `${kind}: the database still from the cache`);
  }
});

t.test('an unsynced kind is read with a GET, the others still from the cache', async (t) => {
  const h = newHarness();
  seedState(h, 'state.yaml');
  addRequest(h, 'add-tls.yaml');
  h.cache.unsynced.add('pods');
  h.store.calls.clear();
  const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-add-tls');
  t.equal(r.status?.phase, 'Successful');
  t.ok((h.store.calls.get('pods.get') ?? 0) >= PODS.length, `pods GET while their informer is unsynced (${String(h.store.calls.get('pods.get'))})`);
  t.equal(h.store.calls.get('petSets.get') ?? 0, 0, 'PetSets still from the cache');
  t.equal(h.store.calls.get('databases.get') ?? 0, 0, 'the database still from the cache');
});

t.test('a lagging cache: our own writes are read back, nothing is repeated', async (t) => {
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  const rec = makeReconciler(h);
  // Freeze the cache at every other pass: the reconciler plans on a stale copy of the
  // objects it wrote itself, and must not re-do what it did.
  let round = 0;
  const r = await drive(h, rec, NS, DB, 'sdbops-rotate', {
    afterPass: () => {
      if (round++ % 2 === 0) h.cache.freeze();
      else h.cache.sync();
    },
  });
  h.cache.sync();
  t.equal(r.status?.phase, 'Successful');
  t.strictSame(h.store.evictions, PODS, 'each pod evicted once');
  t.equal(h.store.events.filter((e) => e.reason === 'IssueCertificatesSucceeded').length, 1, 're-issue requested once');
  t.equal(h.store.calls.get('certificates.patchStatus'), 2, 'Issuing set once per Certificate');
  t.equal(h.store.events.filter((e) => e.reason === 'DatabasePauseSucceeded').length, 1, 'one pause event');
});

/** A cache that counts the reconciler's reads of each database (every pass reads it). */
function counting(cache: MemoryCache): { cache: ReconcileCache; passes: Map<string, number> } {
  const passes = new Map<string, number>();
  return {
    passes,
    cache: {
      get: (kind, ns, name) => {
        if (kind === 'singlestores') passes.set(name, (passes.get(name) ?? 0) + 1);
        return cache.get(kind, ns, name);
      },
      listOpsRequests: (ns, db) => cache.listOpsRequests(ns, db),
      subscribe: (l) => cache.subscribe(l),
      hasSynced: (k: CachedKind) => cache.hasSynced(k),
    },
  };
}

/** Two databases waiting for cert-manager (nothing issues), under a reconciler whose
 *  time, queue timers and resync all run on one fake clock: a database is woken only by a
 *  watch event or by moving the clock. The stand-ins do not run on a timer. */
async function twoWaiting(resyncMs: number) {
  const clock = new FakeClock();
  const h = newHarness(clock);
  seedState(h, 'state.yaml', { name: 'sdb-a' });
  seedState(h, 'state.yaml', { name: 'sdb-b' });
  addRequest(h, 'add-tls.yaml', { name: 'ops-a', database: 'sdb-a' });
  addRequest(h, 'add-tls.yaml', { name: 'ops-b', database: 'sdb-b' });
  await h.cache.settled();
  const { cache, passes } = counting(h.cache);
  const running = startReconciler({
    ports: h.ports,
    source: memoryOpsSource(h.store),
    cache,
    view: h.cache,
    namespace: NS,
    identity: 'watch',
    leaderElection: false,
    clock,
    resyncMs,
  });
  /** Lets what was started finish, with no fake time passing: the cache delivers, the
   *  passes it wakes run, their writes are delivered, until nothing moves. */
  const settle = async (): Promise<void> => {
    for (;;) {
      const version = h.store.version;
      const delivered = h.cache.delivered;
      await h.cache.settled();
      await running.idle();
      if (h.store.version === version && h.cache.delivered === delivered) return;
    }
  };
  /** Fake milliseconds until `cond` holds, moving the clock 10 ms at a time and settling
   *  after each move (Infinity when it does not hold within a fake second). */
  const fakeMsUntil = async (cond: () => boolean): Promise<number> => {
    const from = clock.now();
    for (;;) {
      await settle();
      if (cond()) return clock.now() - from;
      if (clock.now() - from >= 1000) return Infinity;
      clock.advance(10);
    }
  };
  await settle();
  return { clock, h, running, passes, settle, fakeMsUntil, conds: (n: string) => conditionTypes(getRequest(h, NS, n)) };
}

const certificatesOf = (h: Harness, db: string) => h.store.list<Certificate>('Certificate', NS).filter((c) => c.metadata?.name?.startsWith(`${db}-`));

t.test('watch events wake the waiting database within 100 ms of fake time, and not another one', async (t) => {
  const { clock, h, running, passes, settle, fakeMsUntil, conds } = await twoWaiting(3_600_000); // no safety net: only watch events wake a database
  try {
    // Started by the ops-request events; both wait for cert-manager.
    for (const db of ['sdb-a', 'sdb-b']) t.equal(certificatesOf(h, db).length, 2, `${db}: Certificates created`);
    t.notOk(conds('ops-a').includes('CertificateSynced'), 'a waits for its Certificates');
    const bBefore = passes.get('sdb-b') ?? 0;

    // cert-manager makes a's Certificates Ready.
    for (const c of certificatesOf(h, 'sdb-a')) {
      const certName = c.metadata?.name;
      if (certName === undefined) throw new Error('a Certificate without a name');
      h.store.patch('Certificate', NS, certName, { status: { revision: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: c.metadata?.generation ?? 1, lastTransitionTime: clock.iso() }] } }, true);
    }
    const certMs = await fakeMsUntil(() => conds('ops-a').includes('CertificateSynced'));
    t.ok(certMs <= 100, `Certificate Ready woke sdb-a within ${String(certMs)} ms of fake time`);

    // The PetSet controller observes a's PetSets; a then evicts its first pod.
    await settle();
    t.ok(h.store.list('PetSet', NS).some((p) => (p as { metadata?: { generation?: number } }).metadata?.generation === 2), 'a patched its PetSets');
    clock.advance(2000);
    await settle(); // whatever the clock's move set off has run: the next pass is the event's
    h.petSets.step();
    const evictMs = await fakeMsUntil(() => conds('ops-a').includes(`EvictPod--${PODS[0].replace('sample-sdb', 'sdb-a')}`));
    t.ok(evictMs <= 100, `PetSet observed woke sdb-a within ${String(evictMs)} ms of fake time: first pod evicted`);
    clock.advance(2000);
    h.petSets.step(); // recreates it (not Ready)
    await settle();
    const ready = `CheckPodReady--${PODS[0].replace('sample-sdb', 'sdb-a')}`;
    t.notOk(conds('ops-a').includes(ready), 'the replacement is not Ready yet');
    clock.advance(1000);
    await settle();
    h.petSets.step(); // the kubelet reports it Ready
    const podMs = await fakeMsUntil(() => conds('ops-a').includes(ready));
    t.ok(podMs <= 100, `pod Ready woke sdb-a within ${String(podMs)} ms of fake time`);
    t.equal(passes.get('sdb-b') ?? 0, bBefore, 'sdb-b was never woken by sdb-a’s objects');
    t.notOk(conds('ops-b').includes('CertificateSynced'), 'b still waits');
  } finally {
    await running.stop();
  }
});

t.test('an issuer event wakes no database (no stage waits on an issuer) and the controller keeps going', async (t) => {
  const { clock, h, running, passes, settle, fakeMsUntil, conds } = await twoWaiting(3_600_000);
  try {
    const before = [passes.get('sdb-a') ?? 0, passes.get('sdb-b') ?? 0];
    const issuer = h.store.get('Issuer', NS, 'sdb-issuer');
    h.store.patch('Issuer', NS, 'sdb-issuer', { metadata: { resourceVersion: issuer?.metadata?.resourceVersion }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Renewed', lastTransitionTime: clock.iso() }] } }, true);
    h.store.put('ClusterIssuer', structuredClone(CLUSTER_ISSUER));
    const delivered = h.cache.delivered;
    await settle();
    t.equal(h.cache.delivered, delivered + 2, 'both issuer events were delivered to the controller');
    t.strictSame([passes.get('sdb-a') ?? 0, passes.get('sdb-b') ?? 0], before, 'neither database ran for them');
    for (const c of certificatesOf(h, 'sdb-a')) {
      h.store.patch('Certificate', NS, c.metadata?.name ?? '', { status: { revision: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: c.metadata?.generation ?? 1, lastTransitionTime: clock.iso() }] } }, true);
    }
    const ms = await fakeMsUntil(() => conds('ops-a').includes('CertificateSynced'));
    t.ok(ms <= 100, `a Certificate event still wakes sdb-a afterwards (${String(ms)} ms of fake time)`);
  } finally {
    await running.stop();
  }
});

t.test('the safety-net resync re-queues every known database each resyncMs of fake time, not before; stop cancels it', async (t) => {
  const { clock, running, passes, settle } = await twoWaiting(60_000);
  const count = () => [passes.get('sdb-a') ?? 0, passes.get('sdb-b') ?? 0];
  try {
    const before = count();
    t.ok(before.every((n) => n > 0), 'both databases ran when their requests were listed');
    clock.advance(59_999);
    await settle();
    t.strictSame(count(), before, 'no pass before resyncMs');
    clock.advance(1);
    await settle();
    const first = count();
    const perResync = first.map((n, i) => n - (before[i] ?? 0));
    t.ok(perResync.every((n) => n > 0), `each database ran at resyncMs (reads: ${perResync.join(', ')})`);
    clock.advance(59_999);
    await settle();
    t.strictSame(count(), first, 'nothing until the next resyncMs');
    clock.advance(1);
    await settle();
    t.strictSame(count(), first.map((n, i) => n + (perResync[i] ?? 0)), 'the same again a resyncMs later');
  } finally {
    await running.stop();
  }
  t.equal(clock.pending, 0, 'no timer left on the clock after stop (the resync and the queue’s re-queues cancelled)');
});

/** Runs a fresh controller for k steps on a new harness, leaving the request mid-flight. */
async function stopAfter(file: string, state: string, k: number): Promise<Harness> {
  const h = newHarness();
  seedState(h, state);
  addRequest(h, file);
  let steps = 0;
  const a = makeReconciler(h, { active: () => steps < k, onStep: () => steps++ });
  for (let round = 0; round < 200 && steps < k; round++) {
    const { res, changed } = await pass(h, a, NS, DB);
    advance(h, res, changed);
  }
  return h;
}

function rewriteState(h: Harness, name: string, f: (c: SinglestoreOpsRequestStatus) => void): void {
  const r = getRequest(h, NS, name);
  if (!r) throw new Error(`no request ${NS}/${name}`);
  const status = structuredClone(r.status ?? {});
  f(status);
  h.store.patch('SinglestoreOpsRequest', NS, name, { metadata: { resourceVersion: r.metadata?.resourceVersion }, status: { ...status, conditions: status.conditions ?? [] } }, true);
}

for (const [file, state, name] of WORKED) {
  t.test(`${file}: a request in flight under the old format (no state condition) finishes from the middle of each stage`, async (t) => {
    const clean = newHarness();
    seedState(clean, state);
    addRequest(clean, file);
    let total = 0;
    const done = await drive(clean, makeReconciler(clean, { onStep: () => total++ }), NS, DB, name);
    for (let k = 1; k < total; k++) {
      const h = await stopAfter(file, state, k);
      // The old format: the same step conditions and messages, no ReconcilerState.
      rewriteState(h, name, (st) => {
        st.conditions = (st.conditions ?? []).filter((c) => c.type !== STATE_CONDITION);
      });
      const r = await drive(h, makeReconciler(h), NS, DB, name);
      t.equal(r.status?.phase, 'Successful', `k=${k}: Successful`);
      t.strictSame(conditionTypes(r), conditionTypes(done), `k=${k}: the same steps as a clean run`);
      t.strictSame(h.store.evictions, PODS, `k=${k}: each pod restarted once, in order`);
      t.notOk(isPaused(h, NS, DB), `k=${k}: resumed`);
    }
  });
}

t.test('a corrupt state condition mid-restart: the legacy reading stands in, the request finishes, the state is rewritten whole', async (t) => {
  for (const k of [7, 8, 9, 10]) {
    const h = await stopAfter('rotate.yaml', 'state-tls.yaml', k);
    rewriteState(h, 'sdbops-rotate', (st) => {
      const c = st.conditions?.find((x) => x.type === STATE_CONDITION);
      if (c) c.message = '{"v":1,"pods":{"x":';
      else st.conditions = [...(st.conditions ?? []), { type: STATE_CONDITION, status: 'True', reason: STATE_CONDITION, message: 'garbage', lastTransitionTime: new Date(h.clock.now()).toISOString() }];
    });
    const r = await drive(h, makeReconciler(h), NS, DB, 'sdbops-rotate');
    t.equal(r.status?.phase, 'Successful', `k=${k}: Successful`);
    t.strictSame(h.store.evictions, PODS, `k=${k}: each pod restarted once`);
    const st = readState(r.status?.conditions);
    t.equal(st.source, 'condition', `k=${k}: the state condition is valid again`);
    t.strictSame(Object.keys(st.state.pods).sort(), [...PODS].sort(), `k=${k}: every pod's uid is recorded`);
  }
});
