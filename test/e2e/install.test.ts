// E2E install tier: the Helm chart's `helm template` output against a real kube-apiserver.
//   1. Every rendered object, in several value combinations, passes a server-side dry-run
//      with strict field validation.
//   2. The chart's webhook configurations, registered (URL rewritten to the local webhook),
//      answer the API server; matchConditions, namespaceSelector and failurePolicy behave
//      as docs/install.md says when the webhook is up and when it is down.
//   3. Bootstrap mode under the chart's own RBAC: the service runs with the rendered
//      Deployment's arguments and a token of the chart's ServiceAccount, keeps its CA and
//      serving certificate in the Secret, fills the caBundle the API server then trusts,
//      reviews requests and carries a ReconfigureTLS request to Successful; every row of
//      the RBAC table in docs/security.md is allowed by the real RBAC authorizer and the
//      verbs the chart leaves out are forbidden.
import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import { LOG_FLUSH_MS } from '../../src/server/log-destination.js';
import { generateSelfSigned } from '../../src/server/selfsigned.js';
import { startWebhookImage } from './harness/webhook-image.js';
import { get, template, ROOT, type Obj as ChartObj } from '../install/helm.js';
import { parseRbacTable } from '../install/rbac-table.js';
import {
  createOps,
  dbPath,
  freePort,
  newNamespace,
  opsPath,
  R,
  httpsGet,
  registerWebhooks,
  resourcePath,
  seedDatabase,
  seedState,
  startControlPlane,
  startProcess,
  startWebhook,
  waitFor,
  webhookCommand,
  workedRequest,
  type ApiClient,
  type ControlPlane,
  type ManagedProcess,
  type Obj,
} from './harness/index.js';

const RELEASE = 'sdb-tls-guard';
const VALIDATE = 'validate.sdb-tls-guard.io';
const ADMISSION = '/apis/admissionregistration.k8s.io/v1';

let cp: ControlPlane;

t.before(async () => {
  cp = await startControlPlane({ log: (l) => t.comment(l) });
  t.teardown(() => cp.stop());
  t.comment(`parts: ${cp.versions}`);
});

/** The message of what a promise rejected with (waitFor rejects with an Error). */
function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function renderChart(namespace: string, set: string[] = []): ChartObj[] {
  const r = template({ release: RELEASE, namespace, set });
  if (r.status !== 0) throw new Error(`helm template ${set.join(' ')} failed: ${r.stderr}`);
  return r.objects;
}

// ---- REST paths from discovery ---------------------------------------------------------

const discovery = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();

async function restPath(api: ApiClient, obj: ChartObj): Promise<string> {
  const gv = String(obj.apiVersion);
  let resources = discovery.get(gv);
  if (!resources) {
    const base = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const body = await api.must<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(api.get(base), `discovery ${gv}`);
    resources = body.resources;
    discovery.set(gv, resources);
  }
  const res = resources.find((r) => r.kind === obj.kind && !r.name.includes('/'));
  if (!res) throw new Error(`the API server does not serve ${gv} ${String(obj.kind)}`);
  const base = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
  if (!res.namespaced) return `${base}/${res.name}`;
  const namespace = obj.metadata?.namespace;
  if (namespace === undefined) throw new Error(`${gv} ${String(obj.kind)} ${String(obj.metadata?.name)}: rendered without a namespace`);
  return `${base}/namespaces/${namespace}/${res.name}`;
}

async function createObject(api: ApiClient, obj: ChartObj, dryRun: boolean): Promise<{ status: number; message: string }> {
  const query: Record<string, string> = { fieldValidation: 'Strict', ...(dryRun ? { dryRun: 'All' } : {}) };
  const r = await api.post<{ message?: string } | undefined>(await restPath(api, obj), obj, query);
  return { status: r.status, message: r.body?.message ?? '' };
}

async function realNamespace(api: ApiClient, name: string): Promise<void> {
  const r = await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201 && r.status !== 409) throw new Error(`namespace ${name}: HTTP ${r.status}`);
}

