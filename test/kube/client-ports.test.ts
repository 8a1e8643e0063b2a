// The client-node adapters speak the API server's wire protocol: paths, verbs, merge
// patch content type, status subresource, Eviction body, Lease MicroTime, status codes.
// Checked against a recording HTTP server standing in for the API server.
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { clientPorts } from '../../src/kube/client-ports.js';
import { statusOf } from '../../src/kube/ports.js';
import { FakeClock } from '../support/memory-ports.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

/** The ports' clock: Events carry its time. */
const clock = new FakeClock(Date.parse('2026-11-28T01:02:03.456Z'));

async function withServer(reply: (req: Seen) => { code: number; body: unknown }, fn: (ports: ReturnType<typeof clientPorts>, seen: Seen[]) => Promise<void>) {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: data ? JSON.parse(data) : undefined };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  try {
    await fn(clientPorts(kc, clock), seen);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

const ok = (body: unknown = {}) => ({ code: 200, body });
const status = (code: number, reason: string) => ({ code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message: reason } });

t.test('custom resources: merge patch, status subresource, 404 → undefined', async (t) => {
  await withServer(
    (s) => (s.method === 'GET' && s.url.includes('/missing') ? status(404, 'NotFound') : ok({ metadata: { name: 'x' } })),
    async (p, seen) => {
      t.equal(await p.databases.get('demo', 'missing'), undefined);
      await p.databases.patchStatus('demo', 'sample-sdb', { metadata: { resourceVersion: '7' }, status: { conditions: [] } });
      await p.databases.patch('demo', 'sample-sdb', { spec: { tls: null } });
      await p.opsRequests.patchStatus('demo', 'sdbops-rotate', { status: { phase: 'Progressing' } });
      await p.certificates.patchStatus('demo', 'sample-sdb-server-cert', { status: { conditions: [] } });
      await p.petSets.patch('demo', 'sample-sdb-leaf', { spec: {} });
      t.strictSame(
        seen.map((s) => [s.method, s.url.split('?')[0], s.contentType]),
        [
          ['GET', '/apis/kubedb.com/v1alpha2/namespaces/demo/singlestores/missing', undefined],
          ['PATCH', '/apis/kubedb.com/v1alpha2/namespaces/demo/singlestores/sample-sdb/status', 'application/merge-patch+json'],
          ['PATCH', '/apis/kubedb.com/v1alpha2/namespaces/demo/singlestores/sample-sdb', 'application/merge-patch+json'],
          ['PATCH', '/apis/ops.kubedb.com/v1alpha1/namespaces/demo/singlestoreopsrequests/sdbops-rotate/status', 'application/merge-patch+json'],
          ['PATCH', '/apis/cert-manager.io/v1/namespaces/demo/certificates/sample-sdb-server-cert/status', 'application/merge-patch+json'],
          ['PATCH', '/apis/apps.k8s.appscode.com/v1/namespaces/demo/petsets/sample-sdb-leaf', 'application/merge-patch+json'],
        ],
      );
      t.strictSame(seen[1]?.body, { metadata: { resourceVersion: '7' }, status: { conditions: [] } });
      t.strictSame(seen[2]?.body, { spec: { tls: null } }, 'null survives to the wire (merge patch removal)');
    },
  );
});

t.test('409 and 429 keep their status code', async (t) => {
  await withServer(
    (s) => (s.url.includes('eviction') ? status(429, 'TooManyRequests') : status(409, 'Conflict')),
    async (p, seen) => {
      const e1 = await p.opsRequests.patchStatus('demo', 'x', { status: {} }).catch((e: unknown) => e);
      t.equal(statusOf(e1), 409);
      const e2 = await p.pods.evict('demo', 'sample-sdb-leaf-0', 'uid-1').catch((e: unknown) => e);
      t.equal(statusOf(e2), 429);
      const ev = seen.find((s) => s.url.includes('eviction'));
      if (!ev) throw new Error('no eviction request was seen');
      t.equal(ev.method, 'POST');
      t.equal(ev.url.split('?')[0], '/api/v1/namespaces/demo/pods/sample-sdb-leaf-0/eviction');
      t.strictSame(ev.body, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'sample-sdb-leaf-0', namespace: 'demo' }, deleteOptions: { preconditions: { uid: 'uid-1' } } });
    },
  );
});

