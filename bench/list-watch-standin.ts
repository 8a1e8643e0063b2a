// A stand-in for the kube-apiserver's list and watch of the seven kinds the informers
// read, for `npm run bench` (which runs without a control plane; `npm run bench:e2e` uses
// the real one). It serves a fixed cluster (test/support/wire-objects.ts) over plain HTTP:
// paged lists (limit/continue, labelSelector of `k=v` terms) and watches that stay open
// and send nothing; and Leases (GET, POST, PUT; kept in memory) so that a production
// process with the reconciler on can take the leadership. Any other request gets 404 and
// is counted in `others` (the bench prints them). The server child's informers read it through client-node exactly
// as they read a real API server: the same requests, the same JSON.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { WireCluster } from '../test/support/wire-objects.js';

const PATHS: Record<keyof WireCluster, string> = {
  singlestores: '/apis/kubedb.com/v1alpha2/singlestores',
  singlestoreopsrequests: '/apis/ops.kubedb.com/v1alpha1/singlestoreopsrequests',
  issuers: '/apis/cert-manager.io/v1/issuers',
  clusterissuers: '/apis/cert-manager.io/v1/clusterissuers',
  certificates: '/apis/cert-manager.io/v1/certificates',
  petsets: '/apis/apps.k8s.appscode.com/v1/petsets',
  pods: '/api/v1/pods',
};

const LEASES = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/[^/]+)?$/;

export interface ListWatchStandin {
  url: string;
  /** Wire bytes (JSON) and objects served per kind. */
  served: Record<keyof WireCluster, { objects: number; bytes: number }>;
  /** `<path>?<query>` of every list and watch request. */
  requests: string[];
  /** `<METHOD> <path>` of every request that is neither a list, a watch nor a Lease. */
  others: string[];
  close(): Promise<void>;
}

function matches(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && labels?.[k] === v;
  });
}

export async function startListWatchStandin(cluster: WireCluster): Promise<ListWatchStandin> {
  // Each object is serialised once; a page is the join of its items.
  const wire = new Map<string, { json: string; labels: Record<string, string> | undefined }[]>();
  const served = {} as ListWatchStandin['served'];
  for (const [kind, path] of Object.entries(PATHS) as [keyof WireCluster, string][]) {
    const list = cluster[kind].map((o) => ({ json: JSON.stringify(o), labels: (o['metadata'] as { labels?: Record<string, string> }).labels }));
    wire.set(path, list);
    served[kind] = { objects: list.length, bytes: list.reduce((n, x) => n + x.json.length, 0) };
  }
  const watches = new Set<ServerResponse>();
  const requests: string[] = [];
  const others: string[] = [];
  const leases = new Map<string, Record<string, unknown>>();
  let leaseVersion = 1;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (LEASES.test(url.pathname)) {
      lease(req, res, url.pathname);
      return;
    }
    const all = req.method === 'GET' ? wire.get(url.pathname) : undefined;
    if (all) requests.push(`${url.pathname}?${url.searchParams.toString()}`);
    else others.push(`${req.method ?? '?'} ${url.pathname}`);
    if (!all) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('watch') === 'true') {
      watches.add(res);
      res.on('close', () => watches.delete(res));
      res.flushHeaders();
      return;
    }
    const selected = all.filter((x) => matches(x.labels, url.searchParams.get('labelSelector')));
    const limit = Number(url.searchParams.get('limit') ?? 0) || selected.length;
    const from = Number(url.searchParams.get('continue') ?? 0);
    const page = selected.slice(from, from + limit);
    const next = from + limit < selected.length ? String(from + limit) : '';
    res.end(`{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"999999"${next ? `,"continue":"${next}"` : ''}},"items":[${page.map((x) => x.json).join(',')}]}`);
  });
  /** The Lease API as the leader election uses it: GET, POST (create), PUT (renew). */
  function lease(req: IncomingMessage, res: ServerResponse, path: string): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const notFound = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'leases not found' };
      if (req.method === 'GET') {
        const l = leases.get(path);
        answer(l ? 200 : 404, l ?? notFound);
        return;
      }
      if (req.method !== 'POST' && req.method !== 'PUT') {
        answer(405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'MethodNotAllowed', code: 405 });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata?: { name?: string } & Record<string, unknown> };
      const name = req.method === 'POST' ? (body.metadata?.name ?? '') : path.slice(path.lastIndexOf('/') + 1);
      const key = req.method === 'POST' ? `${path}/${name}` : path;
      const stored = { ...body, metadata: { ...body.metadata, name, resourceVersion: String(++leaseVersion) } };
      leases.set(key, stored);
      answer(req.method === 'POST' ? 201 : 200, stored);
    });
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    requests,
    others,
    async close() {
      for (const w of watches) w.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The kubeconfig a child uses to reach the stand-in at `url` (plain HTTP, a dummy token). */
export function standinKubeConfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'standin', server: url, skipTLSVerify: true }],
    users: [{ name: 'bench', token: 'bench' }],
    contexts: [{ name: 'standin', cluster: 'standin', user: 'bench' }],
    currentContext: 'standin',
  });
  return kc;
}
