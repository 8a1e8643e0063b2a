// A tiny stand-in for the Kubernetes API server's list endpoints of custom resources,
// over plain HTTP (the kubeconfig sets insecure-skip-tls-verify, which client-node
// requires for http://). It records every request so tests can prove `check --cluster`
// only reads.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeApiServer {
  url: string;
  /** `<METHOD> <path>` of every request, in order. */
  requests: string[];
  /** A kubeconfig file pointing at this server (context `fake`, plus context `other`). */
  kubeconfig: string;
  close(): Promise<void>;
}

export interface FakeApiOptions {
  /** Objects served, as stored (kind/apiVersion/metadata set). */
  objects: Record<string, unknown>[];
  /** `<path>` -> status code to answer instead (e.g. 403, 404). */
  fail?: Record<string, number>;
}

const PLURALS: Record<string, string> = {
  Singlestore: 'kubedb.com/v1alpha2/singlestores',
  SinglestoreOpsRequest: 'ops.kubedb.com/v1alpha1/singlestoreopsrequests',
  Issuer: 'cert-manager.io/v1/issuers',
  ClusterIssuer: 'cert-manager.io/v1/clusterissuers',
};

export async function startFakeApiServer(opts: FakeApiOptions): Promise<FakeApiServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').split('?')[0] ?? '';
    requests.push(`${String(req.method)} ${url}`);
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const failCode = opts.fail?.[url];
    if (failCode !== undefined) {
      send(failCode, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: failCode, message: failCode === 403 ? `forbidden: User "ci" cannot list resource at ${url}` : 'the server could not find the requested resource' });
      return;
    }
    if (req.method !== 'GET') {
      send(405, { kind: 'Status', message: 'read-only fake' });
      return;
    }
    // /apis/<group>/<version>[/namespaces/<ns>]/<plural>
    const [, group, version, ns, plural] = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)$/.exec(url) ?? [];
    if (group === undefined || version === undefined || plural === undefined) {
      send(404, { kind: 'Status', message: 'not found' });
      return;
    }
    const kind = Object.keys(PLURALS).find((k) => PLURALS[k] === `${group}/${version}/${plural}`);
    if (!kind) {
      send(404, { kind: 'Status', message: 'not found' });
      return;
    }
    const items = opts.objects.filter((o) => {
      if (o.kind !== kind) return false;
      const meta = (o.metadata ?? {}) as { namespace?: string };
      return ns === undefined || meta.namespace === ns;
    });
    send(200, { apiVersion: `${group}/${version}`, kind: `${kind}List`, metadata: { resourceVersion: '1' }, items });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-cli-kc-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `  - name: fake`,
      `    cluster: {server: "${url}", insecure-skip-tls-verify: true}`,
      `  - name: nowhere`,
      `    cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}`,
      'users:',
      '  - name: ci',
      '    user: {token: not-a-secret}',
      'contexts:',
      '  - name: fake',
      '    context: {cluster: fake, user: ci}',
      '  - name: other',
      '    context: {cluster: nowhere, user: ci}',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return {
    url,
    requests,
    kubeconfig,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
