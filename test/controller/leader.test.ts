// Leader election over a coordination.k8s.io/v1 Lease, with a fake clock.
import t from 'tap';
import { LeaderElector } from '../../src/controller/leader.js';
import { microTime } from '../../src/kube/ports.js';
import { FakeClock, MemoryStore, memoryPorts } from '../support/memory-ports.js';

function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore(clock);
  const ports = memoryPorts(store);
  const log: string[] = [];
  const mk = (identity: string) =>
    new LeaderElector({
      leases: ports.leases,
      namespace: 'kubedb',
      name: 'sdb-tls-guard-reconciler',
      identity,
      clock,
      onStartedLeading: () => log.push(`${identity} started`),
      onStoppedLeading: () => log.push(`${identity} stopped`),
    });
  const lease = () => store.get('Lease', 'kubedb', 'sdb-tls-guard-reconciler');
  return { clock, store, mk, log, lease };
}

t.test('two candidates: only one leads', async (t) => {
  const { mk, log, lease, clock } = setup();
  const a = mk('pod-a');
  const b = mk('pod-b');
  await a.tick();
  await b.tick();
  t.equal(a.isLeader(), true);
  t.equal(b.isLeader(), false);
  for (let i = 0; i < 10; i++) {
    clock.advance(2000);
    await a.tick();
    await b.tick();
  }
  t.equal(a.isLeader(), true);
  t.equal(b.isLeader(), false);
  t.strictSame(log, ['pod-a started']);
  t.equal(lease()?.spec?.holderIdentity, 'pod-a');
  t.equal(lease()?.spec?.leaseDurationSeconds, 15);
  t.equal(lease()?.spec?.renewTime, microTime(clock.now()));
  t.match(lease()?.spec?.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

t.test('takeover after the lease expires (measured on the candidate’s clock)', async (t) => {
  const { mk, log, lease, clock } = setup();
  const a = mk('pod-a');
  const b = mk('pod-b');
  await a.tick();
  await b.tick(); // b sees a's record now
  // a dies; b keeps trying every 2s
  let tookOverAt = -1;
  for (let s = 2; s <= 20; s += 2) {
    clock.advance(2000);
    await b.tick();
    if (b.isLeader() && tookOverAt < 0) tookOverAt = s;
  }
  t.equal(tookOverAt, 16, 'not before the 15s lease duration has passed');
  t.equal(lease()?.spec?.holderIdentity, 'pod-b');
  t.equal(lease()?.spec?.leaseTransitions, 1);
  // a comes back: sees b holding and does not lead
  t.equal(a.isLeader(), true, 'a believes it leads until it next tries to renew');
  await a.tick();
  t.equal(a.isLeader(), false, 'its renewal finds pod-b holding: it steps down');
  t.strictSame(log, ['pod-a started', 'pod-b started', 'pod-a stopped']);
});

t.test('a leader that cannot renew within the renew deadline steps down', async (t) => {
  const { mk, log, clock, store } = setup();
  const a = mk('pod-a');
  await a.tick();
  store.failNext('leases.get', 500, 100);
  for (let s = 2; s <= 10; s += 2) {
    clock.advance(2000);
    await a.tick();
    t.equal(a.isLeader(), true, `still leading at +${s}s`);
  }
  clock.advance(2000);
  await a.tick();
  t.equal(a.isLeader(), false, 'stepped down after 10s without renewal');
  t.strictSame(log, ['pod-a started', 'pod-a stopped']);
});

t.test('stop releases the lease; a peer takes over at once', async (t) => {
  const { mk, lease, clock } = setup();
  const a = mk('pod-a');
  const b = mk('pod-b');
  await a.tick();
  await b.tick();
  await a.stop();
  t.equal(lease()?.spec?.holderIdentity, '');
  clock.advance(2000);
  await b.tick();
  t.equal(b.isLeader(), true);
});

t.test('a conflicting write (409) loses the race without error', async (t) => {
  const { mk, store } = setup();
  const a = mk('pod-a');
  await a.tick();
  store.failNext('leases.update', 409);
  t.equal(await a.tryAcquireOrRenew(), 'failed');
  t.equal(await a.tryAcquireOrRenew(), 'ok');
});

t.test('the election loop runs on the clock it is given: one round per retry period of fake time', async (t) => {
  const { mk, lease, clock } = setup();
  const a = mk('pod-a');
  const t0 = clock.now();
  /** Waits until the round in flight has set its next timer. */
  const roundDone = async () => {
    for (let i = 0; i < 1000 && clock.pending === 0; i++) await new Promise((r) => setImmediate(r));
    t.equal(clock.pending, 1, 'the next round waits on the clock');
  };
  a.start();
  await roundDone();
  t.equal(lease()?.spec?.renewTime, microTime(t0), 'the first round at once');
  clock.advance(1999);
  await roundDone();
  t.equal(lease()?.spec?.renewTime, microTime(t0), 'no round before the retry period');
  clock.advance(1);
  await roundDone();
  t.equal(lease()?.spec?.renewTime, microTime(t0 + 2000), 'renewed at the retry period');
  await a.stop();
  t.equal(clock.pending, 0, 'stop cancelled the next round');
});
