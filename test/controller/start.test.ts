// The keyed queue on a fake clock and on the system's; startReconciler end to end over
// the in-memory ports (the system clock, short intervals): the watch, leader election
// between two instances, and the scale helper.
import t from 'tap';
import { KeyedQueue, startReconciler, reconcilerIdentity } from '../../src/controller/index.js';
import type { ReconcileMetrics } from '../../src/controller/types.js';
import { systemClock } from '../../src/kube/ports.js';
import { FakeCertManager, FakeClock, FakePetSetController, MemoryStore, memoryOpsSource, memoryPorts } from '../support/memory-ports.js';
import { addRequest, isPaused, seedState, type Harness } from '../support/reconcile-harness.js';
import { runScale } from '../support/scale.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
  return cond();
}

t.test('KeyedQueue: one worker per key, keys in parallel up to the limit, re-run when re-added', async (t) => {
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const perKey = new Map<string, number>();
  const q = new KeyedQueue(
    async (key) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      t.ok((perKey.get(key) ?? 0) <= 1, `${key} never runs twice at once`);
      log.push(`start ${key}`);
      await sleep(10);
      log.push(`end ${key}`);
      perKey.set(key, (perKey.get(key) ?? 1) - 1);
      inFlight--;
      return undefined;
    },
    { concurrency: 2, clock: systemClock },
  );
  q.add('a');
  q.add('b');
  q.add('c');
  q.add('a'); // while a runs: runs again after
  await sleep(1);
  await q.idle();
  t.equal(maxInFlight, 2);
  t.equal(log.filter((l) => l === 'start a').length, 2);
  t.ok(log.indexOf('end a') < log.lastIndexOf('start a'), 'the second run of a starts after the first ended');
  await q.stop();
});

t.test('KeyedQueue: a worker’s delay schedules a re-run; stop cancels it', async (t) => {
  let runs = 0;
  const q = new KeyedQueue(async () => (++runs < 3 ? 5 : undefined), { concurrency: 1, clock: systemClock });
  q.add('x');
  t.ok(await until(() => runs === 3, 2000));
  await q.stop();
  q.add('x');
  await sleep(20);
  t.equal(runs, 3);
});

