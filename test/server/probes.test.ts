// /healthz, /readyz and /metrics.
import type { KubernetesObject } from '@kubernetes/client-node';
import t from 'tap';
import type { ReadinessReport } from '../../src/server/app.js';
import { InformerView, type InformerLike, type ResourceDef } from '../../src/kube/informer-view.js';
import { admissionFixture, makeApp, post, sentReview, stateView } from './helpers.js';

t.test('/healthz is always ok', async (t) => {
  const { app } = makeApp();
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.strictSame(JSON.parse(res.body), { status: 'ok' });
});

t.test('/readyz without a kubeconfig: ready, and says cluster rules are not evaluated', async (t) => {
  const { app } = makeApp();
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.strictSame(JSON.parse(res.body), {
    status: 'ready',
    ready: true,
    clusterRules: 'not-evaluated',
    message: 'ready; no kubeconfig: cluster rules are not evaluated',
  });
});

t.test('/readyz follows the readiness provider: 503 until synced', async (t) => {
  let report: ReadinessReport = {
    ready: false,
    clusterRules: 'evaluated',
    message: 'waiting for caches to sync',
    caches: [{ resource: 'singlestores.kubedb.com', synced: false, objects: 0, reason: 'listing' }],
  };
  const { app } = makeApp({ view: stateView('state.yaml'), readiness: () => report });
  const before = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(before.statusCode, 503);
  t.strictSame(JSON.parse(before.body), { status: 'not ready', ...report });
  report = { ready: true, clusterRules: 'evaluated', message: 'ready: all caches synced', caches: [{ resource: 'singlestores.kubedb.com', synced: true, objects: 1 }] };
  const after = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(after.statusCode, 200);
  t.strictSame(JSON.parse(after.body), { status: 'ready', ...report });
});

/** A fake informer whose start() the test resolves by hand. */
class FakeInformer implements InformerLike {
  handlers: Record<string, ((obj: KubernetesObject) => void)[]> = {};
  release: (() => void) | undefined;
  on(verb: string, cb: (obj: KubernetesObject) => void): void {
    (this.handlers[verb] ??= []).push(cb);
  }
  start(): Promise<void> {
    return new Promise((resolve) => (this.release = resolve));
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The /readyz body: the readiness report and its status word. */
function readyz(body: string): ReadinessReport & { status: string } {
  return JSON.parse(body) as ReadinessReport & { status: string };
}

t.test('/readyz with an InformerView: not ready until all four informers synced', async (t) => {
  const fakes = new Map<string, FakeInformer>();
  const view = new InformerView({ factory: (d: ResourceDef) => { const f = new FakeInformer(); fakes.set(d.key, f); return f; } });
  const { app } = makeApp({ view, readiness: () => view.readiness() });
  view.start();
  const r1 = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(r1.statusCode, 503);
  const b1 = readyz(r1.body);
  t.equal(b1.ready, false);
  t.equal(b1.caches?.length, 4);
  t.strictSame(b1.caches?.map((c) => [c.resource, c.synced, c.reason]), [
    ['singlestores.kubedb.com', false, 'listing'],
    ['singlestoreopsrequests.ops.kubedb.com', false, 'listing'],
    ['issuers.cert-manager.io', false, 'listing'],
    ['clusterissuers.cert-manager.io', false, 'listing'],
  ]);
  const release = (key: string) => {
    const resolve = fakes.get(key)?.release;
    if (!resolve) throw new Error(`the ${key} informer was not started`);
    resolve();
  };
  for (const key of ['singlestores', 'singlestoreopsrequests', 'issuers']) release(key);
  await new Promise((r) => setImmediate(r));
  const r2 = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(r2.statusCode, 503, 'three of four is not ready');
  t.match(readyz(r2.body).message, /waiting for caches to sync: clusterissuers\.cert-manager\.io \(listing\)/);
  release('clusterissuers');
  await view.synced();
  const r3 = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(r3.statusCode, 200);
  t.equal(readyz(r3.body).message, 'ready: all caches synced');
  await view.stop();
});

t.test('/metrics: Prometheus text with reviews by verdict and rule, latency, reconcile and cache metrics', async (t) => {
  const { app, deps } = makeApp({ view: stateView('state-tls.yaml') });
  deps.metrics.setCacheSource(() => [
    { resource: 'singlestores', objects: 3, synced: true },
    { resource: 'issuers', objects: 2, synced: false },
  ]);
  await post(app, '/validate', admissionFixture('v1-create-denied.json'));
  await post(app, '/validate', admissionFixture('v1-create-restart-with-tls.json'));
  await post(app, '/validate', admissionFixture('v1beta1-create-allowed.json'));
  const mutate = sentReview('v1beta1-create-allowed.json');
  delete mutate.request.object.spec.apply;
  await post(app, '/mutate', mutate);
  deps.metrics.reconcileSteps.inc({ step: 'DatabasePauseSucceeded', result: 'success' });
  deps.metrics.reconcileStepDuration.observe({ step: 'DatabasePauseSucceeded' }, 0.2);

  const res = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const lines = res.body.split('\n');
  const has = (line: string) => t.ok(lines.includes(line), line);
  has('sdb_tls_guard_admission_reviews_total{webhook="validate",verdict="denied"} 1');
  has('sdb_tls_guard_admission_reviews_total{webhook="validate",verdict="allowed"} 2');
  has('sdb_tls_guard_admission_reviews_total{webhook="mutate",verdict="allowed"} 1');
  has('sdb_tls_guard_admission_rule_reviews_total{webhook="validate",rule="certificate-alias",verdict="deny"} 1');
  has('sdb_tls_guard_admission_rule_reviews_total{webhook="validate",rule="certificate-duration",verdict="deny"} 1');
  has('sdb_tls_guard_admission_rule_reviews_total{webhook="validate",rule="timeout",verdict="deny"} 1');
  has('sdb_tls_guard_admission_rule_reviews_total{webhook="validate",rule="tls-ignored",verdict="warn"} 1');
  has('sdb_tls_guard_admission_rule_reviews_total{webhook="mutate",rule="default-apply",verdict="default"} 1');
  has('sdb_tls_guard_admission_review_duration_seconds_count{webhook="validate"} 3');
  has('sdb_tls_guard_admission_review_duration_seconds_count{webhook="mutate"} 1');
  has('sdb_tls_guard_reconcile_steps_total{step="DatabasePauseSucceeded",result="success"} 1');
  has('sdb_tls_guard_reconcile_step_duration_seconds_count{step="DatabasePauseSucceeded"} 1');
  has('sdb_tls_guard_cache_objects{resource="singlestores"} 3');
  has('sdb_tls_guard_cache_objects{resource="issuers"} 2');
  has('sdb_tls_guard_cache_synced{resource="singlestores"} 1');
  has('sdb_tls_guard_cache_synced{resource="issuers"} 0');
  has('# TYPE sdb_tls_guard_admission_review_duration_seconds histogram');
  has('sdb_tls_guard_build_info{version="unknown"} 1');
  t.notOk(lines.some((l) => l.startsWith('process_') || l.startsWith('nodejs_')), 'process metrics only when asked for');
});

t.test('each app has its own registry', async (t) => {
  const a = makeApp();
  const b = makeApp();
  await post(a.app, '/validate', admissionFixture('v1-delete.json'));
  const mb = (await b.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.notMatch(mb, /sdb_tls_guard_admission_reviews_total\{/);
  const ma = (await a.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(ma, /sdb_tls_guard_admission_reviews_total\{webhook="validate",verdict="allowed"\} 1/);
});
