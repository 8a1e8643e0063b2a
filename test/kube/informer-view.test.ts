// InformerView over fake informers: indexes, sync, failures with backoff restarts.
import type { KubernetesObject } from '@kubernetes/client-node';
import t from 'tap';
import { describeInformerError, InformerView, MANAGED_SELECTOR, RECONCILER_RESOURCES, resourcePath, WATCHED_RESOURCES, type InformerLike, type ResourceDef, type ResourceKey } from '../../src/kube/informer-view.js';
import { certificateLabels } from '../../src/core/reconcile/tls.js';
import { createMetrics } from '../../src/metrics.js';

type ObjectVerb = 'add' | 'update' | 'delete';
type ObjectHandler = (obj: KubernetesObject) => void;
type ErrorHandler = (err?: unknown) => void;

/** Behaves like client-node's ListWatch: start() lists (emitting add/delete) or emits error, then resolves. */
class FakeInformer implements InformerLike {
  handlers: Record<ObjectVerb, ObjectHandler[]> = { add: [], update: [], delete: [] };
  errorHandlers: ErrorHandler[] = [];
  /** What the next start() does: list these objects, or fail with this error. */
  script: ({ list: KubernetesObject[] } | { error: unknown })[] = [];
  starts = 0;
  stops = 0;
  private held: KubernetesObject[] = [];
  on(...[verb, cb]: [verb: ObjectVerb, cb: ObjectHandler] | [verb: 'error', cb: ErrorHandler]): void {
    if (verb === 'error') this.errorHandlers.push(cb);
    else this.handlers[verb].push(cb);
  }
  emit(...[verb, x]: [verb: ObjectVerb, obj: KubernetesObject] | [verb: 'error', err: unknown]): void {
    if (verb === 'error') for (const h of this.errorHandlers) h(x);
    else for (const h of this.handlers[verb]) h(x);
  }
  async start(): Promise<void> {
    this.starts++;
    const step = this.script.shift() ?? { list: this.held };
    if ('error' in step) {
      this.emit('error', step.error);
      return;
    }
    const same = (a: KubernetesObject, b: KubernetesObject) => a.metadata?.name === b.metadata?.name && a.metadata?.namespace === b.metadata?.namespace;
    for (const old of this.held) if (!step.list.some((o) => same(o, old))) this.emit('delete', old);
    for (const o of step.list) this.emit(this.held.some((h) => same(h, o)) ? 'update' : 'add', o);
    this.held = [...step.list];
  }
  async stop(): Promise<void> {
    this.stops++;
  }
}

function setup(scripts: Partial<Record<ResourceKey, FakeInformer['script']>> = {}, opts: { reconciler?: boolean } = {}) {
  const fakes = {} as Record<ResourceKey, FakeInformer>;
  const warnings: Record<string, unknown>[] = [];
  const view = new InformerView({
    ...opts,
    factory: (d: ResourceDef) => {
      const f = new FakeInformer();
      f.script = scripts[d.key] ?? [];
      fakes[d.key] = f;
      return f;
    },
    backoff: { initialMs: 10, maxMs: 40 },
    logger: { info: () => undefined, warn: (o) => void warnings.push(o as Record<string, unknown>) },
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
  const unsubscribe = view.subscribe((resource, type, obj) => seen.push(`${resource}:${type}:${String(obj.metadata?.name)}`));
  fakes.singlestoreopsrequests.emit('update', ops('demo', 'a', 'sample-sdb', 'Progressing'));
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
  t.equal(view.cacheStats()[1]?.objects, 3);
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
  const def = WATCHED_RESOURCES[2];
  if (!def) throw new Error('no third watched resource');
  t.equal(describeInformerError(def, { code: 403 }), 'issuers.cert-manager.io/v1: forbidden: the service account may not list/watch it cluster-wide (403)');
  t.equal(describeInformerError(def, { statusCode: 401 }), 'issuers.cert-manager.io/v1: unauthorized: the credentials were rejected (401)');
  t.equal(describeInformerError(def, Object.assign(new Error('Bad Gateway\nmore'), { statusCode: 502 })), 'issuers.cert-manager.io/v1: HTTP 502: Bad Gateway');
  t.equal(describeInformerError(def, 'plain'), 'issuers.cert-manager.io/v1: plain');
});

// ---- the reconciler's caches ----------------------------------------------------------

const KUBEDB = { 'app.kubernetes.io/managed-by': 'kubedb.com', 'app.kubernetes.io/name': 'singlestores.kubedb.com', 'app.kubernetes.io/instance': 'sample-sdb' };
const pod = (name: string, extra: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'demo', name, uid: `uid-${name}`, resourceVersion: '7', labels: KUBEDB, managedFields: [{ manager: 'kubelet', fieldsV1: { 'f:status': {} } }] },
  spec: { containers: [{ name: 'singlestore', image: 'x' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'singlestore', ready: true }] },
  ...extra,
});
const certificate = (name: string) => ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { namespace: 'demo', name, labels: KUBEDB }, spec: { secretName: name }, status: { revision: 1 } });
const petset = (name: string) => ({ apiVersion: 'apps.k8s.appscode.com/v1', kind: 'PetSet', metadata: { namespace: 'demo', name, labels: KUBEDB, generation: 2 }, spec: { replicas: 2, serviceName: 'x', template: { spec: { containers: [{ name: 'singlestore' }] } } }, status: { observedGeneration: 2 } });

