// `check --cluster`: read-only live lookups against a fake API server (in-process).
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkJson, F, PATCH_APPLY, PATCH_TIMEOUT, W } from './cases.js';
import { startFakeApiServer } from './fake-apiserver.js';
import { ROOT, runInProcess } from './harness.js';

function objectsOf(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const d of parseAllDocuments(readFileSync(path.join(ROOT, file), 'utf8'))) {
    const v = d.toJS() as Record<string, unknown> | null;
    if (!v) continue;
    if (Array.isArray(v.items)) out.push(...(v.items as Record<string, unknown>[]));
    else out.push(v);
  }
  return out;
}

const READS_DEMO = [
  'GET /apis/kubedb.com/v1alpha2/namespaces/demo/singlestores',
  'GET /apis/ops.kubedb.com/v1alpha1/namespaces/demo/singlestoreopsrequests',
  'GET /apis/cert-manager.io/v1/namespaces/demo/issuers',
  'GET /apis/cert-manager.io/v1/clusterissuers',
];

const pausedExpected = {
  source: `${F}/cases/paused/ops.yaml#1`,
  namespace: 'demo',
  name: 'sdbops-rotate',
  allowed: false,
  errors: [{ rule: 'database-paused', field: 'spec.databaseRef', type: 'Forbidden' as const }],
  warnings: [{ rule: 'op-in-flight', field: 'spec.databaseRef' }],
  patch: [PATCH_APPLY, PATCH_TIMEOUT],
  notEvaluated: [],
};

t.test('--cluster --kubeconfig: lists the inputs namespace and clusterissuers, GET only, and checks against them', async (t) => {
  const api = await startFakeApiServer({ objects: objectsOf(`${F}/cases/paused/state.yaml`) });
  t.teardown(() => api.close());
  const out = await runInProcess(['--cluster', '--kubeconfig', api.kubeconfig, '-o', 'json', `${F}/cases/paused/ops.yaml`]);
  t.equal(out.code, 1, out.stderr);
  checkJson(t, out.stdout, [pausedExpected], { checked: 1, denied: 1, warned: 1 });
  t.strictSame(api.requests, READS_DEMO, 'read-only list calls, one per kind');
  t.equal(out.stderr, '');
});

t.test('--cluster reads KUBECONFIG from the environment when --kubeconfig is absent', async (t) => {
  const api = await startFakeApiServer({ objects: objectsOf(`${F}/cases/paused/state.yaml`) });
  t.teardown(() => api.close());
  const out = await runInProcess(['--cluster', '-o', 'json', `${F}/cases/paused/ops.yaml`], { env: { HOME: '/nonexistent', KUBECONFIG: api.kubeconfig } });
  t.equal(out.code, 1, out.stderr);
  checkJson(t, out.stdout, [pausedExpected], { checked: 1, denied: 1, warned: 1 });
});

t.test('--cluster: the inputs are merged over the live objects exactly as over --state files', async (t) => {
  const api = await startFakeApiServer({ objects: objectsOf(`${F}/merge/state/cluster.yaml`) });
  t.teardown(() => api.close());
  const live = await runInProcess(['--cluster', '--kubeconfig', api.kubeconfig, '-o', 'json', `${F}/merge/manifests`]);
  const files = await runInProcess(['--state', `${F}/merge/state`, '-o', 'json', `${F}/merge/manifests`]);
  t.equal(live.code, 0, live.stderr);
  t.equal(live.stdout, files.stdout, 'same report from --cluster and from --state');
  const doc = JSON.parse(live.stdout) as { results: { warnings: { rule: string }[] }[] };
  t.strictSame(doc.results[0]?.warnings.map((w) => w.rule), ['issuer-not-ready']);
});

