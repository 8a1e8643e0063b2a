// InformerView over client-node's real informers, against a small fake API server that
// answers list and watch for the four resources (one of them not installed: 404).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { KubeConfig } from '@kubernetes/client-node';
import { InformerView } from '../../src/kube/informer-view.js';

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
  await until('three caches synced', () => view.readiness().caches!.filter((c) => c.synced).length === 3);
  const r = view.readiness();
  t.equal(r.ready, false, 'not ready while clusterissuers are missing');
  t.match(r.caches!.find((c) => c.resource === 'clusterissuers.cert-manager.io')!.reason, /^clusterissuers\.cert-manager\.io\/v1: not served by the API server \(CRD not installed\?\) \(404\); retrying in /);
  t.equal(view.getSinglestore('demo', 'sample-sdb')?.metadata?.name, 'sample-sdb');
  t.equal(view.getIssuer('demo', 'sdb-issuer')?.kind, 'Issuer');

  // A watch event reaches the index.
  await until('ops watch open', () => (watchers.get('/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests') ?? []).length > 0);
  const op = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'r1', namespace: 'demo', resourceVersion: '101' }, spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' } }, status: { phase: 'Progressing' } };
  for (const w of watchers.get('/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests')!) w.write(`${JSON.stringify({ type: 'ADDED', object: op })}\n`);
  await until('ops request indexed', () => view.listOpsRequests('demo', 'sample-sdb').length === 1);
  t.equal(view.listOpsRequests('demo', 'sample-sdb')[0]?.status?.phase, 'Progressing');

  // The CRD gets installed: the backoff restart picks it up and the view becomes ready.
  clusterIssuersInstalled = true;
  await view.synced();
  t.equal(view.readiness().ready, true);
  t.equal(view.readiness().message, 'ready: all caches synced');
  t.ok(requests.filter((p) => p === '/apis/cert-manager.io/v1/clusterissuers').length >= 2, 'clusterissuers listed again after the 404');
});
