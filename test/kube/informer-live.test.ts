// InformerView over client-node's real informers, against small fake API servers that
// answer list and watch: the four webhook resources (one of them not installed: 404),
// then the reconciler's kinds (paged, label-selected).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { KubeConfig, type KubernetesObject, type ListWatch } from '@kubernetes/client-node';
import { clientNodeInformerFactory, InformerView, LIST_PAGE_SIZE, MANAGED_SELECTOR } from '../../src/kube/informer-view.js';

const items: Record<string, object[]> = {
  '/apis/kubedb.com/v1alpha2/singlestores': [{ apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { name: 'sample-sdb', namespace: 'demo', resourceVersion: '10' } }],
  '/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests': [],
  '/apis/cert-manager.io/v1/issuers': [{ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'sdb-issuer', namespace: 'demo', resourceVersion: '11' } }],
};
let clusterIssuersInstalled = false;
const watchers = new Map<string, ServerResponse[]>();
const requests: string[] = [];

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  requests.push(`${url.pathname}${url.searchParams.get('watch') ? '?watch' : ''}`);
  const known = url.pathname in items || (clusterIssuersInstalled && url.pathname === '/apis/cert-manager.io/v1/clusterissuers');
  if (!known) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  if (url.searchParams.get('watch') === 'true') {
    const list = watchers.get(url.pathname) ?? [];
    list.push(res);
    watchers.set(url.pathname, list);
    res.flushHeaders();
    return;
  }
  res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '100' }, items: items[url.pathname] ?? [] }));
});

