// SIGKILL of the service process at every reconcile step, against the real API server.
// For k = 1 .. 14 (the add-TLS request writes 15 step conditions, the last Successful),
// a fresh database gets the worked add-TLS request; as soon as the request shows k step
// conditions the service's process group is SIGKILLed (no shutdown handler runs), a new
// process is started (same POD_NAME, as a container restarted in its pod, so it takes
// the Lease back at once), and the request must still end Successful with the database
// resumed, TLS on and every pod restarted exactly through the new TLS spec.
import t from 'tap';
import { registerWebhooks, sleep, startControlPlane, startWebhook, workedRequest, type ControlPlane, type Webhook } from './harness/index.js';
import { conditionTypes, createAdmitted, getRequest, isPaused, killService, seedDatabase, waitFinished } from './fault.support.js';

const STEPS = 15;
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
  await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sdb-tls-guard' } }), 'namespace sdb-tls-guard');
  wh = await start();
  t.comment(`API server ${cp.version}; service at ${wh.url}`);
});

t.teardown(async () => {
  await wh?.stop();
  await cp?.stop();
});

const killedAt: number[] = [];

for (let k = 1; k < STEPS; k++) {
  t.test(`SIGKILL once the request shows ${k} step condition(s)`, async (t) => {
    const run = await seedDatabase(cp, `kill${k}`);
    t.teardown(() => run.stop());
    const req = workedRequest('add-tls.yaml', run.ns);
    const name = req.metadata?.name ?? '';
    const created = await createAdmitted(cp.api, req);
    t.equal(created.status, 201, `admitted ${created.message}`);

    // Watch (poll every 20 ms) until k conditions, then kill.
    let seen: string[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      seen = conditionTypes(await getRequest(cp.api, run.ns, name));
      if (seen.length >= k) break;
      await sleep(20);
    }
    t.ok(seen.length >= k, `reached ${k} conditions before the kill (saw ${seen.length})`);
    await killService(wh);
    killedAt.push(seen.length);
    const atKill = await getRequest(cp.api, run.ns, name);
    t.comment(`killed with ${conditionTypes(atKill).length} conditions: ${conditionTypes(atKill).join(', ')} (phase ${atKill?.status?.phase ?? ''})`);

    wh = await start();
    const { req: done, db } = await waitFinished(cp.api, run.ns, name, 180_000);
    t.equal(done.status?.phase, 'Successful', `phase ${done.status?.phase}: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
    t.notOk(isPaused(db), 'the database is not paused');
    t.equal(db.spec?.tls?.issuerRef?.name, 'sdb-issuer', 'the database has TLS with the requested issuer');
    const types = conditionTypes(done);
    t.equal(new Set(types).size, types.length, 'no step condition written twice');
    for (const c of ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful']) {
      t.ok(types.includes(c), `condition ${c}`);
    }
    t.equal(types.length, STEPS, `${STEPS} step conditions`);
  });
}

t.test('kill points', async (t) => {
  const distinct = new Set(killedAt);
  t.comment(`condition counts at the kills: ${killedAt.join(', ')}`);
  // Polling can miss a step that follows another within milliseconds; most must be hit.
  t.ok(distinct.size >= 8, `${distinct.size} distinct kill points of ${STEPS - 1}`);
});
