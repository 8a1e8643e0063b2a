// The API server stopped and started again while the service runs (webhook and
// reconciler in one process, against a real kube-apiserver + etcd; etcd keeps running,
// so the restarted API server has the same state, on the same port, like a control-plane
// restart).
//   - While it is down, admission keeps answering from the informer caches: a review
//     sent straight to the webhook (as an API server replica would) is still judged by
//     the cluster rules with the last known state, and /readyz stays 200 and says which
//     caches are resyncing and why.
//   - A reconcile in flight waits (its calls fail and are retried) and finishes once the
//     API server is back, with the database resumed.
//   - After the restart the caches catch up: a change made then is seen by admission.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { wrapReview } from '../fuzz/arbitraries.js';
import {
  createOps,
  dbPath,
  registerWebhooks,
  sleep,
  startControlPlane,
  startProcess,
  startWebhook,
  waitFor,
  workedRequest,
  type ControlPlane,
  type ManagedProcess,
  type Webhook,
} from './harness/index.js';
import { conditionTypes, createAdmitted, getRequest, isPaused, seedDatabase, waitFinished } from './fault.support.js';

let cp: ControlPlane;
let wh: Webhook;
let restarted: ManagedProcess | undefined;

t.before(async () => {
  cp = await startControlPlane({ log: (l) => t.comment(l) });
  t.teardown(() => cp.stop()); // tap runs teardowns last-registered first: the webhook and the restarted API server, then the control plane
  await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sdb-tls-guard' } }), 'namespace sdb-tls-guard');
  wh = await startWebhook(cp, { reconcile: true, env: { POD_NAME: 'sdb-tls-guard-fault-0' } });
  t.teardown(async () => {
    await wh.stop();
    await restarted?.stop();
  });
  await registerWebhooks(cp.api, wh);
});


/** The kube-apiserver process under the harness's watchdog: its command line. */
function apiserverCommand(): { command: string; args: string[] } {
  const children = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).filter((pid) => {
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid (after "pid (comm) state").
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(cp.apiserver.pid);
    } catch {
      return false;
    }
  });
  for (const pid of children) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv[0]?.endsWith('kube-apiserver')) return { command: argv[0], args: argv.slice(1) };
  }
  throw new Error(`no kube-apiserver under watchdog ${cp.apiserver.pid}`);
}

async function apiserverUp(ms: number): Promise<void> {
  await waitFor('kube-apiserver /readyz', async () => ((await cp.api.get('/readyz').catch(() => ({ status: 0 }))).status === 200 ? true : undefined), ms, 250);
}

interface Answer {
  status: number;
  json: { response?: { uid?: string; allowed?: boolean; status?: { message?: string; code?: number }; warnings?: string[] }; message?: string; status?: string; clusterRules?: string; caches?: { resource: string; synced: boolean; reason?: string }[] };
}