t.test("the reconciler's kinds: Certificates, PetSets and Pods, selected by KubeDB's labels", async (t) => {
  t.strictSame(
    RECONCILER_RESOURCES.map((r) => [r.key, resourcePath(r), r.labelSelector]),
    [
      ['certificates', '/apis/cert-manager.io/v1/certificates', MANAGED_SELECTOR],
      ['petsets', '/apis/apps.k8s.appscode.com/v1/petsets', MANAGED_SELECTOR],
      ['pods', '/api/v1/pods', MANAGED_SELECTOR],
    ],
  );
  t.equal(MANAGED_SELECTOR, 'app.kubernetes.io/managed-by=kubedb.com,app.kubernetes.io/name=singlestores.kubedb.com');
  t.ok(WATCHED_RESOURCES.every((r) => r.labelSelector === undefined), "the webhook's four kinds are watched whole");
  // The Certificates the reconciler creates match the selector (so it sees its own).
  const labels = certificateLabels('sample-sdb');
  for (const term of MANAGED_SELECTOR.split(',')) {
    const [k, v] = term.split('=') as [string, string];
    t.equal(labels[k], v, `desiredCertificate labels carry ${term}`);
  }
});

t.test('without the reconciler (--reconcile=false) only the four webhook informers exist', async (t) => {
  const made: string[] = [];
  const view = new InformerView({ factory: (d) => (made.push(d.key), new FakeInformer()) });
  t.strictSame(made, ['singlestores', 'singlestoreopsrequests', 'issuers', 'clusterissuers']);
  t.equal(view.hasSynced('pods'), false, 'a kind not watched never counts as synced');
  t.equal(view.get('pods', 'demo', 'x'), undefined);
  const withIt = setup({}, { reconciler: true });
  t.strictSame(Object.keys(withIt.fakes).sort(), ['certificates', 'clusterissuers', 'issuers', 'petsets', 'pods', 'singlestoreopsrequests', 'singlestores']);
});

t.test("the reconciler's caches: get, hasSynced per kind, subscribe after the cache applied the change", async (t) => {
  const { view, fakes } = setup({ pods: [{ list: [pod('sample-sdb-aggregator-0')] }], certificates: [{ list: [certificate('sample-sdb-server-cert')] }], petsets: [{ list: [petset('sample-sdb-aggregator')] }] }, { reconciler: true });
  t.equal(view.hasSynced('pods'), false);
  view.start();
  await view.synced();
  for (const k of ['singlestores', 'certificates', 'petsets', 'pods'] as const) t.equal(view.hasSynced(k), true, `${k} synced`);
  t.equal(view.get('pods', 'demo', 'sample-sdb-aggregator-0')?.metadata?.uid, 'uid-sample-sdb-aggregator-0');
  t.equal(view.get('certificates', 'demo', 'sample-sdb-server-cert')?.spec?.secretName, 'sample-sdb-server-cert');
  t.equal(view.get('petsets', 'demo', 'sample-sdb-aggregator')?.spec?.replicas, 2);
  t.equal(view.get('pods', 'other', 'sample-sdb-aggregator-0'), undefined, 'namespaced');
  t.strictSame(view.cacheStats().slice(4), [
    { resource: 'certificates', objects: 1, synced: true },
    { resource: 'petsets', objects: 1, synced: true },
    { resource: 'pods', objects: 1, synced: true },
  ]);

  // A listener runs after the change is in the cache: it reads the new state back.
  const seen: string[] = [];
  const off = view.subscribe((kind, type, obj) => {
    const cached = view.get(kind, 'demo', obj.metadata?.name ?? '');
    const phase = (cached as { status?: { phase?: string } } | undefined)?.status?.phase;
    seen.push(`${kind}:${type}:${String(obj.metadata?.name)}:${type === 'delete' ? (cached === undefined ? 'undefined' : 'still cached') : (phase ?? 'cached')}`);
  });
  fakes.pods.emit('update', pod('sample-sdb-aggregator-0', { status: { phase: 'Pending', conditions: [] } }));
  fakes.pods.emit('add', pod('sample-sdb-leaf-0'));
  fakes.pods.emit('delete', pod('sample-sdb-leaf-0'));
  fakes.certificates.emit('update', certificate('sample-sdb-server-cert'));
  fakes.petsets.emit('delete', petset('sample-sdb-aggregator'));
  off();
  fakes.pods.emit('delete', pod('sample-sdb-aggregator-0'));
  t.strictSame(seen, ['pods:update:sample-sdb-aggregator-0:Pending', 'pods:add:sample-sdb-leaf-0:Running', 'pods:delete:sample-sdb-leaf-0:undefined', 'certificates:update:sample-sdb-server-cert:cached', 'petsets:delete:sample-sdb-aggregator:undefined']);
  t.equal(view.get('pods', 'demo', 'sample-sdb-aggregator-0'), undefined);
  await view.stop();
});

