// SIGKILL of the service process at every reconcile step, against the real API server.
// A baseline run gives the n step conditions of add-TLS (the last is Successful) and the
// condition counts the request's status passes through (the reconciler writes the steps
// that finish in one pass in one status patch, so not every count is ever seen). Then,
// for each such count k < n, a fresh database gets the worked add-TLS request; as soon as the
// request shows k step conditions the service's process group is SIGKILLed (no shutdown
// handler runs), a new process is started (same POD_NAME, as a container restarted in
// its pod, so it takes the Lease back at once), and the request must still end
// Successful with the database resumed and TLS on, with the same step conditions in the
// same order as the baseline and none written twice.
import t, { type Test } from 'tap';
import { registerWebhooks, sleep, startControlPlane, startWebhook, workedRequest, type ControlPlane, type Webhook } from './harness/index.js';
import { conditionTypes, createAdmitted, getRequest, isPaused, killService, seedDatabase, waitFinished } from './fault.support.js';

const POD_NAME = 'sdb-tls-guard-fault-0';

let cp: ControlPlane;
let wh: Webhook;

async function start(): Promise<Webhook> {
  const w = await startWebhook(cp, { reconcile: true, env: { POD_NAME } });
  await registerWebhooks(cp.api, w);
  return w;
}

t.before(async () => {
  cp = await startControlPlane({ log: (l) => t.comment(l) });
  t.teardown(() => cp.stop()); // tap runs teardowns last-registered first: the webhook, then the control plane
  await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sdb-tls-guard' } }), 'namespace sdb-tls-guard');
  wh = await start();
  t.teardown(() => wh.stop()); // the webhook running then (each kill starts a new one)
  t.comment(`parts: ${cp.versions}; service at ${wh.url}`);
});

const killedAt: number[] = [];
let full: string[] = [];
/** Condition counts the baseline request was seen with (polled every 20 ms), ascending. */
let writePoints: number[] = [];

/** One run: seed, create add-TLS, optionally SIGKILL at k conditions and restart, finish. */
async function runOnce(t: Test, k: number | undefined): Promise<string[]> {
  const run = await seedDatabase(cp, k === undefined ? 'kill-base' : `kill${k}`);
  const req = workedRequest('add-tls.yaml', run.ns);
  const name = req.metadata?.name ?? '';
  const created = await createAdmitted(cp.api, req);
  t.equal(created.status, 201, `admitted ${created.message}`);
  if (k === undefined) {
    // Baseline: poll every 20 ms and note each condition count the status passes through.
    const seen = new Set<number>();
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const cur = await getRequest(cp.api, run.ns, name);
      seen.add(conditionTypes(cur).length);
      if (cur?.status?.phase === 'Successful' || cur?.status?.phase === 'Failed') break;
      await sleep(20);
    }
    writePoints = [...seen].filter((n) => n > 0).sort((a, b) => a - b);
  } else {
    // Poll every 20 ms until k step conditions, then kill.
    let seen: string[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      seen = conditionTypes(await getRequest(cp.api, run.ns, name));
      if (seen.length >= k) break;
      await sleep(20);
    }
    t.ok(seen.length >= k, `reached ${k} conditions before the kill (saw ${seen.length})`);
    await killService(wh);
    const atKill = await getRequest(cp.api, run.ns, name);
    killedAt.push(conditionTypes(atKill).length);
    t.comment(`killed with ${conditionTypes(atKill).length} conditions: ${conditionTypes(atKill).join(', ')} (phase ${atKill?.status?.phase ?? ''})`);
    wh = await start();
  }
  const { req: done, db } = await waitFinished(cp.api, run.ns, name, 180_000);
  t.equal(done.status?.phase, 'Successful', `phase ${String(done.status?.phase)}: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
  t.notOk(isPaused(db), 'the database is not paused');
  t.equal(db.spec?.tls?.issuerRef?.name, 'sdb-issuer', 'the database has TLS with the requested issuer');
  const types = conditionTypes(done);
  t.equal(new Set(types).size, types.length, 'no step condition written twice');
  return types;
}

t.test('baseline: add-TLS without a kill', async (t) => {
  full = await runOnce(t, undefined);
  t.comment(`step conditions: ${full.join(', ')}; condition counts seen: ${writePoints.join(', ')}`);
  t.equal(writePoints.at(-1), full.length, 'the last count seen is the finished request');
  for (const c of ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful']) {
    t.ok(full.includes(c), `condition ${c}`);
  }
});

t.test('SIGKILL at every step', async (t) => {
  t.ok(full.length > 8, `${full.length} step conditions in the baseline`);
  const points = writePoints.filter((k) => k < full.length);
  t.ok(points.length > 5, `${points.length} kill points before Successful`);
  // Each count the baseline passed through, short of Successful: killed once the request shows k conditions.
  for (const k of points) {
    await t.test(`SIGKILL once the request shows ${k} step condition(s) (after ${String(full[k - 1])})`, async (t) => {
      const types = await runOnce(t, k);
      t.same(types, full, 'the same step conditions, in the same order, as without a kill');
    });
  }
  const distinct = new Set(killedAt);
  t.comment(`condition counts at the kills: ${killedAt.join(', ')}`);
  // Polling can miss a write that follows another within milliseconds; most must be hit.
  t.ok(distinct.size >= Math.ceil(points.length * 0.6), `${distinct.size} distinct kill points of ${points.length}`);
});