// ---- 1. server-side dry-run ---------------------------------------------------------------

const COMBOS: { name: string; set: string[] }[] = [
  { name: 'defaults (cert-manager mode)', set: [] },
  { name: 'bootstrap mode, NetworkPolicy with egress', set: ['certificates.mode=bootstrap', 'networkPolicy.enabled=true', 'networkPolicy.egress.enabled=true'] },
  { name: 'webhook only (reconcile=false), existing ClusterIssuer', set: ['reconcile=false', 'certificates.certManager.issuerRef.kind=ClusterIssuer', 'certificates.certManager.issuerRef.name=corp-ca'] },
  {
    name: 'three replicas, fail open, extra excluded namespace, policy, digest',
    set: ['replicaCount=3', 'webhook.failurePolicy=Ignore', 'webhook.timeoutSeconds=3', 'webhook.excludeNamespaces={monitoring}', 'policy.privateKeyEncoding=PKCS8', `image.digest=sha256:${'0'.repeat(64)}`],
  },
];

/** Through the API server: a request for a missing database is denied by our webhook, one
 *  for a seeded database is admitted and defaulted (spec.timeout is the webhook's, not the CRD's). */
async function deniesAndAdmits(t: Test, api: ApiClient, label: string, admitMs: number): Promise<{ ns: string; admitted: Awaited<ReturnType<typeof createOps>> }> {
  const ns = await newNamespace(api, `${label}-deny`);
  await waitForDenial(api, ns);
  const denied = await createOps(api, workedRequest('add-tls.yaml', ns), { dryRun: 'All' });
  t.equal(denied.status, 422, `${label}: a request for a missing database is denied`);
  t.match(String(denied.body.message), `admission webhook "${VALIDATE}" denied the request: [spec.databaseRef.name: Not found: "sample-sdb": Singlestore ${ns}/sample-sdb does not exist`);
  const okNs = (await seedState(api, await newNamespace(api, `${label}-admit`), 'state.yaml')).namespace;
  const admitted = await waitFor(
    `${label}: the add request to be admitted (the webhook's informers see the seeded state)`,
    async () => {
      const r = await createOps(api, workedRequest('add-tls.yaml', okNs));
      return r.status === 201 ? r : undefined;
    },
    admitMs,
    300,
  );
  t.equal((admitted.body.spec as { timeout?: string }).timeout, '10m', `${label}: spec.timeout defaulted by the mutating webhook`);
  return { ns, admitted };
}

t.test('helm template output passes a server-side dry-run with strict field validation', async (t) => {
  for (const c of COMBOS) {
    const ns = await newNamespace(cp.api, 'dry-run');
    const objects = renderChart(ns, c.set);
    t.ok(objects.length >= 10, `${c.name}: ${objects.length} objects rendered`);
    for (const o of objects) {
      const r = await createObject(cp.api, o, true);
      t.equal(r.status, 201, `${c.name}: ${String(o.kind)}/${String(o.metadata?.name)}${r.message ? `: ${r.message}` : ''}`);
    }
  }
});

// ---- 2. the chart's webhooks answer the API server ----------------------------------------

/** Writes the chart's two rendered webhook configurations where the harness's
 *  registerWebhooks reads them (it rewrites clientConfig to url + caBundle). */
function chartWebhookDir(objects: ChartObj[], label: string): string {
  const dir = join(cp.dir, `chart-webhooks-${label}`);
  mkdirSync(dir, { recursive: true });
  for (const [kind, file] of [
    ['ValidatingWebhookConfiguration', 'validating.yaml'],
    ['MutatingWebhookConfiguration', 'mutating.yaml'],
  ] as const) {
    const o = objects.find((x) => x.kind === kind);
    if (!o) throw new Error(`no ${kind} rendered`);
    writeFileSync(join(dir, file), stringify(o));
  }
  return dir;
}

async function waitForDenial(api: ApiClient, ns: string): Promise<void> {
  await waitFor(
    'the chart webhooks to take effect',
    async () => ((await createOps(api, workedRequest('add-tls.yaml', ns), { dryRun: 'All' })).status === 422 ? true : undefined),
    30_000,
    250,
  );
}

