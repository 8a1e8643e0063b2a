// E2E: queueing as KubeDB queues (SPEC 3b, 5.1), on the real API server and parts.
//  - Another ops request of the database (a VerticalScaling) is Progressing and holds the
//    database Paused: a ReconfigureTLS request is ADMITTED with the `op-in-flight`
//    warning (not denied with `database-paused`), waits Pending until the other one is
//    done (the test plays KubeDB's ops-manager: Successful, then resume), then is
//    carried out to Successful.
//  - Two TLS requests, the older still Pending (its database not Ready, apply: IfReady):
//    the newer is admitted with the `tls-op-superseded` warning naming the older, the
//    older becomes Skipped naming the newer, and the newer is carried out.
import t from 'tap';
import type { Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import {
  createOps,
  dbPath,
  newNamespace,
  opsPath,
  seedDatabase,
  sleep,
  startServiceCluster,
  waitFor,
  workedRequest,
  type ControlPlane,
  type Obj,
} from './harness/index.js';

let cp: ControlPlane;
let stop: (() => Promise<void>) | undefined;

t.before(async () => {
  ({ cp, stop } = await startServiceCluster((l) => t.comment(l)));
});

t.teardown(() => stop?.());

const request = async (ns: string, name: string): Promise<SinglestoreOpsRequest> => cp.api.must<SinglestoreOpsRequest>(cp.api.get(opsPath(ns, name)), `request ${name}`);
const phaseOf = async (ns: string, name: string): Promise<string> => (await request(ns, name)).status?.phase ?? '';
const now = (): string => new Date().toISOString();

async function untilPhase(ns: string, name: string, phases: string[], ms: number): Promise<SinglestoreOpsRequest> {
  return waitFor(`${ns}/${name} in ${phases.join('|')}`, async () => {
    const r = await request(ns, name);
    return phases.includes(r.status?.phase ?? '') ? r : undefined;
  }, ms, 300);
}

/** Creates `req`, retrying while the webhook's caches catch up (it must be admitted). */
async function admit(req: Obj, until: (warnings: string[]) => boolean = () => true): Promise<{ status: number; warnings: string[]; message: string }> {
  const deadline = Date.now() + 15_000;
  let last: { status: number; warnings: string[]; message: string };
  for (;;) {
    const r = await createOps(cp.api, req, { dryRun: 'All' });
    last = { status: r.status, warnings: r.warnings, message: (r.body as { message?: string }).message ?? '' };
    if ((r.status === 201 && until(r.warnings)) || Date.now() > deadline) break;
    await sleep(300);
  }
  if (last.status !== 201) return last;
  const r = await createOps(cp.api, req);
  return { status: r.status, warnings: r.warnings, message: (r.body as { message?: string }).message ?? '' };
}

t.test('a TLS request while a VerticalScaling holds the database paused: admitted with op-in-flight, queued, then carried out', async (t) => {
  const ns = await newNamespace(cp.api, 'queue-vscale');
  await seedDatabase(cp.api, ns, 'state-tls.yaml');
  // KubeDB's ops-manager running a VerticalScaling: the request Progressing, the database Paused by it.
  const vs: Obj = {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name: 'sdbops-vscale', namespace: ns },
    spec: { type: 'VerticalScaling', databaseRef: { name: 'sample-sdb' } },
  };
  await cp.api.must(createOps(cp.api, vs), 'create the VerticalScaling request');
  await cp.api.must(
    cp.api.patch(opsPath(ns, 'sdbops-vscale', 'status'), { status: { phase: 'Progressing', conditions: [{ type: 'VerticalScaling', status: 'True', reason: 'VerticalScaling', message: 'Singlestore ops request is vertically scaling database', lastTransitionTime: now() }] } }, 'merge'),
    'VerticalScaling Progressing',
  );
  await cp.api.must(
    cp.api.patch(dbPath(ns, 'sample-sdb', 'status'), { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: now() }, { type: 'Paused', status: 'True', reason: 'Paused', message: 'paused by the KubeDB ops manager for sdbops-vscale', lastTransitionTime: now() }] } }, 'merge'),
    'database Paused by KubeDB',
  );

  const rotate = workedRequest('rotate.yaml', ns);
  const name = rotate.metadata?.name ?? '';
  const created = await admit(rotate, (w) => w.some((x) => x.includes('op-in-flight') || x.includes('sdbops-vscale')));
  t.equal(created.status, 201, `admitted, not denied with database-paused: ${created.message}`);
  t.ok(created.warnings.some((w) => w.includes('sdbops-vscale')), `warned that it waits for sdbops-vscale: ${JSON.stringify(created.warnings)}`);
  t.comment(`admitted with warnings: ${JSON.stringify(created.warnings)}`);

  await untilPhase(ns, name, ['Pending'], 30_000);
  await sleep(5000);
  t.equal(await phaseOf(ns, name), 'Pending', 'still Pending while the VerticalScaling runs');
  const db = await cp.api.must<Singlestore>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database');
  t.equal((db.status?.conditions ?? []).find((c) => c.type === 'Paused')?.reason, 'Paused', "the database's pause is still KubeDB's");

  // KubeDB finishes the VerticalScaling and resumes the database.
  await cp.api.must(
    cp.api.patch(opsPath(ns, 'sdbops-vscale', 'status'), { status: { phase: 'Successful', conditions: [{ type: 'Successful', status: 'True', reason: 'Successful', message: 'done', lastTransitionTime: now() }] } }, 'merge'),
    'VerticalScaling Successful',
  );
  await cp.api.must(
    cp.api.patch(dbPath(ns, 'sample-sdb', 'status'), { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: now() }] } }, 'merge'),
    'database resumed by KubeDB',
  );
  const done = await untilPhase(ns, name, ['Successful', 'Failed', 'Skipped'], 240_000);
  t.equal(done.status?.phase, 'Successful', `carried out after its turn: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
});

t.test('two TLS requests, the older still Pending: the newer admitted with tls-op-superseded, the older Skipped naming it', async (t) => {
  const ns = await newNamespace(cp.api, 'queue-superseded');
  await seedDatabase(cp.api, ns, 'state-tls.yaml');
  // apply: IfReady keeps the older request Pending while the database is not Ready.
  await cp.api.must(cp.api.patch(dbPath(ns, 'sample-sdb', 'status'), { status: { phase: 'NotReady' } }, 'merge'), 'database NotReady');
  const older = workedRequest('rotate.yaml', ns, { name: 'sdbops-rotate-older' });
  const first = await admit(older, (w) => w.some((x) => x.includes('Ready')));
  t.equal(first.status, 201, `older admitted: ${first.message}`);
  await untilPhase(ns, 'sdbops-rotate-older', ['Pending'], 30_000);

  const newer = workedRequest('update.yaml', ns, { name: 'sdbops-update-newer' });
  const second = await admit(newer, (w) => w.some((x) => x.includes('sdbops-rotate-older')));
  t.equal(second.status, 201, `newer admitted, not denied with tls-op-in-flight: ${second.message}`);
  t.ok(second.warnings.some((w) => w.includes('sdbops-rotate-older')), `warned that it supersedes sdbops-rotate-older: ${JSON.stringify(second.warnings)}`);
  t.comment(`newer admitted with warnings: ${JSON.stringify(second.warnings)}`);

  const skipped = await untilPhase(ns, 'sdbops-rotate-older', ['Skipped', 'Successful', 'Failed'], 60_000);
  t.equal(skipped.status?.phase, 'Skipped', 'the older one is Skipped');
  const cond = (skipped.status?.conditions ?? []).find((c) => c.type === 'Skipped');
  t.match(cond?.message ?? '', /sdbops-update-newer/, `its Skipped condition names the newer request: ${String(cond?.message)}`);

  await cp.api.must(cp.api.patch(dbPath(ns, 'sample-sdb', 'status'), { status: { phase: 'Ready' } }, 'merge'), 'database Ready');
  const done = await untilPhase(ns, 'sdbops-update-newer', ['Successful', 'Failed', 'Skipped'], 240_000);
  t.equal(done.status?.phase, 'Successful', `the newer one is carried out: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
  const db = await cp.api.must<Singlestore>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database');
  t.same(db.spec?.tls?.certificates?.find((c) => c.alias === 'server')?.subject?.organizations, ['kubedb:server'], "the newer request's change is in the database");
});