/** A queue on a fake clock whose worker records when each key ran (fake ms since start). */
function fakeQueue(answer: (key: string, run: number) => number | undefined = () => undefined) {
  const clock = new FakeClock();
  const from = clock.now();
  const ran: string[] = [];
  const q = new KeyedQueue(
    async (key) => {
      await Promise.resolve();
      ran.push(`${key}@${String(clock.now() - from)}`);
      return answer(key, ran.filter((r) => r.startsWith(`${key}@`)).length);
    },
    { concurrency: 2, clock },
  );
  /** Moves the fake clock, then waits for the runs its timers started. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await q.idle();
  };
  return { clock, q, ran, advance };
}

t.test('KeyedQueue on a fake clock: a delayed add runs when the clock reaches it, not before', async (t) => {
  const { clock, q, ran, advance } = fakeQueue();
  q.add('x', 1000);
  await q.idle();
  t.strictSame(ran, [], 'not at once');
  await advance(999);
  t.strictSame(ran, [], 'not 1 ms early');
  await advance(1);
  t.strictSame(ran, ['x@1000'], 'at 1000 ms of fake time');
  t.equal(clock.pending, 0, 'its timer is gone');
  await q.stop();
});

t.test('KeyedQueue on a fake clock: an earlier pending run wins; add(key) now drops the pending one', async (t) => {
  const { clock, q, ran, advance } = fakeQueue();
  q.add('late-first', 500);
  q.add('late-first', 2000); // later than the pending run: ignored
  q.add('early-second', 2000);
  q.add('early-second', 500); // earlier: replaces it
  q.add('now', 1000);
  q.add('now'); // runs at once, the timer is dropped
  await q.idle();
  t.strictSame(ran, ['now@0'], 'the immediate add ran at once');
  t.equal(clock.pending, 2, 'one timer per key still waiting');
  await advance(500);
  t.strictSame(ran.slice(1).sort(), ['early-second@500', 'late-first@500'], 'both at the earlier time');
  await advance(5000);
  t.equal(ran.length, 3, 'no run at the later time, and none for the dropped timer');
  t.equal(clock.pending, 0);
  await q.stop();
});

t.test('KeyedQueue on a fake clock: a worker’s delay schedules the re-run on the clock; stop cancels it', async (t) => {
  const { clock, q, ran, advance } = fakeQueue((_key, run) => (run < 3 ? 300 : undefined));
  q.add('x');
  await q.idle();
  t.strictSame(ran, ['x@0']);
  await advance(299);
  t.strictSame(ran, ['x@0'], 'not before the delay');
  await advance(1);
  t.strictSame(ran, ['x@0', 'x@300'], 're-run after the delay');
  await q.stop();
  t.equal(clock.pending, 0, 'stop cancelled the next re-run');
  await advance(1000);
  t.strictSame(ran, ['x@0', 'x@300'], 'nothing runs after stop');
});

t.test('reconcilerIdentity', async (t) => {
  t.equal(reconcilerIdentity('sdb-tls-guard-7d9f', 'node1', 42), 'sdb-tls-guard-7d9f');
  t.equal(reconcilerIdentity(undefined, 'node1', 42), 'node1_42');
  t.equal(reconcilerIdentity('  ', 'node1', 42), 'node1_42');
  t.equal(reconcilerIdentity('sdb-tls-guard-7d9f', 'sdb-tls-guard-7d9f', 42), 'sdb-tls-guard-7d9f', 'in a Deployment pod the host name is the pod name: still the pod name, no _pid');
});

function counting(): { m: ReconcileMetrics; steps: () => number } {
  let n = 0;
  return {
    m: {
      reconcileSteps: {
        inc: (l) => {
          if (l.result === 'success') n++;
        },
      },
      reconcileStepDuration: { observe: () => undefined },
    },
    steps: () => n,
  };
}

t.test('two replicas: only the leader acts; after it stops, the other takes over', async (t) => {
  const store = new MemoryStore(systemClock);
  const h: Harness = { store, clock: undefined as never, ports: memoryPorts(store), certManager: new FakeCertManager(store), petSets: new FakePetSetController(store) };
  seedState(h, 'state-tls.yaml');
  seedState(h, 'state-tls.yaml', { name: 'other-sdb' });
  const tick = setInterval(() => {
    h.certManager.step();
    h.petSets.step();
  }, 2);
  const mk = (identity: string, c: ReturnType<typeof counting>) =>
    startReconciler({
      ports: h.ports,
      source: memoryOpsSource(store),
      namespace: 'kubedb',
      identity,
      metrics: c.m,
      leaderElection: { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 50 },
      plan: { notReadyRequeueMs: 2 },
      pollMs: 2,
      errorRequeueMs: 5,
    });
  const ca = counting();
  const cb = counting();
  const a = mk('pod-a', ca);
  await sleep(50);
  const b = mk('pod-b', cb);
  try {
    t.ok(await until(() => a.isLeader() || b.isLeader()));
    await sleep(100);
    t.equal([a.isLeader(), b.isLeader()].filter(Boolean).length, 1, 'exactly one leader');
    const [leader, follower, lc, fc] = a.isLeader() ? [a, b, ca, cb] : [b, a, cb, ca];
    addRequest(h, 'rotate.yaml');
    const phase = (n: string) => store.get('SinglestoreOpsRequest', 'demo', n)?.status?.phase;
    t.ok(await until(() => phase('sdbops-rotate') === 'Successful'), 'first request done');
    t.ok(lc.steps() > 0, 'the leader carried it out');
    t.equal(fc.steps(), 0, 'the follower did nothing');
    await leader.stop();
    t.ok(await until(() => follower.isLeader(), 2000), 'the follower took over');
    addRequest(h, 'rotate.yaml', { name: 'sdbops-rotate-2', database: 'other-sdb' });
    t.ok(await until(() => phase('sdbops-rotate-2') === 'Successful'), 'second request done');
    t.ok(fc.steps() > 0, 'by the new leader');
    t.notOk(isPaused(h, 'demo', 'other-sdb'));
    await follower.stop();
  } finally {
    await a.stop();
    await b.stop();
    clearInterval(tick);
  }
});

t.test('scale helper: N requests on N databases all succeed; counts API calls', async (t) => {
  const r = await runScale({ databases: 6, concurrency: 3 });
  t.equal(r.successful, 6);
  t.equal(r.failed, 0);
  t.ok(r.apiCalls > 0);
  t.equal(r.callsByOp['pods.evict'], 18, 'three pods restarted per database');
  t.equal(r.callsByOp['certificates.create'], 12, 'two Certificates per database');
  t.ok(r.steps >= 6 * 15, `${r.steps} steps`);
});

t.test('stop() waits for the step in flight and nothing runs afterwards', async (t) => {
  const store = new MemoryStore(systemClock);
  const base = memoryPorts(store);
  let pauseStarted = false;
  let pauseDone = false;
  const ports = {
    ...base,
    databases: {
      ...base.databases,
      async patchStatus(ns: string, name: string, patch: Record<string, unknown>) {
        pauseStarted = true;
        await sleep(80);
        const r = await base.databases.patchStatus(ns, name, patch);
        pauseDone = true;
        return r;
      },
    },
  };
  const h: Harness = { store, clock: undefined as never, ports, certManager: new FakeCertManager(store), petSets: new FakePetSetController(store) };
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  const running = startReconciler({ ports, source: memoryOpsSource(store), namespace: 'kubedb', identity: 'x', leaderElection: false, plan: { notReadyRequeueMs: 2 }, pollMs: 2 });
  t.ok(await until(() => pauseStarted));
  await running.stop();
  t.ok(pauseDone, 'the pause finished before stop() returned');
  const calls = store.totalCalls();
  await sleep(50);
  t.equal(store.totalCalls(), calls, 'no API calls after stop');
});