t.test("the chart's webhook configurations answer the API server; matchConditions, namespaceSelector and failurePolicy hold", async (t) => {
  const api = cp.api;
  await realNamespace(api, RELEASE); // the release namespace the chart excludes
  const wh = await startWebhook(cp, { reconcile: false });
  t.teardown(() => wh.stop());
  const objects = renderChart(RELEASE);
  await registerWebhooks(api, wh, chartWebhookDir(objects, 'default'));
  const { ns, admitted } = await deniesAndAdmits(t, api, 'chart', 15_000);

  // Excluded namespaces are never reviewed (the same request with no database is admitted).
  for (const excluded of [RELEASE, 'kube-system']) {
    const r = await createOps(api, workedRequest('add-tls.yaml', excluded), { dryRun: 'All' });
    t.equal(r.status, 201, `${excluded}: not reviewed`);
    t.equal((r.body.spec as { timeout?: string }).timeout, undefined, `${excluded}: not defaulted`);
  }

  // A request of another type is never sent (checked below with the webhook down), and a
  // Restart request created now is the object the down-webhook checks update.
  const restart: Obj = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'restart-1', namespace: ns }, spec: { type: 'Restart', databaseRef: { name: 'sample-sdb' } } };
  t.equal((await createOps(api, restart)).status, 201, 'Restart request created');

  // ---- the webhook goes away: failurePolicy Fail ----
  await wh.stop();
  const failing = await createOps(api, workedRequest('add-tls.yaml', ns, { name: 'while-down' }), { dryRun: 'All' });
  t.equal(failing.status, 500, 'ReconfigureTLS CREATE fails closed');
  t.match(String(failing.body.message), /failed calling webhook "default\.sdb-tls-guard\.io"|failed calling webhook "validate\.sdb-tls-guard\.io"/);

  const restart2 = { ...structuredClone(restart), metadata: { name: 'restart-2', namespace: ns } };
  t.equal((await createOps(api, restart2)).status, 201, 'another type is never sent to the webhook (matchConditions)');
  t.equal((await api.patch(opsPath(ns, 'restart-1'), { metadata: { labels: { touched: 'yes' } } }, 'merge')).status, 200, 'UPDATE of another type passes');

  const existing = admitted.body as SinglestoreOpsRequest & Obj;
  const existingName = existing.metadata?.name ?? '';
  const okNs = existing.metadata?.namespace ?? '';
  t.equal(
    (await api.patch(opsPath(okNs, existingName, 'status'), { status: { phase: 'Pending' } }, 'merge')).status,
    200,
    'status writes of a ReconfigureTLS request never pass through the webhook',
  );
  const metaUpdate = await api.patch(opsPath(okNs, existingName), { metadata: { labels: { touched: 'yes' } } }, 'merge');
  t.equal(metaUpdate.status, 500, 'a metadata UPDATE of a ReconfigureTLS request waits for the webhook (documented)');
  t.equal((await api.delete(opsPath(okNs, existingName))).status, 200, 'DELETE is never blocked');
  for (const excluded of [RELEASE, 'kube-system']) {
    t.equal((await createOps(api, workedRequest('add-tls.yaml', excluded, { name: 'excluded-while-down' }), { dryRun: 'All' })).status, 201, `${excluded}: unaffected while the webhook is down`);
  }

  // ---- the same, rendered with failurePolicy Ignore: fail open ----
  await registerWebhooks(api, { url: wh.url, caPem: wh.caPem }, chartWebhookDir(renderChart(RELEASE, ['webhook.failurePolicy=Ignore']), 'ignore'));
  await waitFor(
    'failurePolicy Ignore to take effect',
    async () => ((await createOps(api, workedRequest('add-tls.yaml', ns, { name: 'fail-open' }), { dryRun: 'All' })).status === 201 ? true : undefined),
    30_000,
    250,
  );
  t.pass('with failurePolicy Ignore a ReconfigureTLS CREATE is admitted while the webhook is down');

  // Emergency removal as docs/install.md says.
  for (const plural of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) {
    t.equal((await api.delete(`${ADMISSION}/${plural}/${RELEASE}`)).status, 200, `kubectl delete ${plural} ${RELEASE}`);
  }
});

