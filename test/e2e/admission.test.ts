// E2E admission scenarios: a real kube-apiserver + etcd, the test CRDs, and
// `sdb-tls-guard serve --self-signed` (admission only) registered from webhook-config/.
// Every request goes through the API server; expected texts come from the engine run on
// the same objects, so a test fails when the wire (AdmissionReview, patch, caBundle,
// status code, warnings) changes anything on the way.
import t from 'tap';
import type { SinglestoreOpsRequest } from '../../src/api/types.js';
import { decide } from '../../src/core/engine.js';
import { formatAggregate, formatWarning } from '../../src/core/field/errors.js';
import { MemoryView } from '../../src/core/memory-view.js';
import {
  createOps,
  createWithStatus,
  dbPath,
  loadWorked,
  newNamespace,
  opsPath,
  registerWebhooks,
  seedState,
  sleep,
  startControlPlane,
  startWebhook,
  workedRequest,
  type ApiResponse,
  type ControlPlane,
  type Obj,
  type Webhook,
} from './harness/index.js';

const VALIDATE = 'validate.sdb-tls-guard.io';
const denied = (message: string): string => `admission webhook "${VALIDATE}" denied the request: ${message}`;

let cp: ControlPlane;
let wh: Webhook;

t.before(async () => {
  cp = await startControlPlane({ log: (l) => t.comment(l) });
  t.teardown(() => cp.stop()); // tap runs teardowns last-registered first: the webhook, then the control plane
  wh = await startWebhook(cp, { reconcile: false });
  t.teardown(() => wh.stop());
  await registerWebhooks(cp.api, wh);
  t.comment(`parts: ${cp.versions}; webhook at ${wh.url}`);
  // The API server picks up webhook configurations through an informer: wait until a
  // request that must be denied is denied.
  const ns = await newNamespace(cp.api, 'probe');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await createOps(cp.api, workedRequest('add-tls.yaml', ns), { dryRun: 'All' });
    if (r.status === 422) break;
    if (Date.now() > deadline) throw new Error(`webhooks not effective after 30 s: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(250);
  }
});


/** The state objects of a fixture as they are in namespace `ns`. */
function stateIn(file: string, ns: string, patchDb?: (db: Obj) => void): Obj[] {
  return loadWorked(file).map((o) => {
    const c = structuredClone(o);
    if (c.kind !== 'ClusterIssuer') c.metadata = { ...c.metadata, namespace: ns };
    if (c.kind === 'Singlestore') patchDb?.(c);
    return c;
  });
}

/** What the engine decides for a CREATE of `req` against `objects`. */
function expectCreate(req: Obj, objects: unknown[]): { spec: Record<string, unknown>; errors: string; warnings: string[] } {
  const d = decide({ object: req, operation: 'CREATE', view: MemoryView.from(objects) });
  return {
    spec: (d.defaulted as Obj).spec ?? {},
    errors: formatAggregate(d.result.errors),
    warnings: d.result.warnings.map(formatWarning),
  };
}

/**
 * The webhook's informer caches follow the API server a little later than our writes:
 * wait until a dry run of `req` gets the expected HTTP status (10 s at most), so the real
 * request below is judged on a settled cache. The real request is asserted either way.
 */
async function settled(req: Obj, wantStatus: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = await createOps(cp.api, req, { dryRun: 'All' });
    if (r.status === wantStatus) return;
    await sleep(200);
  }
}

function message(r: ApiResponse): string {
  const m = (r.body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : '';
}

const WORKED: { file: string; state: string }[] = [
  { file: 'add-tls.yaml', state: 'state.yaml' },
  { file: 'rotate.yaml', state: 'state-tls.yaml' },
  { file: 'update.yaml', state: 'state-tls.yaml' },
  { file: 'change-issuer.yaml', state: 'state-tls.yaml' },
  { file: 'remove.yaml', state: 'state-tls.yaml' },
];

t.test('the five worked requests are admitted and stored defaulted', async (t) => {
  for (const w of WORKED) {
    await t.test(w.file, async (t) => {
      const ns = await newNamespace(cp.api, w.file.replace('.yaml', ''));
      await seedState(cp.api, ns, w.state);
      const req = workedRequest(w.file, ns);
      const want = expectCreate(req, stateIn(w.state, ns));
      t.equal(want.errors, '', 'the engine admits it');
      await settled(req, 201);
      const r = await createOps(cp.api, req);
      t.equal(r.status, 201, `created: ${message(r)}`);
      t.same(r.warnings, want.warnings, 'warnings relayed by the API server');
      const stored = await cp.api.must<SinglestoreOpsRequest>(cp.api.get(opsPath(ns, req.metadata?.name)), 'read back');
      t.equal(stored.spec?.apply, 'IfReady', 'spec.apply defaulted');
      t.equal(stored.spec?.timeout, '10m', 'spec.timeout defaulted by the mutating webhook');
      t.equal(stored.spec?.maxRetries, 1, "spec.maxRetries: 1 (the published CRD's default)");
      t.same(stored.spec, { ...want.spec, maxRetries: 1 }, "stored spec equals the engine-defaulted spec plus the CRD's maxRetries default");
      t.equal(stored.metadata?.generation, 1);
      t.comment(`${w.file}: admitted; stored spec.apply=${String(stored.spec?.apply)} spec.timeout=${String(stored.spec?.timeout)}`);
    });
  }
});

interface DenyCase {
  name: string;
  rule: string;
  state?: string;
  patchDb?: (db: Obj) => void;
  /** Objects created before the request (their statuses through /status). */
  before?: (ns: string) => Obj[];
  request: (ns: string) => Obj;
  /** A substring the message must contain, naming the problem in words. */
  says: string;
}

const paused = (db: Obj): void => {
  const status = (db.status ??= {}) as { conditions?: unknown[] };
  status.conditions = [
    ...(status.conditions ?? []),
    { type: 'Paused', status: 'True', reason: 'SomeoneElse', message: 'paused by an operator', lastTransitionTime: '2026-11-01T00:00:00Z' },
  ];
};

const DENY: DenyCase[] = [
  {
    name: 'certificate rotation while the database is paused',
    rule: 'database-paused',
    state: 'state-tls.yaml',
    patchDb: paused,
    request: (ns) => workedRequest('rotate.yaml', ns),
    says: 'is paused',
  },
  {
    name: 'a second TLS change while one is in flight',
    rule: 'tls-op-in-flight',
    state: 'state-tls.yaml',
    before: (ns) => [
      {
        ...workedRequest('rotate.yaml', ns, { name: 'first-rotation' }),
        status: { phase: 'Progressing', conditions: [{ type: 'ReconfigureTLS', status: 'True', reason: 'ReconfigureTLS', lastTransitionTime: '2026-11-01T00:00:00Z' }] },
      },
    ],
    request: (ns) => workedRequest('update.yaml', ns),
    says: 'wait until it finishes',
  },
  {
    name: 'a missing database',
    rule: 'database-exists',
    request: (ns) => workedRequest('add-tls.yaml', ns),
    says: 'Not found',
  },
  {
    name: 'a missing issuer',
    rule: 'issuer-exists',
    state: 'state.yaml',
    request: (ns) => {
      const r = workedRequest('add-tls.yaml', ns);
      (r.spec as { tls: { issuerRef: { name: string } } }).tls.issuerRef.name = 'no-such-issuer';
      return r;
    },
    says: 'no-such-issuer',
  },
  {
    name: 'TLS removal when TLS is off',
    rule: 'tls-not-enabled',
    state: 'state.yaml',
    request: (ns) => workedRequest('remove.yaml', ns),
    says: 'TLS',
  },
  {
    name: 'a static rule: two operations at once',
    rule: 'one-operation',
    state: 'state-tls.yaml',
    request: (ns) => {
      const r = workedRequest('rotate.yaml', ns);
      (r.spec as { tls: Record<string, unknown> }).tls['remove'] = true;
      return r;
    },
    says: 'spec.tls',
  },
];

t.test('deny rules reached through the API server carry our message', async (t) => {
  for (const c of DENY) {
    await t.test(`${c.rule}: ${c.name}`, async (t) => {
      const ns = await newNamespace(cp.api, c.rule);
      const objects: Obj[] = c.state ? stateIn(c.state, ns, c.patchDb) : [];
      if (c.state) await seedState(cp.api, ns, c.state, c.patchDb ? { dbPatch: c.patchDb } : {});
      for (const o of c.before?.(ns) ?? []) {
        await createWithStatus(cp.api, o);
        objects.push(o);
      }
      const req = c.request(ns);
      const want = expectCreate(req, objects);
      t.not(want.errors, '', 'the engine denies it');
      await settled(req, 422);
      const r = await createOps(cp.api, req);
      t.equal(r.status, 422, 'HTTP 422 Invalid, the code the webhook answered');
      t.equal(message(r), denied(want.errors), 'the API server relays our message');
      t.match(message(r), c.says);
      t.equal((r.body as { reason?: string }).reason, 'Invalid');
      t.comment(`API server error (${c.rule}): ${message(r)}`);
      const get = await cp.api.get(opsPath(ns, req.metadata?.name));
      t.equal(get.status, 404, 'nothing was stored');
    });
  }

  await t.test('spec-immutable: a spec update after create', async (t) => {
    const ns = await newNamespace(cp.api, 'spec-immutable');
    await seedState(cp.api, ns, 'state-tls.yaml');
    const req = workedRequest('rotate.yaml', ns);
    await settled(req, 201);
    const created = await createOps(cp.api, req);
    t.equal(created.status, 201, message(created));
    const old = created.body;
    const changed = structuredClone(old);
    changed.spec = { ...changed.spec, timeout: '5m' };
    const d = decide({ object: changed, oldObject: old, operation: 'UPDATE', view: MemoryView.from([...stateIn('state-tls.yaml', ns), old]) });
    const wantMsg = formatAggregate(d.result.errors);
    t.not(wantMsg, '');
    for (const [how, send] of [
      ['merge patch', () => cp.api.patch(opsPath(ns, req.metadata?.name), { spec: { timeout: '5m' } }, 'merge')],
      ['JSON patch', () => cp.api.patch(opsPath(ns, req.metadata?.name), [{ op: 'replace', path: '/spec/timeout', value: '5m' }], 'json')],
      ['PUT', () => cp.api.put(opsPath(ns, req.metadata?.name), changed)],
    ] as const) {
      const r = await send();
      t.equal(r.status, 422, `${how}: denied`);
      t.equal(message(r), denied(wantMsg), `${how}: our message`);
      t.comment(`API server error (spec-immutable, ${how}): ${message(r)}`);
    }
    const stored = await cp.api.must<Obj>(cp.api.get(opsPath(ns, req.metadata?.name)), 'read back');
    t.equal((stored.spec as { timeout?: string }).timeout, '10m', 'spec unchanged');
    const labelled = await cp.api.patch<Obj>(opsPath(ns, req.metadata?.name), { metadata: { labels: { team: 'db' } } }, 'merge');
    t.equal(labelled.status, 200, `a metadata-only update is admitted: ${message(labelled)}`);
  });
});

t.test('warnings reach the client as Warning headers', async (t) => {
  const ns = await newNamespace(cp.api, 'warnings');
  const notReady = (db: Obj): void => {
    db.status = { phase: 'Provisioning', conditions: [{ type: 'Ready', status: 'False', reason: 'Provisioning', lastTransitionTime: '2026-11-01T00:00:00Z' }] };
  };
  await seedState(cp.api, ns, 'state-tls.yaml', { dbPatch: notReady });
  const req = workedRequest('rotate.yaml', ns);
  const want = expectCreate(req, stateIn('state-tls.yaml', ns, notReady));
  t.equal(want.errors, '');
  t.ok(want.warnings.length > 0, 'the engine warns (database not Ready, apply IfReady)');
  await settled(req, 201);
  const r = await createOps(cp.api, req);
  t.equal(r.status, 201, message(r));
  t.same(r.warnings, want.warnings, 'each warning arrives as a Warning: 299 header');
  for (const w of r.warnings) t.comment(`Warning header: ${w}`);
});

t.test('dryRun=All is answered without side effects', async (t) => {
  const ns = await newNamespace(cp.api, 'dry-run');
  await seedState(cp.api, ns, 'state.yaml');
  const req = workedRequest('add-tls.yaml', ns);
  await settled(req, 201);
  const r = await createOps(cp.api, req, { dryRun: 'All' });
  t.equal(r.status, 201, message(r));
  t.equal((r.body.spec as { timeout?: string }).timeout, '10m', 'the dry-run answer is defaulted');
  t.equal((await cp.api.get(opsPath(ns, req.metadata?.name))).status, 404, 'nothing stored');
  const list = await cp.api.must<{ items: unknown[] }>(cp.api.get(opsPath(ns)), 'list');
  t.equal(list.items.length, 0, 'no ops requests in the namespace');

  const bad = workedRequest('remove.yaml', ns);
  const d = await createOps(cp.api, bad, { dryRun: 'All' });
  t.equal(d.status, 422, 'a dry run is judged like the real request');
  t.match(message(d), `admission webhook "${VALIDATE}" denied the request`);
  t.comment(`API server error (dry run): ${message(d)}`);
  const db = await cp.api.must<Obj>(cp.api.get(dbPath(ns, 'sample-sdb')), 'database');
  t.notOk((db.status as { conditions?: { type: string }[] }).conditions?.some((c) => c.type === 'Paused'), 'database untouched');
});

t.test('status updates are never blocked', async (t) => {
  const ns = await newNamespace(cp.api, 'status');
  await seedState(cp.api, ns, 'state-tls.yaml');
  const req = workedRequest('rotate.yaml', ns);
  await settled(req, 201);
  t.equal((await createOps(cp.api, req)).status, 201);
  // Pause the database (what the reconciler does) — every rule that would deny a new request now holds.
  await cp.api.must(cp.api.patch(dbPath(ns, 'sample-sdb', 'status'), { status: { conditions: [{ type: 'Paused', status: 'True', reason: 'sdb-tls-guard', lastTransitionTime: '2026-11-01T00:00:00Z' }] } }, 'merge'), 'pause');
  const name = req.metadata?.name ?? '';
  const steps: [string, Record<string, unknown>][] = [
    ['Progressing', { phase: 'Progressing', conditions: [{ type: 'ReconfigureTLS', status: 'True', reason: 'ReconfigureTLS', lastTransitionTime: '2026-11-01T00:00:00Z' }] }],
    ['Failed', { phase: 'Failed', conditions: [{ type: 'Failed', status: 'True', reason: 'Failed', message: 'x', lastTransitionTime: '2026-11-01T00:01:00Z' }] }],
  ];
  for (const [label, status] of steps) {
    const r = await cp.api.patch<Obj>(opsPath(ns, name, 'status'), { status }, 'merge');
    t.equal(r.status, 200, `merge patch of /status to ${label}: ${message(r)}`);
    t.equal((r.body.status as { phase?: string }).phase, label);
  }
  const cur = await cp.api.must<Obj>(cp.api.get(opsPath(ns, name)), 'get');
  const put = await cp.api.put<Obj>(opsPath(ns, name, 'status'), { ...cur, status: { ...cur.status, phase: 'Successful' } });
  t.equal(put.status, 200, `PUT /status: ${message(put)}`);
  t.equal((put.body.status as { phase?: string }).phase, 'Successful');
});

t.test('requests the webhooks do not match are left alone', async (t) => {
  const ns = await newNamespace(cp.api, 'other-types');
  // No database at all: a ReconfigureTLS request would be denied; a Restart is not ours.
  const restart: Obj = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'restart', namespace: ns }, spec: { type: 'Restart', databaseRef: { name: 'sample-sdb' }, restart: {} } };
  const r = await createOps(cp.api, restart);
  t.equal(r.status, 201, `admitted without calling the webhook: ${message(r)}`);
  t.equal((r.body.spec as { timeout?: string }).timeout, undefined, 'not defaulted by us (matchConditions)');
  t.equal((r.body.spec as { apply?: string }).apply, 'IfReady', 'the CRD default applies');
});

t.test('the API server prunes unknown fields before the webhook sees them', async (t) => {
  const ns = await newNamespace(cp.api, 'pruning');
  await seedState(cp.api, ns, 'state-tls.yaml');
  const req = workedRequest('rotate.yaml', ns);
  (req.spec as { tls: Record<string, unknown> }).tls['rotateEverything'] = true;
  await settled(req, 201);
  const r = await createOps(cp.api, req);
  t.equal(r.status, 201, message(r));
  t.same(r.body.spec?.['tls'], { rotateCertificates: true }, 'the unknown field is gone');
  t.same(r.warnings, ['unknown field "spec.tls.rotateEverything"'], 'the API server warns about the dropped field (fieldValidation Warn)');
  t.comment(`pruning: warnings ${JSON.stringify(r.warnings)}`);
});

t.test('the kubeconfig the harness writes works with client-node', async (t) => {
  const { CoreV1Api, CustomObjectsApi } = await import('@kubernetes/client-node');
  const ns = await newNamespace(cp.api, 'client-node');
  await seedState(cp.api, ns, 'state-tls.yaml');
  const req = workedRequest('rotate.yaml', ns);
  await settled(req, 201);
  t.equal((await createOps(cp.api, req)).status, 201);
  const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const got = (await custom.getNamespacedCustomObject({ group: 'ops.kubedb.com', version: 'v1alpha1', namespace: ns, plural: 'singlestoreopsrequests', name: req.metadata?.name ?? '' })) as Obj;
  t.equal((got.spec as { timeout?: string }).timeout, '10m', 'read back through client-node');
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const nsObj = await core.readNamespace({ name: ns });
  t.equal(nsObj.metadata?.labels?.['kubernetes.io/metadata.name'], ns, 'the API server labels namespaces by name (the webhooks select on it)');
  // A denial through client-node: an ApiException with the 422 body.
  // (Two operations at once: denied whatever the first request's phase; a second TLS
  // request alone would be admitted while the first is still Pending — tls-op-superseded.)
  const bad = workedRequest('remove.yaml', ns, { name: 'second' });
  (bad.spec as { tls: Record<string, unknown> }).tls['rotateCertificates'] = true;
  try {
    await custom.createNamespacedCustomObject({ group: 'ops.kubedb.com', version: 'v1alpha1', namespace: ns, plural: 'singlestoreopsrequests', body: bad });
    t.fail('a request with two operations was admitted');
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    t.equal(e.code, 422, 'ApiException code 422');
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string });
    t.match(body.message ?? '', `admission webhook "${VALIDATE}" denied the request: `);
    t.comment(`API server error (through client-node): ${String(body.message)}`);
  }
});
