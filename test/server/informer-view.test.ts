// InformerView over fake informers: indexes, sync, failures with backoff restarts.
import t from 'tap';
import { describeInformerError, InformerView, WATCHED_RESOURCES, type InformerLike, type ResourceDef, type ResourceKey } from '../../src/kube/informer-view.js';
import { createMetrics } from '../../src/metrics.js';

type Handler = (x: any) => void;

/** Behaves like client-node's ListWatch: start() lists (emitting add/delete) or emits error, then resolves. */
class FakeInformer implements InformerLike {
  handlers: Record<string, Handler[]> = {};
  /** What the next start() does: list these objects, or fail with this error. */
  script: ({ list: any[] } | { error: unknown })[] = [];
  starts = 0;
  stops = 0;
  private held: any[] = [];
  on(verb: string, cb: Handler): void {
    (this.handlers[verb] ??= []).push(cb);
  }
  emit(verb: string, x: any): void {
    for (const h of this.handlers[verb] ?? []) h(x);
  }
  async start(): Promise<void> {
    this.starts++;
    const step = this.script.shift() ?? { list: this.held };
    if ('error' in step) {
      this.emit('error', step.error);
      return;
    }
    for (const old of this.held) if (!step.list.some((o) => o.metadata.name === old.metadata.name && o.metadata.namespace === old.metadata.namespace)) this.emit('delete', old);
    for (const o of step.list) this.emit(this.held.some((h) => h.metadata.name === o.metadata.name && h.metadata.namespace === o.metadata.namespace) ? 'update' : 'add', o);
    this.held = [...step.list];
  }
  async stop(): Promise<void> {
    this.stops++;
  }
}

function setup(scripts: Partial<Record<ResourceKey, FakeInformer['script']>> = {}) {
  const fakes = {} as Record<ResourceKey, FakeInformer>;
  const warnings: Record<string, unknown>[] = [];
  const view = new InformerView({
    factory: (d: ResourceDef) => {
      const f = new FakeInformer();
      f.script = scripts[d.key] ?? [];
      fakes[d.key] = f;
      return f;
    },
    backoff: { initialMs: 10, maxMs: 40 },
    logger: { info() {}, warn: (o) => void warnings.push(o as Record<string, unknown>) },
  });
  return { view, fakes, warnings };
}

const sdb = (ns: string, name: string, extra: object = {}) => ({ apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { namespace: ns, name }, ...extra });
const ops = (ns: string, name: string, db: string, phase = 'Pending') => ({
  apiVersion: 'ops.kubedb.com/v1alpha1',
  kind: 'SinglestoreOpsRequest',
  metadata: { namespace: ns, name },
  spec: { type: 'ReconfigureTLS', databaseRef: { name: db } },
  status: { phase },
});
const issuer = (ns: string, name: string) => ({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { namespace: ns, name } });
const cissuer = (name: string) => ({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name } });

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('watches the four kinds cluster-wide', async (t) => {
  t.strictSame(
    WATCHED_RESOURCES.map((r) => `${r.plural}.${r.group}/${r.version}`),
    ['singlestores.kubedb.com/v1alpha2', 'singlestoreopsrequests.ops.kubedb.com/v1alpha1', 'issuers.cert-manager.io/v1', 'clusterissuers.cert-manager.io/v1'],
  );
});

t.test('lookups through the indexes after sync', async (t) => {
  const { view, fakes } = setup({
    singlestores: [{ list: [sdb('demo', 'sample-sdb'), sdb('prod', 'sample-sdb', { spec: { halted: true } })] }],
    singlestoreopsrequests: [{ list: [ops('demo', 'a', 'sample-sdb'), ops('demo', 'b', 'sample-sdb', 'Successful'), ops('demo', 'c', 'other'), ops('prod', 'd', 'sample-sdb')] }],
    issuers: [{ list: [issuer('demo', 'sdb-issuer')] }],
    clusterissuers: [{ list: [cissuer('letsencrypt')] }],
  });
  t.equal(view.hasSynced(), false);
  view.start();
  await view.synced();
  t.equal(view.hasSynced(), true);
  t.equal(view.isSyncedNow(), true);
  t.equal(view.getSinglestore('demo', 'sample-sdb')?.metadata?.namespace, 'demo');
  t.strictSame(view.getSinglestore('prod', 'sample-sdb')?.spec, { halted: true });
  t.equal(view.getSinglestore('demo', 'nope'), undefined);
  t.strictSame(view.listOpsRequests('demo', 'sample-sdb').map((o) => o.metadata?.name).sort(), ['a', 'b']);
  t.strictSame(view.listOpsRequests('prod', 'sample-sdb').map((o) => o.metadata?.name), ['d']);
  t.strictSame(view.listOpsRequests('demo', 'missing'), []);
  t.equal(view.getIssuer('demo', 'sdb-issuer')?.kind, 'Issuer');
  t.equal(view.getIssuer('prod', 'sdb-issuer'), undefined, 'issuers are namespaced');
  t.equal(view.getClusterIssuer('letsencrypt')?.kind, 'ClusterIssuer');
  t.strictSame(view.cacheStats(), [
    { resource: 'singlestores', objects: 2, synced: true },
    { resource: 'singlestoreopsrequests', objects: 4, synced: true },
    { resource: 'issuers', objects: 1, synced: true },
    { resource: 'clusterissuers', objects: 1, synced: true },
  ]);

  // Watch events keep the indexes current.
  const seen: string[] = [];
  const unsubscribe = view.subscribe((resource, type, obj) => seen.push(`${resource}:${type}:${obj.metadata?.name}`));
  fakes.singlestoreopsrequests.emit('update', { ...ops('demo', 'a', 'sample-sdb'), status: { phase: 'Progressing' } });
  t.equal(view.listOpsRequests('demo', 'sample-sdb').find((o) => o.metadata?.name === 'a')?.status?.phase, 'Progressing');
  fakes.singlestoreopsrequests.emit('delete', ops('demo', 'b', 'sample-sdb'));
  t.strictSame(view.listOpsRequests('demo', 'sample-sdb').map((o) => o.metadata?.name), ['a']);
  fakes.singlestoreopsrequests.emit('update', ops('demo', 'a', 'other'));
  t.strictSame(view.listOpsRequests('demo', 'sample-sdb'), [], 'moved out of its old bucket');
  t.strictSame(view.listOpsRequests('demo', 'other').map((o) => o.metadata?.name).sort(), ['a', 'c']);
  fakes.singlestores.emit('delete', sdb('demo', 'sample-sdb'));
  t.equal(view.getSinglestore('demo', 'sample-sdb'), undefined);
  fakes.clusterissuers.emit('add', cissuer('selfsigned'));
  t.equal(view.list('clusterissuers').length, 2);
  unsubscribe();
  fakes.issuers.emit('delete', issuer('demo', 'sdb-issuer'));
  t.strictSame(seen, [
    'singlestoreopsrequests:update:a',
    'singlestoreopsrequests:delete:b',
    'singlestoreopsrequests:update:a',
    'singlestores:delete:sample-sdb',
  ], 'issuer changes are not delivered (nothing waits on them)');
  t.equal(view.getIssuer('demo', 'sdb-issuer'), undefined);
  t.equal(view.cacheStats()[1]!.objects, 3);
  await view.stop();
  t.equal(fakes.singlestores.stops, 1);
});