t.test('delete of a missing Certificate or Secret is not an error; a Secret is never read', async (t) => {
  await withServer(
    () => status(404, 'NotFound'),
    async (p, seen) => {
      await p.certificates.delete('demo', 'gone');
      await p.secrets.delete('demo', 'gone');
      t.strictSame(Object.keys(p.secrets), ['delete'], 'the Secret port has delete only');
      t.strictSame(seen.map((s) => [s.method, s.url.split('?')[0]]), [
        ['DELETE', '/apis/cert-manager.io/v1/namespaces/demo/certificates/gone'],
        ['DELETE', '/api/v1/namespaces/demo/secrets/gone'],
      ]);
    },
  );
});

t.test('Lease: MicroTime with six digits; Event on the request, stamped with the clock’s time', async (t) => {
  await withServer(
    (s) => ok(s.body ?? {}),
    async (p, seen) => {
      const l = await p.leases.replace('kubedb', 'sdb-tls-guard-reconciler', {
        metadata: { name: 'sdb-tls-guard-reconciler', namespace: 'kubedb', resourceVersion: '3' },
        spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, renewTime: '2026-11-28T00:00:01.234000Z', acquireTime: '2026-11-28T00:00:00.000000Z', leaseTransitions: 2 },
      });
      const put = seen[0];
      if (!put) throw new Error('no PUT was seen');
      t.equal(put.method, 'PUT');
      t.equal(put.url.split('?')[0], '/apis/coordination.k8s.io/v1/namespaces/kubedb/leases/sdb-tls-guard-reconciler');
      t.match(put.body, { spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, renewTime: '2026-11-28T00:00:01.234000Z', leaseTransitions: 2 } });
      t.equal(l.spec?.renewTime, '2026-11-28T00:00:01.234000Z', 'read back as a string');
      await p.events.emit(
        { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'sdbops-rotate', namespace: 'demo', uid: 'u1' } },
        'Normal',
        'DatabasePauseSucceeded',
        'Successfully paused Singlestore demo/sample-sdb',
      );
      const ev = seen[1];
      if (!ev) throw new Error('no Event POST was seen');
      t.equal(ev.url.split('?')[0], '/api/v1/namespaces/demo/events');
      t.match(ev.body, {
        metadata: { generateName: 'sdbops-rotate.', labels: { 'ops.kubedb.com/kind': 'singlestoreopsrequest', 'ops.kubedb.com/name': 'sdbops-rotate' } },
        involvedObject: { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', name: 'sdbops-rotate', namespace: 'demo', uid: 'u1' },
        type: 'Normal',
        reason: 'DatabasePauseSucceeded',
        source: { component: 'sdb-tls-guard' },
      });
      const stamps = ev.body as { firstTimestamp?: unknown; lastTimestamp?: unknown };
      t.equal(stamps.firstTimestamp, '2026-11-28T01:02:03.456Z', 'firstTimestamp is the injected clock’s now');
      t.equal(stamps.lastTimestamp, '2026-11-28T01:02:03.456Z', 'lastTimestamp too');
    },
  );
});

t.test("statusMessage: the Status body's message and causes, not client-node's dump of headers", async (t) => {
  const { statusMessage } = await import('../../src/kube/ports.js');
  const body = JSON.stringify({ kind: 'Status', message: "Cannot evict pod as it would violate the pod's disruption budget.", reason: 'TooManyRequests', details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget sample-sdb needs 3 healthy pods and has 3 currently' }] }, code: 429 });
  const apiException = Object.assign(new Error(`HTTP-Code: 429\nMessage: Unknown API Status Code!\nBody: ${JSON.stringify(body)}\nHeaders: {"audit-id":"x"}`), { code: 429, body });
  t.equal(statusMessage(apiException), "Cannot evict pod as it would violate the pod's disruption budget. (The disruption budget sample-sdb needs 3 healthy pods and has 3 currently)");
  t.equal(statusMessage(Object.assign(new Error('plain'), { code: 500, body: 'not json' })), 'plain');
  t.equal(statusMessage('text'), 'text');
});