// ---- 3. bootstrap mode with the chart's RBAC ---------------------------------------------

/** A request made with a bearer token (the ServiceAccount's). */
function tokenRequest(server: string, ca: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: { message?: string } }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      {
        method,
        ca,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: { message?: string } = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: string };
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    if (payload) req.write(payload);
    req.end();
  });
}

interface Sar {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The namespace of `system:serviceaccount:<namespace>:<name>`. */
function serviceAccountNamespace(user: string): string {
  const [, , namespace] = user.split(':');
  if (namespace === undefined) throw new Error(`${user} is not a service account user`);
  return namespace;
}

async function allowed(api: ApiClient, user: string, a: Sar): Promise<boolean> {
  const body = await api.must<{ status?: { allowed?: boolean } }>(
    api.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${serviceAccountNamespace(user)}`, 'system:authenticated'],
        resourceAttributes: {
          verb: a.verb,
          group: a.group,
          resource: a.resource,
          ...(a.subresource ? { subresource: a.subresource } : {}),
          ...(a.namespace ? { namespace: a.namespace } : {}),
          ...(a.name ? { name: a.name } : {}),
        },
      },
    }),
    'SubjectAccessReview',
  );
  return body.status?.allowed === true;
}

t.test("the webhook from the image, with the rendered Deployment's arguments, environment and files, answers the API server", async (t) => {
  // The chart's default install (cert-manager serving certificate mounted at /certs, the
  // policy ConfigMap at /policy), webhook-only so no Lease is needed; the container gets
  // what the kubelet would give the Deployment's pod: its env (fieldRefs resolved), the
  // mounted Secret and ConfigMap, and the service-account token with
  // KUBERNETES_SERVICE_HOST/PORT. podman runs it on the host network.
  t.setTimeout(10 * 60_000); // a stale image archive is rebuilt first
  const api = cp.api;
  const rns = await newNamespace(api, 'image');
  const objects = renderChart(rns, ['reconcile=false']);
  for (const o of objects.filter((x) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(String(x.kind)))) {
    const r = await createObject(api, o, false);
    t.equal(r.status, 201, `created ${String(o.kind)}/${String(o.metadata?.name)}${r.message ? `: ${r.message}` : ''}`);
    // Cluster-scoped objects carry the release name, which the next test installs again.
    if (String(o.kind).startsWith('Cluster')) {
      const name = o.metadata?.name;
      if (name === undefined) throw new Error(`a ${String(o.kind)} rendered without a name`);
      t.teardown(async () => {
        await api.delete(`${await restPath(api, o)}/${name}`);
      });
    }
  }
  const pod = get(objects, 'Deployment').spec?.template.spec;
  const container = pod?.containers[0];
  if (!pod || !container) throw new Error('the rendered Deployment has no container');
  const { args } = container;
  if (!args) throw new Error('the rendered Deployment container has no args');
  const mounts = new Map((container.volumeMounts ?? []).map((m): [string, string] => [m.name, m.mountPath]));
  const certsAt = mounts.get('certs');
  const policyAt = mounts.get('policy');
  t.ok(certsAt && policyAt, `the Deployment mounts certs at ${String(certsAt)} and the policy at ${String(policyAt)}`);
  if (certsAt === undefined || policyAt === undefined) return;
  t.notOk(args.some((a) => a.startsWith('--kubeconfig')), 'the Deployment gives no kubeconfig: in-cluster credentials');

  const work = join(cp.dir, `image-${rns}`);
  mkdirSync(join(work, 'policy'), { recursive: true, mode: 0o755 });
  chmodSync(work, 0o755);
  // The serving Secret cert-manager would write for the Service (SANs include 127.0.0.1).
  const serving = await generateSelfSigned({ namespace: rns, serviceName: RELEASE });
  writeFileSync(join(work, 'tls.crt'), serving.cert);
  writeFileSync(join(work, 'tls.key'), serving.key, { mode: 0o600 });
  writeFileSync(join(work, 'ca.crt'), serving.caCert);
  writeFileSync(join(work, 'policy', 'policy.yaml'), String(get(objects, 'ConfigMap').data?.['policy.yaml']), { mode: 0o644 });
  // The projected service-account volume.
  const tr = await api.must<{ status: { token: string } }>(
    api.post(`/api/v1/namespaces/${rns}/serviceaccounts/${pod.serviceAccountName ?? RELEASE}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } }),
    'TokenRequest',
  );
  writeFileSync(join(work, 'token'), tr.status.token);
  writeFileSync(join(work, 'sa-ca.crt'), cp.caCert);
  writeFileSync(join(work, 'namespace'), rns);
  const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(cp.server).port };
  for (const e of container.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = e.value ?? (path === 'metadata.namespace' ? rns : path === 'metadata.name' ? `${RELEASE}-7d9f-image` : '');
  }
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  const wh = await startWebhookImage({
    args,
    env,
    files: [
      { source: join(work, 'tls.crt'), target: `${certsAt}/tls.crt` },
      { source: join(work, 'tls.key'), target: `${certsAt}/tls.key` },
      { source: join(work, 'ca.crt'), target: `${certsAt}/ca.crt` },
      { source: join(work, 'token'), target: `${sa}/token` },
      { source: join(work, 'sa-ca.crt'), target: `${sa}/ca.crt` },
      { source: join(work, 'namespace'), target: `${sa}/namespace` },
    ],
    dirs: [{ source: join(work, 'policy'), target: policyAt }],
    caPem: serving.caCert,
    ready: '/readyz',
  });
  t.teardown(() => wh.stop());
  t.strictSame(
    wh.command.slice(wh.command.indexOf('serve')).filter((a) => !a.startsWith('--port=') && a !== '--host=127.0.0.1'),
    args.filter((a) => !a.startsWith('--port=')),
    `the container runs exactly the Deployment's arguments (${args.join(' ')}), only the port moved`,
  );
  t.ok(wh.command.some((a) => a.includes('sdb-tls-guard') && a.includes(':')), `from the image (${wh.command.find((a) => a.includes('sdb-tls-guard:')) ?? ''})`);

  // The API server calls it through the chart's webhook configurations.
  await registerWebhooks(api, { url: wh.url, caPem: serving.caCert }, chartWebhookDir(objects, 'image'));
  t.teardown(async () => {
    for (const plural of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) await api.delete(`${ADMISSION}/${plural}/${RELEASE}`);
  });
  await deniesAndAdmits(t, api, 'image', 30_000);
  await sleep(LOG_FLUSH_MS * 3);
  const decisions = wh.logs().filter((l) => typeof l['verdict'] === 'string');
  t.ok(decisions.some((l) => l['verdict'] === 'denied') && decisions.some((l) => l['verdict'] === 'allowed'), `the container logged its decisions (${decisions.length})`);
  t.ok(wh.logs().some((l) => JSON.stringify(l).includes('in-cluster')), 'it used the in-cluster service-account credentials');
});