t.test('objects are projected in place, at the informer: the object the informer holds is the one cached', async (t) => {
  const { view, fakes } = setup({}, { reconciler: true });
  view.start();
  await view.synced();
  const sent = pod('sample-sdb-aggregator-1');
  fakes.pods.emit('add', sent);
  const cached = view.get('pods', 'demo', 'sample-sdb-aggregator-1');
  t.equal(cached, sent, "the same object, not a copy (the informer's store and ours hold one object)");
  t.notOk('managedFields' in sent.metadata, 'managedFields dropped');
  t.notOk('spec' in sent, 'the pod spec dropped');
  t.strictSame(sent.status, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }, 'status: phase and conditions only');
  t.strictSame(sent.metadata.labels, KUBEDB, 'labels kept');
  const sdbSent = sdb('demo', 'x', { metadata: { namespace: 'demo', name: 'x', managedFields: [{}] }, spec: { halted: true, podTemplate: { a: 1 } } });
  fakes.singlestores.emit('add', sdbSent);
  t.strictSame(view.getSinglestore('demo', 'x')?.spec, { halted: true }, 'the webhook caches are projected too');
  t.notOk('managedFields' in sdbSent.metadata);
  await view.stop();
});

t.test("readiness: the reconciler's caches are reported but never make the webhook unready", async (t) => {
  const forbidden = Object.assign(new Error('pods is forbidden'), { code: 403 });
  const { view } = setup({ pods: Array.from({ length: 20 }, () => ({ error: forbidden })), certificates: [{ list: [] }], petsets: [{ list: [] }] }, { reconciler: true });
  const metrics = createMetrics();
  metrics.setCacheSource(() => view.cacheStats());
  view.start();
  await wait(30);
  const r = view.readiness();
  t.equal(r.ready, true, 'ready: the four webhook caches synced; pods is forbidden');
  t.match(r.message, /^ready; reconciler caches not synced \(they do not gate readiness\): pods \(pods\.core\/v1: forbidden: the service account may not list\/watch it cluster-wide \(403\); retrying in /);
  t.match(r.caches?.find((c) => c.resource === 'pods'), { synced: false, gatesReadiness: false, objects: 0 });
  t.match(r.caches?.find((c) => c.resource === 'singlestores.kubedb.com'), { synced: true, gatesReadiness: true });
  t.match(r.caches?.find((c) => c.resource === 'certificates.cert-manager.io'), { synced: true, gatesReadiness: false });
  t.equal(view.hasSynced('pods'), false);
  t.equal(view.hasSynced(), false, 'hasSynced() without a kind: every informer');
  t.match(await metrics.registry.metrics(), /sdb_tls_guard_cache_synced\{resource="pods"\} 0/);
  t.match(await metrics.registry.metrics(), /sdb_tls_guard_cache_synced\{resource="petsets"\} 1/);
  await view.stop();

  // A webhook cache still gates readiness with the reconciler's caches present.
  const notFound = Object.assign(new Error('404'), { code: 404 });
  const other = setup({ issuers: [{ error: notFound }, { error: notFound }, { error: notFound }], pods: [{ list: [] }], certificates: [{ list: [] }], petsets: [{ list: [] }] }, { reconciler: true });
  other.view.start();
  await wait(0);
  t.equal(other.view.readiness().ready, false);
  t.match(other.view.readiness().message, /^waiting for caches to sync: issuers\.cert-manager\.io/);
  await other.view.stop();
});