t.test('a missing CRD: not ready with the reason, retried with backoff, ready once it appears', async (t) => {
  const notFound = Object.assign(new Error('HTTP-Code: 404 Message: Unknown API Status Code!'), { code: 404 });
  const { view, fakes, warnings } = setup({ singlestores: [{ error: notFound }, { error: notFound }, { list: [sdb('demo', 'x')] }] });
  const metrics = createMetrics();
  metrics.setCacheSource(() => view.cacheStats());
  view.start();
  await wait(0);
  const r = view.readiness();
  t.equal(r.ready, false);
  t.match(r.message, /^waiting for caches to sync: singlestores\.kubedb\.com \(singlestores\.kubedb\.com\/v1alpha2: not served by the API server \(CRD not installed\?\) \(404\); retrying in 0s\)$/);
  t.strictSame(r.caches?.filter((c) => !c.synced).map((c) => c.resource), ['singlestores.kubedb.com']);
  t.match(await metrics.registry.metrics(), /sdb_tls_guard_cache_synced\{resource="singlestores"\} 0/);
  await view.synced();
  t.equal(fakes.singlestores.starts, 3, 'two failures, then a successful list');
  t.equal(view.readiness().ready, true);
  t.equal(view.getSinglestore('demo', 'x')?.metadata?.name, 'x');
  t.equal(warnings.length, 2);
  t.match(warnings[1], { resource: 'singlestores', failures: 2, retryInMs: 20 });
  t.match(await metrics.registry.metrics(), /sdb_tls_guard_cache_synced\{resource="singlestores"\} 1/);
  await view.stop();
});

t.test('a watch error after sync: keeps the cache, reports resyncing, stays ready, restarts', async (t) => {
  const { view, fakes } = setup({ issuers: [{ list: [issuer('demo', 'a')] }] });
  view.start();
  await view.synced();
  fakes.issuers.script = [{ error: Object.assign(new Error('Gone away'), { statusCode: 500 }) }, { list: [issuer('demo', 'b')] }];
  fakes.issuers.emit('error', new Error('socket hang up'));
  const r = view.readiness();
  t.equal(r.ready, true, 'ever-synced caches keep the webhook ready');
  t.match(r.message, /^ready; resyncing: issuers\.cert-manager\.io \(issuers\.cert-manager\.io\/v1: socket hang up; retrying in 0s\)$/);
  t.equal(view.isSyncedNow(), false);
  t.equal(view.getIssuer('demo', 'a')?.metadata?.name, 'a', 'last known objects still answer');
  await wait(120);
  t.equal(fakes.issuers.starts, 3, 'restarted after the watch error and again after the failed restart');
  t.equal(view.isSyncedNow(), true);
  t.equal(view.getIssuer('demo', 'a'), undefined, 'relist dropped the deleted issuer');
  t.equal(view.getIssuer('demo', 'b')?.metadata?.name, 'b');
  await view.stop();
  t.equal(view.readiness().caches?.[0]?.reason, 'stopped');
});

t.test('stop() cancels pending restarts', async (t) => {
  const { view, fakes } = setup({ clusterissuers: [{ error: new Error('connection refused') }] });
  view.start();
  await wait(0);
  await view.stop();
  await wait(60);
  t.equal(fakes.clusterissuers.starts, 1, 'no restart after stop');
});

t.test('error reasons', async (t) => {
  const def = WATCHED_RESOURCES[2]!;
  t.equal(describeInformerError(def, { code: 403 }), 'issuers.cert-manager.io/v1: forbidden: the service account may not list/watch it cluster-wide (403)');
  t.equal(describeInformerError(def, { statusCode: 401 }), 'issuers.cert-manager.io/v1: unauthorized: the credentials were rejected (401)');
  t.equal(describeInformerError(def, Object.assign(new Error('Bad Gateway\nmore'), { statusCode: 502 })), 'issuers.cert-manager.io/v1: HTTP 502: Bad Gateway');
  t.equal(describeInformerError(def, 'plain'), 'issuers.cert-manager.io/v1: plain');
});