t.test('bootstrap mode under the chart RBAC: certificates, caBundle, admission, a reconcile flow; forbidden verbs stay forbidden', async (t) => {
  const api = cp.api;
  const rns = await newNamespace(api, 'guard');
  const objects = renderChart(rns, ['certificates.mode=bootstrap']);
  // The chart's identity and RBAC, for real.
  for (const o of objects.filter((x) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(String(x.kind)))) {
    const r = await createObject(api, o, false);
    t.equal(r.status, 201, `created ${String(o.kind)}/${String(o.metadata?.name)}${r.message ? `: ${r.message}` : ''}`);
  }
  // The chart's webhook configurations, pointed at the port the service will listen on,
  // with a caBundle the service's certificate does NOT chain to: bootstrap must replace it.
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  await registerWebhooks(api, { url, caPem: cp.caCert }, chartWebhookDir(objects, 'bootstrap'));

  // A token of the chart's ServiceAccount.
  const tr = await api.must<{ status: { token: string } }>(
    api.post(`/api/v1/namespaces/${rns}/serviceaccounts/${RELEASE}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } }),
    'TokenRequest',
  );
  const token = tr.status.token;
  const kubeconfig = join(cp.dir, `sa-${rns}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caCert).toString('base64') } }],
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'e2e', user: 'sa', namespace: rns } }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );

  // The rendered Deployment's arguments, with paths and the port moved to this machine.
  const chartArgs = get(objects, 'Deployment').spec?.template.spec?.containers[0]?.args;
  if (!chartArgs) throw new Error('the rendered Deployment container has no args');
  const policy = get(objects, 'ConfigMap').data?.['policy.yaml'];
  if (policy === undefined) throw new Error('the rendered ConfigMap has no policy.yaml');
  const work = join(cp.dir, `bootstrap-${rns}`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'policy.yaml'), policy);
  const args = chartArgs.map((a) =>
    a
      .replace(/^--port=\d+$/, `--port=${port}`)
      .replace(/^--cert=\/tmp\/certs\//, `--cert=${work}/certs/`)
      .replace(/^--key=\/tmp\/certs\//, `--key=${work}/certs/`)
      .replace(/^--policy=\/policy\//, `--policy=${work}/`),
  );
  t.ok(args.includes('--bootstrap-certs'), `chart args: ${args.join(' ')}`);
  const cmd = webhookCommand();
  const logFile = join(work, 'service.log');
  const proc: ManagedProcess = startProcess({
    name: 'sdb-tls-guard (bootstrap, chart RBAC)',
    command: cmd.command,
    args: [...cmd.args, ...args, '--host=127.0.0.1', `--kubeconfig=${kubeconfig}`, '--log-level=debug'],
    logFile,
    cwd: ROOT,
    env: { ...process.env, KUBECONFIG: kubeconfig, POD_NAMESPACE: rns, POD_NAME: `${RELEASE}-0` },
  });
  t.teardown(() => proc.stop());
  const logs = (): Record<string, unknown>[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });

  // The Secret, the files, the caBundle.
  const secretName = `${RELEASE}-bootstrap-certs`;
  const secret = await waitFor(
    'the bootstrap Secret',
    async () => {
      if ((await Promise.race([proc.exited, Promise.resolve(undefined)])) !== undefined) throw new Error(`the service exited:\n${proc.tail()}`);
      const r = await api.get<{ data?: Record<string, string> }>(resourcePath(R.secret, rns, secretName));
      return r.status === 200 ? r.body : undefined;
    },
    60_000,
  ).catch((err: unknown) => {
    throw new Error(`${errorMessage(err)}\n--- service log ---\n${proc.tail(30)}`);
  });
  t.strictSame(Object.keys(secret.data ?? {}).sort(), ['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  const secretData = (key: string): string => {
    const v = secret.data?.[key];
    if (v === undefined) throw new Error(`the bootstrap Secret has no ${key}`);
    return v;
  };
  const bundleB64 = secretData('ca-bundle.crt');
  const bundle = Buffer.from(bundleB64, 'base64').toString('utf8');
  await waitFor(`${url}/readyz with the bootstrap CA`, async () => ((await httpsGet(`${url}/readyz`, bundle)) === 200 ? true : undefined), 60_000).catch((err: unknown) => {
    throw new Error(`${errorMessage(err)}\n--- service log ---\n${proc.tail(30)}`);
  });
  t.equal(readFileSync(join(work, 'certs', 'tls.crt'), 'utf8'), Buffer.from(secretData('tls.crt'), 'base64').toString('utf8'), 'serving file == Secret');
  for (const plural of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) {
    const cfg = await waitFor(
      `${plural} caBundle`,
      async () => {
        const r = await api.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(`${ADMISSION}/${plural}/${RELEASE}`);
        return r.body.webhooks.every((w) => w.clientConfig.caBundle === bundleB64) ? r.body : undefined;
      },
      30_000,
    );
    t.equal(cfg.webhooks.length, 1, `${plural}: caBundle patched by the service`);
  }

  // The API server trusts it: a request that must be denied is denied by our webhook.
  const ns = await newNamespace(api, 'bootstrap-admission');
  await waitForDenial(api, ns);
  const denied = await createOps(api, workedRequest('add-tls.yaml', ns), { dryRun: 'All' });
  t.equal(denied.status, 422);
  t.match(String(denied.body.message), `admission webhook "${VALIDATE}" denied the request: [spec.databaseRef.name: Not found: "sample-sdb": Singlestore ${ns}/sample-sdb does not exist`);

  // A rotate and a remove carried to Successful by the reconciler with nothing but the chart's RBAC.
  const flows = ['rotate.yaml', 'remove.yaml'];
  await Promise.all(
    flows.map((file) =>
      t.test(`${file} reaches Successful under the chart RBAC`, async (t) => {
        // A running database: pods by the PetSet stand-in, kube-scheduler and kwok; certificates by cert-manager.
        const seeded = await seedDatabase(api, await newNamespace(api, `rbac-${file.replace('.yaml', '')}`), 'state-tls.yaml');
        const req = workedRequest(file, seeded.namespace);
        const created = await waitFor(
          `${file} admitted`,
          async () => {
            const r = await createOps(api, req);
            return r.status === 201 ? r : undefined;
          },
          20_000,
          300,
        );
        t.equal(created.status, 201);
        const done = await waitFor(
          `${file} terminal`,
          async () => {
            const r = await api.must<SinglestoreOpsRequest>(api.get(opsPath(seeded.namespace, req.metadata?.name)), 'request');
            return ['Successful', 'Failed', 'Skipped'].includes(r.status?.phase ?? '') ? r : undefined;
          },
          180_000,
          500,
        );
        t.equal(done.status?.phase, 'Successful', `phase: ${JSON.stringify(done.status?.conditions?.slice(-1))}`);
        const after = await api.must<Singlestore>(api.get(dbPath(seeded.namespace, 'sample-sdb')), 'database');
        t.notOk((after.status?.conditions ?? []).some((c) => c.type === 'Paused' && c.status !== 'False'), 'database resumed');
      }),
    ),
  );
  // The service buffers its log lines for up to LOG_FLUSH_MS: wait that out first.
  await sleep(LOG_FLUSH_MS * 3);
  const serviceLog = logs();
  t.ok(serviceLog.length > 0, `the service's log was read (${serviceLog.length} lines)`);
  const forbiddenLogs = serviceLog.filter((l) => JSON.stringify(l).includes('is forbidden: User'));
  t.strictSame(forbiddenLogs, [], 'the service met no RBAC "forbidden" answer');
  const lease = await api.get<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${rns}/leases/sdb-tls-guard-reconciler`);
  t.equal(lease.status, 200, 'the leader Lease lives in the release namespace');

  // Every row of docs/security.md's RBAC table is granted by the real authorizer...
  const user = `system:serviceaccount:${rns}:${RELEASE}`;
  const rows = parseRbacTable(readFileSync(join(ROOT, 'docs/security.md'), 'utf8'), { fullname: RELEASE, bootstrapSecret: secretName });
  t.ok(rows.length > 0, `docs/security.md's RBAC table has rows (${rows.length})`);
  const elsewhere = await newNamespace(api, 'rbac-elsewhere');
  for (const row of rows) {
    const [resource, subresource] = row.resource.split('/') as [string, string | undefined];
    const clusterScoped = ['clusterissuers', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations'].includes(resource);
    const namespace = row.role.startsWith('Role ') ? rns : clusterScoped ? undefined : elsewhere;
    for (const verb of row.verbs) {
      const a: Sar = { verb, group: row.group, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), ...(row.resourceNames[0] && verb !== 'create' ? { name: row.resourceNames[0] } : {}) };
      t.ok(await allowed(api, user, a), `allowed: ${verb} ${row.group || 'core'}/${row.resource}${a.name ? ` ${a.name}` : ''}${namespace ? ` in ${namespace === rns ? 'the release namespace' : 'another namespace'}` : ''}`);
    }
  }
  // ...and what the chart leaves out is denied.
  const FORBIDDEN: Sar[] = [
    { verb: 'list', group: '', resource: 'secrets' },
    { verb: 'list', group: '', resource: 'secrets', namespace: elsewhere },
    { verb: 'watch', group: '', resource: 'secrets', namespace: rns },
    { verb: 'update', group: '', resource: 'secrets', namespace: rns, name: 'someone-elses-secret' },
    { verb: 'create', group: '', resource: 'secrets', namespace: elsewhere },
    { verb: 'get', group: '', resource: 'secrets', namespace: elsewhere, name: 'sample-sdb-server-cert' },
    { verb: 'get', group: '', resource: 'secrets', namespace: rns, name: 'someone-elses-secret' },
    { verb: 'delete', group: '', resource: 'pods', namespace: elsewhere },
    { verb: 'update', group: '', resource: 'pods', namespace: elsewhere },
    { verb: 'update', group: 'ops.kubedb.com', resource: 'singlestoreopsrequests', namespace: elsewhere },
    { verb: 'patch', group: 'ops.kubedb.com', resource: 'singlestoreopsrequests', namespace: elsewhere },
    { verb: 'create', group: 'ops.kubedb.com', resource: 'singlestoreopsrequests', namespace: elsewhere },
    { verb: 'delete', group: 'ops.kubedb.com', resource: 'singlestoreopsrequests', namespace: elsewhere },
    { verb: 'delete', group: 'kubedb.com', resource: 'singlestores', namespace: elsewhere },
    { verb: 'update', group: 'kubedb.com', resource: 'singlestores', namespace: elsewhere },
    { verb: 'update', group: 'cert-manager.io', resource: 'certificates', namespace: elsewhere },
    { verb: 'delete', group: 'apps.k8s.appscode.com', resource: 'petsets', namespace: elsewhere },
    { verb: 'patch', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', name: 'someone-elses-webhook' },
    { verb: 'list', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
    { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: rns, name: 'someone-elses-lease' },
    { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: elsewhere },
    { verb: 'patch', group: '', resource: 'events', namespace: elsewhere },
    { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
    { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    { verb: 'impersonate', group: '', resource: 'serviceaccounts' },
    { verb: 'create', group: '', resource: 'serviceaccounts', subresource: 'token', namespace: rns, name: RELEASE },
  ];
  for (const a of FORBIDDEN) {
    t.notOk(await allowed(api, user, a), `forbidden: ${a.verb} ${a.group || 'core'}/${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` ${a.name}` : ''}`);
  }
  // And with the token itself, through the API server.
  const asSa = (method: string, path: string, body?: unknown) => tokenRequest(cp.server, cp.caCert, token, method, path, body);
  t.equal((await asSa('GET', '/api/v1/secrets')).status, 403, 'token: cannot list Secrets');
  t.equal((await asSa('GET', `/api/v1/namespaces/${rns}/secrets/${secretName}`)).status, 200, 'token: reads its own bootstrap Secret');
  t.equal((await asSa('GET', `/api/v1/namespaces/${elsewhere}/secrets/any`)).status, 403, 'token: cannot read any other Secret');
  t.equal((await asSa('PATCH', `${ADMISSION}/validatingwebhookconfigurations/${RELEASE}`, { metadata: { labels: { x: 'y' } } })).status, 200, 'token: patches its own webhook configuration');
  t.equal((await asSa('DELETE', `${ADMISSION}/validatingwebhookconfigurations/${RELEASE}`)).status, 403, 'token: cannot delete it');
  t.equal((await asSa('DELETE', `/api/v1/namespaces/${elsewhere}/pods/any`)).status, 403, 'token: cannot delete pods');
});
