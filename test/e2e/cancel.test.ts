// E2E: cancelling a request by deleting it (docs/reconciler.md, "Cancelling a request"),
// against a real kube-apiserver + etcd with `sdb-tls-guard serve` (webhook and
// reconciler) as a child process, on the real parts. A rotate is stopped mid-restart (the PetSet stand-in is
// stopped right after the first eviction, so the replacement never comes), the request is
// deleted — no finalizer holds it — and the reconciler resumes the database on the delete
// event, records it in an Event on the deleted request, and restarts nothing more; a new
// request for the database then runs to Successful. (A request queued behind the
// cancelled one, which must not fail on the orphaned pause, is covered in the controller
// tier: test/controller/cancel.test.ts. Here the webhook denies a second TLS request
// while one is Progressing.)
import t from 'tap';
import type { Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
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
} from './harness/index.js';
import { TestOnlyPetSetController } from './harness/stand-ins.js';

let cp: ControlPlane;
let stop: (() => Promise<void>) | undefined;

t.before(async () => {
  ({ cp, stop } = await startServiceCluster((l) => t.comment(l)));
});

t.teardown(() => stop?.());

const paused = (db: Singlestore): boolean => (db.status?.conditions ?? []).some((c) => c.type === 'Paused' && c.status !== 'False');

async function create(req: Obj): Promise<void> {
  let created;
  const deadline = Date.now() + 10_000;
  do {
    created = await createOps(cp.api, req);
    if (created.status === 201) return;
    await sleep(300); // the webhook's informer cache catching up with the seeded state
  } while (Date.now() < deadline);
  throw new Error(`not admitted: ${created.status} ${JSON.stringify((created.body as { message?: string }).message ?? '')}`);
}

async function request(ns: string, name: string): Promise<SinglestoreOpsRequest | undefined> {
  const r = await cp.api.get<SinglestoreOpsRequest>(opsPath(ns, name));
  return r.status === 404 ? undefined : r.body;
}

async function evictions(ns: string): Promise<string[]> {
  const list = await cp.api.must<{ items: { reason?: string; involvedObject?: { name?: string } }[] }>(cp.api.get(resourcePath(R.event, ns)), 'events');
  return list.items.filter((e) => (e.reason ?? '').startsWith('EvictPod--')).map((e) => e.reason ?? '');
}

t.test('delete a request mid-restart: the database is resumed, nothing more restarts, a new request then runs', async (t) => {
  const ns = await newNamespace(cp.api, 'cancel');
  // A running database on the real parts (pods by the PetSet stand-in, kube-scheduler and
  // kwok; certificates by cert-manager).
  const { db: db0 } = await seedDatabase(cp.api, ns, 'state-tls.yaml');
  if (!cp.petSets) throw new Error('the control plane runs no PetSet stand-in');
  let petSets = cp.petSets;
  t.teardown(() => petSets.stop());

  const first = workedRequest('rotate.yaml', ns, { name: 'sdbops-cancelled' });
  await create(first);
  // Stop the PetSet stand-in once the PetSets are updated (UpdatePetSets waits for it):
  // evicted pods then get no replacement and the request waits mid-restart.
  const hasCondition = async (test: (type: string) => boolean): Promise<true | undefined> => {
    const r = await request(ns, 'sdbops-cancelled');
    return (r?.status?.conditions ?? []).some((c) => test(c.type)) ? true : undefined;
  };
  await waitFor('UpdatePetSets', () => hasCondition((c) => c === 'UpdatePetSets'), 120_000, 100);
  await petSets.stop();
  await waitFor('the first eviction', () => hasCondition((c) => c.startsWith('EvictPod--')), 60_000, 100);
  const mid = await request(ns, 'sdbops-cancelled');
  t.equal(mid?.status?.phase, 'Progressing', 'Progressing mid-restart');
  t.ok(paused(await cp.api.must<Singlestore>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database')), 'the database is paused');

  // Cancel.
  const del = await cp.api.delete(opsPath(ns, 'sdbops-cancelled'));
  t.ok(del.status === 200 || del.status === 202, `DELETE answered ${del.status}`);
  await waitFor('the request gone (no finalizer)', async () => ((await request(ns, 'sdbops-cancelled')) === undefined ? true : undefined), 10_000, 100);
  const db = await waitFor(
    'the database resumed',
    async () => {
      const d = await cp.api.must<Singlestore>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database');
      return paused(d) ? undefined : d;
    },
    30_000,
    200,
  );
  t.same(db.spec?.tls, db0.spec?.tls, 'spec.tls of the database unchanged');
  // The Event is written right after the resume: wait for it.
  const resumed = await waitFor(
    'the resume Event',
    async () => {
      const events = await cp.api.must<{ items: { reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } }[] }>(cp.api.get(resourcePath(R.event, ns)), 'events');
      return events.items.find((e) => e.reason === 'DatabaseResumeSucceeded' && e.involvedObject?.name === 'sdbops-cancelled' && (e.message ?? '').includes('was deleted'));
    },
    15_000,
    250,
  ).catch(() => undefined);
  t.ok(resumed, 'an Event on the deleted request says the database was resumed');
  t.comment(`resume event: ${resumed?.message ?? 'none'}`);
  const evicted = await evictions(ns);
  await sleep(3000);
  t.same(await evictions(ns), evicted, 'no further pod is evicted');

  // The PetSet controller comes back; a new request for the database runs normally.
  petSets = new TestOnlyPetSetController(cp.api).start();
  const second = workedRequest('rotate.yaml', ns, { name: 'sdbops-again' });
  await create(second);
  const done = await waitFor(
    'the new request Successful and the database resumed',
    async () => {
      const r = await request(ns, 'sdbops-again');
      const d = await cp.api.must<Singlestore>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database');
      return r && ['Successful', 'Failed'].includes(r.status?.phase ?? '') && !paused(d) ? r : undefined;
    },
    180_000,
    500,
  );
  t.equal(done.status?.phase, 'Successful', `phase: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
});