function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${wh.url}${path}`, { method, ca: wh.caPem, headers: body === undefined ? {} : { 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['json'] }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

t.test('API server stopped and started while the service runs', async (t) => {
  // ns P: a database paused by someone else (KubeDB's ops manager).
  const paused = await seedDatabase(cp, 'apisrv-paused');
  await cp.api.must(
    cp.api.patch(dbPath(paused.ns, 'sample-sdb', 'status'), { status: { conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest other/sdbops-restart', message: 'paused by the KubeDB ops manager', lastTransitionTime: new Date().toISOString() }] } }, 'merge'),
    'pause the database',
  );
  // ns R: a database the reconciler will work on.
  const run = await seedDatabase(cp, 'apisrv-run');

  const denied = await waitFor(
    'the webhook to see the pause',
    async () => {
      const r = await createOps(cp.api, workedRequest('add-tls.yaml', paused.ns), { dryRun: 'All' });
      const message = (r.body as { message?: string } | undefined)?.message ?? '';
      return r.status === 422 && message.includes('paused') ? message : undefined;
    },
    20_000,
  ).catch(() => undefined);
  t.match(denied ?? '', /paused by the KubeDB ops manager/, `before the outage, through the API server (dry run): denied (${String(denied)})`);

  // Start a reconcile and stop the API server once the database is paused by it.
  const req = workedRequest('add-tls.yaml', run.ns);
  const name = req.metadata?.name ?? '';
  t.equal((await createAdmitted(cp.api, req)).status, 201, 'add-TLS admitted');
  await waitFor(`${run.ns}/${name} paused the database`, async () => (conditionTypes(await getRequest(cp.api, run.ns, name)).includes('DatabasePauseSucceeded') ? true : undefined), 60_000, 50);

  const atStop = await getRequest(cp.api, run.ns, name);
  t.equal(atStop?.status?.phase, 'Progressing', 'the reconcile is in flight when the API server stops');
  t.notOk(conditionTypes(atStop).includes('Successful'), 'and not finished');
  const { command, args } = apiserverCommand();
  await cp.apiserver.stop(5000);
  const downAt = Date.now();
  t.comment('kube-apiserver stopped');

  // While it is down: /readyz stays 200 and names the caches being resynced.
  const ready = await waitFor(
    '/readyz to report the lost watch',
    async () => {
      const r = await call('GET', '/readyz');
      return r.json.caches?.some((c) => !c.synced) ? r : undefined;
    },
    30_000,
    250,
  );
  t.equal(ready.status, 200, '/readyz stays 200 (admission still answers from the caches)');
  t.match(ready.json.message ?? '', /^ready; resyncing: /, `/readyz says so: ${String(ready.json.message)}`);
  t.equal(ready.json.clusterRules, 'evaluated', 'cluster rules still evaluated');
  t.ok(ready.json.caches?.filter((c) => !c.synced).every((c) => typeof c.reason === 'string' && c.reason.length > 0), 'each lagging cache has a reason');

  // Admission from the caches: the paused database is still known to be paused; the
  // other database still exists with its issuer.
  const onPaused = await call('POST', '/validate', wrapReview(workedRequest('add-tls.yaml', paused.ns), { uid: 'outage-1' }));
  t.equal(onPaused.status, 200);
  t.equal(onPaused.json.response?.uid, 'outage-1', 'uid echoed');
  t.equal(onPaused.json.response?.allowed, false, 'denied from the cache');
  t.match(onPaused.json.response?.status?.message ?? '', /paused by the KubeDB ops manager|SinglestoreOpsRequest other\/sdbops-restart/, 'by database-paused, naming who paused it');
  const onOther = await call('POST', '/validate', wrapReview(workedRequest('rotate.yaml', run.ns, { name: 'sdbops-second' }), { uid: 'outage-2' }));
  t.equal(onOther.json.response?.allowed, false, 'a second TLS request on the busy database is denied from the cache');
  t.match(onOther.json.response?.status?.message ?? '', /sdbops-add-tls/, 'naming the request in flight (tls-op-in-flight)');
  const mutated = await call('POST', '/mutate', wrapReview(workedRequest('add-tls.yaml', paused.ns), { uid: 'outage-3' }));
  t.equal(mutated.json.response?.allowed, true, '/mutate still defaults');
  t.ok(typeof mutated.json.response === 'object' && 'patch' in (mutated.json.response ?? {}), 'with a patch');

  // Keep it down a while: the reconciler's calls fail; the request must not be lost.
  const hold = 8000 - (Date.now() - downAt);
  if (hold > 0) await sleep(hold);
  const exitedEarly = await Promise.race([wh.process.exited.then(() => true), sleep(10).then(() => false)]);
  t.notOk(exitedEarly, 'the service process kept running through the outage');
  restarted = startProcess({ name: 'kube-apiserver', command, args, logFile: join(cp.dir, 'kube-apiserver-restarted.log') });
  await apiserverUp(90_000);
  t.comment(`kube-apiserver back after ${Math.round((Date.now() - downAt) / 1000)} s`);

  const { req: done, db } = await waitFinished(cp.api, run.ns, name, 180_000);
  t.equal(done.status?.phase, 'Successful', `the reconcile finished: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
  t.notOk(isPaused(db), 'its database is resumed');
  t.equal(db.spec?.tls?.issuerRef?.name, 'sdb-issuer', 'with TLS on');

  const synced = await waitFor(
    '/readyz: all caches synced again',
    async () => {
      const r = await call('GET', '/readyz');
      return r.json.caches?.every((c) => c.synced) ? r : undefined;
    },
    60_000,
    250,
  );
  t.equal(synced.json.message, 'ready: all caches synced', 'resynced');

  // A change made after the restart reaches admission: un-pause P, then add-TLS on it is admitted.
  await cp.api.must(cp.api.patch(dbPath(paused.ns, 'sample-sdb', 'status'), { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'AllReplicasReady', lastTransitionTime: new Date().toISOString() }] } }, 'merge'), 'resume P');
  const admitted = await createAdmitted(cp.api, workedRequest('add-tls.yaml', paused.ns), 20_000);
  t.equal(admitted.status, 201, `after the restart the cache saw the resume: ${admitted.message}`);
});