t.before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
t.teardown(async () => {
  for (const list of watchers.values()) for (const w of list) w.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

t.test('real informers: sync, watch events, a missing CRD that appears later', async (t) => {
  const port = (server.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  const view = InformerView.fromKubeConfig(kc, { backoff: { initialMs: 50, maxMs: 100 } });
  t.teardown(() => view.stop());
  view.start();

  const until = async (what: string, ok: () => boolean) => {
    const end = Date.now() + 8000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until('three caches synced', () => view.readiness().caches?.filter((c) => c.synced).length === 3);
  const r = view.readiness();
  t.equal(r.ready, false, 'not ready while clusterissuers are missing');
  t.match(r.caches?.find((c) => c.resource === 'clusterissuers.cert-manager.io')?.reason, /^clusterissuers\.cert-manager\.io\/v1: not served by the API server \(CRD not installed\?\) \(404\); retrying in /);
  t.equal(view.getSinglestore('demo', 'sample-sdb')?.metadata?.name, 'sample-sdb');
  t.equal(view.getIssuer('demo', 'sdb-issuer')?.kind, 'Issuer');

  // A watch event reaches the index.
  await until('ops watch open', () => (watchers.get('/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests') ?? []).length > 0);
  const op = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'r1', namespace: 'demo', resourceVersion: '101' }, spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' } }, status: { phase: 'Progressing' } };
  for (const w of watchers.get('/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests') ?? []) w.write(`${JSON.stringify({ type: 'ADDED', object: op })}\n`);
  await until('ops request indexed', () => view.listOpsRequests('demo', 'sample-sdb').length === 1);
  t.equal(view.listOpsRequests('demo', 'sample-sdb')[0]?.status?.phase, 'Progressing');

  // The CRD gets installed: the backoff restart picks it up and the view becomes ready.
  clusterIssuersInstalled = true;
  await view.synced();
  t.equal(view.readiness().ready, true);
  t.equal(view.readiness().message, 'ready: all caches synced');
  t.ok(requests.filter((p) => p === '/apis/cert-manager.io/v1/clusterissuers').length >= 2, 'clusterissuers listed again after the 404');
});

t.test("real informers with the reconciler's kinds: paged lists, KubeDB's label selector on list and watch, one copy of each object", async (t) => {
  const seen: string[] = [];
  const podWatch: ServerResponse[] = [];
  const kubedb = { 'app.kubernetes.io/managed-by': 'kubedb.com', 'app.kubernetes.io/name': 'singlestores.kubedb.com' };
  const pods = Array.from({ length: 250 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `sdb-${i}-aggregator-0`, namespace: 'demo', resourceVersion: String(1000 + i), labels: i % 2 ? kubedb : { app: 'someone-else' }, managedFields: [{ manager: 'kubelet' }] },
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  const lists: Record<string, object[]> = {
    '/apis/kubedb.com/v1alpha2/singlestores': [],
    '/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests': [],
    '/apis/cert-manager.io/v1/issuers': [],
    '/apis/cert-manager.io/v1/clusterissuers': [],
    '/apis/cert-manager.io/v1/certificates': [],
    '/apis/apps.k8s.appscode.com/v1/petsets': [],
    '/api/v1/pods': pods,
  };
  const api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${url.pathname}?${url.searchParams.toString()}`);
    const all = lists[url.pathname];
    res.writeHead(all ? 200 : 404, { 'content-type': 'application/json' });
    if (!all) return void res.end('{}');
    if (url.searchParams.get('watch') === 'true') {
      if (url.pathname === '/api/v1/pods') podWatch.push(res);
      res.flushHeaders();
      return;
    }
    // The API server applies the selector and pages with limit/continue.
    const sel = url.searchParams.get('labelSelector');
    const selected = all.filter(
      (o) =>
        !sel ||
        sel.split(',').every((kv) => {
          const [key = '', value] = kv.split('=');
          return (o as { metadata: { labels?: Record<string, string> } }).metadata.labels?.[key] === value;
        }),
    );
    const from = Number(url.searchParams.get('continue') || 0);
    const limit = Number(url.searchParams.get('limit') || selected.length);
    const next = from + limit < selected.length ? String(from + limit) : undefined;
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '5000', ...(next ? { continue: next } : {}) }, items: selected.slice(from, from + limit) }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  t.teardown(async () => {
    for (const w of podWatch) w.destroy();
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  // The real factory, with a hold of the informers it makes (client-node ListWatches).
  const real = clientNodeInformerFactory(kc);
  const informers = new Map<string, ListWatch<KubernetesObject>>();
  const view = new InformerView({ reconciler: true, factory: (def, project) => {
    const inf = real(def, project);
    informers.set(def.key, inf as unknown as ListWatch<KubernetesObject>);
    return inf;
  } });
  t.teardown(() => view.stop());
  view.start();
  await view.synced();

  const podLists = seen.filter((s) => s.startsWith('/api/v1/pods?') && !s.includes('watch=true'));
  const selector = new URLSearchParams({ labelSelector: MANAGED_SELECTOR }).toString();
  t.equal(podLists.length, 2, `125 KubeDB pods in pages of ${LIST_PAGE_SIZE}: ${podLists.join(' ')}`);
  t.ok(podLists.every((s) => s.includes(selector) && s.includes(`limit=${LIST_PAGE_SIZE}`)), 'every page asks with the selector and the limit');
  t.ok(podLists[1]?.includes('continue=100'), 'the second page continues the first');
  await new Promise((r) => setTimeout(r, 50));
  const podWatches = seen.filter((s) => s.startsWith('/api/v1/pods?') && s.includes('watch=true'));
  t.ok(podWatches.length >= 1 && podWatches.every((s) => s.includes(selector)), `the watch carries the selector too: ${String(podWatches[0])}`);
  t.ok(seen.some((s) => s.startsWith('/apis/kubedb.com/v1alpha2/singlestores?') && !s.includes('labelSelector')), 'Singlestores are listed whole');

  t.equal(view.list('pods').length, 125, 'only the KubeDB pods are held');
  const podInformer = informers.get('pods');
  if (!podInformer) throw new Error('the factory made no pods informer');
  const inCache = view.get('pods', 'demo', 'sdb-1-aggregator-0');
  t.equal(inCache, podInformer.get('sdb-1-aggregator-0', 'demo'), "one copy: the informer's store holds the very object the view holds");
  t.notOk(inCache?.metadata && 'managedFields' in inCache.metadata, 'projected at the informer');
  t.notOk(inCache && 'spec' in inCache);

  // A watch event: projected in place as well.
  const [, second] = pods;
  if (!second) throw new Error('no second wire pod');
  for (const w of podWatch) w.write(`${JSON.stringify({ type: 'MODIFIED', object: { ...second, metadata: { ...second.metadata, resourceVersion: '6000' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } } })}\n`);
  const end = Date.now() + 5000;
  while (view.get('pods', 'demo', 'sdb-1-aggregator-0')?.metadata?.resourceVersion !== '6000' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const updated = view.get('pods', 'demo', 'sdb-1-aggregator-0');
  t.equal(updated?.status?.conditions?.[0]?.status, 'False');
  t.equal(updated, podInformer.get('sdb-1-aggregator-0', 'demo'), 'still one copy after a watch event');
  t.notOk(updated?.metadata && 'managedFields' in updated.metadata);
});