t.test('--cluster: a CRD the server does not serve (404) is treated as empty and said on stderr', async (t) => {
  const api = await startFakeApiServer({
    objects: objectsOf(`${W}/state-tls.yaml`),
    fail: { '/apis/cert-manager.io/v1/namespaces/demo/issuers': 404, '/apis/cert-manager.io/v1/clusterissuers': 404 },
  });
  t.teardown(() => api.close());
  const out = await runInProcess(['--cluster', '--kubeconfig', api.kubeconfig, '-o', 'json', `${W}/change-issuer.yaml`]);
  t.equal(out.code, 1, 'the issuer is not found without the Issuer CRD');
  checkJson(
    t,
    out.stdout,
    [{ source: `${W}/change-issuer.yaml#1`, namespace: 'demo', name: 'sdbops-change-issuer', allowed: false, errors: [{ rule: 'issuer-exists', field: 'spec.tls.issuerRef.name', type: 'NotFound' }], warnings: [], patch: [PATCH_APPLY, PATCH_TIMEOUT], notEvaluated: [] }],
    { checked: 1, denied: 1, warned: 0 },
  );
  t.equal(
    out.stderr,
    `note: --cluster: issuers.cert-manager.io/v1 is not served by ${api.url} (CRD not installed?): treated as none\n` +
      `note: --cluster: clusterissuers.cert-manager.io/v1 is not served by ${api.url} (CRD not installed?): treated as none\n`,
  );
});

t.test('--cluster: 403 stops the command (exit 2) naming the resource, nothing on stdout', async (t) => {
  const api = await startFakeApiServer({ objects: [], fail: { '/apis/kubedb.com/v1alpha2/namespaces/demo/singlestores': 403 } });
  t.teardown(() => api.close());
  const out = await runInProcess(['--cluster', '--kubeconfig', api.kubeconfig, `${W}/rotate.yaml`]);
  t.equal(out.code, 2);
  t.equal(out.stdout, '');
  t.match(out.stderr, `error: --cluster: cannot list singlestores.kubedb.com in namespace demo on ${api.url}: 403 Forbidden`);
  t.match(out.stderr, 'forbidden: User "ci" cannot list');
});

t.test('--cluster: connection refused stops the command (exit 2)', async (t) => {
  const api = await startFakeApiServer({ objects: [] });
  t.teardown(() => api.close());
  const out = await runInProcess(['--cluster', '--kubeconfig', api.kubeconfig, '--context', 'other', `${W}/rotate.yaml`]);
  t.equal(out.code, 2);
  t.equal(out.stdout, '');
  t.equal(out.stderr, 'error: --cluster: cannot list singlestores.kubedb.com in namespace demo on https://127.0.0.1:1: connection refused\n');
  t.strictSame(api.requests, [], 'the other context does not talk to the fake server');
});

t.test('--cluster: an unknown --context is exit 2 and lists the known ones', async (t) => {
  const api = await startFakeApiServer({ objects: [] });
  t.teardown(() => api.close());
  const out = await runInProcess(['--cluster', '--kubeconfig', api.kubeconfig, '--context', 'prod', `${W}/rotate.yaml`]);
  t.equal(out.code, 2);
  t.equal(out.stderr, 'error: --context prod: no such context in the kubeconfig (have: fake, other)\n');
});

t.test('--cluster without any kubeconfig is exit 2', async (t) => {
  const out = await runInProcess(['--cluster', `${W}/rotate.yaml`], { env: { HOME: '/nonexistent' } });
  t.equal(out.code, 2);
  t.equal(out.stderr, 'error: --cluster: no kubeconfig found (give --kubeconfig, set KUBECONFIG, or create ~/.kube/config)\n');
});

t.test('--cluster --kubeconfig naming a missing file is exit 2', async (t) => {
  const out = await runInProcess(['--cluster', '--kubeconfig', '/nonexistent/kubeconfig', `${W}/rotate.yaml`]);
  t.equal(out.code, 2);
  t.equal(out.stderr, 'error: --kubeconfig /nonexistent/kubeconfig: no such file\n');
});
