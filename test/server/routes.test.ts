// /validate and /mutate through app.inject() with the AdmissionReview fixtures.
import t from 'tap';
import { admissionFixture, decodePatch, makeApp, post, sentReview, stateView } from './helpers.js';

const ALIAS_MSG = 'spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"';

t.test('v1 CREATE allowed: uid echoed, bare allowed answer', async (t) => {
  const { app, logs } = makeApp({ view: stateView('state.yaml') });
  const res = await post(app, '/validate', admissionFixture('v1-create-allowed.json'));
  t.equal(res.status, 200);
  t.strictSame(res.json(), {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: '0f1e2d3c-0001-4000-8000-000000000001', allowed: true },
  });
  const decisions = logs.filter((l) => l['msg'] === 'admission decision');
  t.equal(decisions.length, 1, 'one log line per decision');
  const [line] = decisions;
  if (!line) throw new Error('no admission decision line');
  t.match(line, {
    level: 30,
    uid: '0f1e2d3c-0001-4000-8000-000000000001',
    user: 'alice@example.com',
    namespace: 'demo',
    name: 'sdbops-add-tls',
    kind: 'SinglestoreOpsRequest',
    operation: 'CREATE',
    webhook: 'validate',
    verdict: 'allowed',
    rules: [],
    warnings: 0,
  });
  t.type(line['durationMs'], 'number');
  t.notOk('object' in line, 'the object is never logged');
  t.notOk(JSON.stringify(logs).includes('singlestore"'), 'no object content in any log line');
});

t.test('v1 CREATE denied with every cause', async (t) => {
  const { app, logs } = makeApp({ view: stateView('state-tls.yaml') });
  const res = await post(app, '/validate', admissionFixture('v1-create-denied.json'));
  t.equal(res.status, 200, 'a broken rule is HTTP 200');
  const r = res.review().response;
  if (!r) throw new Error('the answer has no response');
  t.equal(r.uid, '0f1e2d3c-0002-4000-8000-000000000002');
  t.equal(r.allowed, false);
  const { status } = r;
  if (!status?.details?.causes) throw new Error('the answer has no status causes');
  t.equal(status.code, 422);
  t.equal(status.reason, 'Invalid');
  t.equal(status.status, 'Failure');
  t.strictSame(
    status.details.causes.map((c) => [c.reason, c.field]),
    [
      ['FieldValueNotSupported', 'spec.tls.certificates[0].alias'],
      ['FieldValueInvalid', 'spec.tls.certificates[0].duration'],
      ['FieldValueInvalid', 'spec.timeout'],
    ],
  );
  t.equal(status.details.causes[0]?.message, 'Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"');
  t.strictSame({ name: status.details.name, group: status.details.group, kind: status.details.kind }, { name: 'sdbops-bad', group: 'ops.kubedb.com', kind: 'SinglestoreOpsRequest' });
  // The message is the aggregate of the three field errors, each "<field>: <cause message>".
  const expected = `[${status.details.causes.map((c) => `${c.field}: ${c.message}`).join(', ')}]`;
  t.equal(status.message, expected);
  t.ok(status.message.startsWith(`[${ALIAS_MSG}, spec.tls.certificates[0].duration: Invalid value: "30m"`), status.message);
  t.strictSame(r.auditAnnotations, { 'denied-by': 'certificate-alias,certificate-duration,timeout' });
  t.notOk('warnings' in r);
  const line = logs.find((l) => l['msg'] === 'admission decision');
  t.match(line, { verdict: 'denied', rules: ['certificate-alias', 'certificate-duration', 'timeout'], user: 'alice@example.com', name: 'sdbops-bad' });
});

t.test('v1beta1 is answered in v1beta1', async (t) => {
  const { app } = makeApp({ view: stateView('state-tls.yaml') });
  const res = await post(app, '/validate', admissionFixture('v1beta1-create-allowed.json'));
  t.equal(res.status, 200);
  t.strictSame(res.json(), {
    apiVersion: 'admission.k8s.io/v1beta1',
    kind: 'AdmissionReview',
    response: { uid: '0f1e2d3c-0003-4000-8000-000000000003', allowed: true },
  });
  const m = await post(app, '/mutate', admissionFixture('v1beta1-create-allowed.json'));
  t.equal(m.review().apiVersion, 'admission.k8s.io/v1beta1');
});

t.test('UPDATE that changes the spec is denied by spec-immutable', async (t) => {
  const { app } = makeApp({ view: stateView('state-tls.yaml') });
  const r = (await post(app, '/validate', admissionFixture('v1-update-spec-changed.json'))).review().response;
  if (!r) throw new Error('the answer has no response');
  t.equal(r.uid, '0f1e2d3c-0004-4000-8000-000000000004');
  t.equal(r.allowed, false);
  t.strictSame(r.status?.details?.causes?.map((c) => [c.reason, c.field]), [['FieldValueForbidden', 'spec']]);
  t.strictSame(r.auditAnnotations, { 'denied-by': 'spec-immutable' });
  const m = (await post(app, '/mutate', admissionFixture('v1-update-spec-changed.json'))).review().response;
  t.strictSame(m, { uid: '0f1e2d3c-0004-4000-8000-000000000004', allowed: true }, 'mutate never denies and does not default on UPDATE');
});

t.test('status-only UPDATE and DELETE always pass', async (t) => {
  const { app, logs } = makeApp({ view: stateView('state-tls.yaml') });
  for (const [file, uid] of [
    ['v1-update-status-only.json', '0f1e2d3c-0005-4000-8000-000000000005'],
    ['v1-delete.json', '0f1e2d3c-0006-4000-8000-000000000006'],
  ] as const) {
    for (const hook of ['/validate', '/mutate']) {
      const res = await post(app, hook, admissionFixture(file));
      t.equal(res.status, 200, `${file} ${hook}`);
      t.strictSame(res.review().response, { uid, allowed: true }, `${file} ${hook}`);
    }
  }
  const del = logs.filter((l) => l['operation'] === 'DELETE');
  t.equal(del.length, 2);
  t.match(del[0], { verdict: 'allowed', skipped: 'DELETE is never blocked', name: 'sdbops-rotate' });
});

t.test('a non-ReconfigureTLS request with spec.tls gets the tls-ignored warning', async (t) => {
  const { app, logs } = makeApp({ view: stateView('state-tls.yaml') });
  const r = (await post(app, '/validate', admissionFixture('v1-create-restart-with-tls.json'))).review().response;
  if (!r) throw new Error('the answer has no response');
  t.equal(r.uid, '0f1e2d3c-0007-4000-8000-000000000007');
  t.equal(r.allowed, true);
  t.equal(r.warnings?.length, 1);
  t.match(r.warnings?.[0], /^spec\.tls: /);
  t.strictSame(r.auditAnnotations, { 'warned-by': 'tls-ignored' });
  t.match(logs.find((l) => l['msg'] === 'admission decision'), { verdict: 'allowed', rules: ['tls-ignored'], warnings: 1 });
});

t.test('mutate returns the default patch of the worked add-tls request', async (t) => {
  const { app, logs } = makeApp({ view: stateView('state.yaml') });
  const review = sentReview('v1-create-allowed.json');
  delete review.request.object.spec.apply;
  delete review.request.object.spec.timeout;
  const res = await post(app, '/mutate', review);
  t.equal(res.status, 200);
  const r = res.review().response;
  t.strictSame(r, {
    uid: '0f1e2d3c-0001-4000-8000-000000000001',
    allowed: true,
    patchType: 'JSONPatch',
    patch: 'W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvYXBwbHkiLCJ2YWx1ZSI6IklmUmVhZHkifSx7Im9wIjoiYWRkIiwicGF0aCI6Ii9zcGVjL3RpbWVvdXQiLCJ2YWx1ZSI6IjEwbSJ9XQ==',
    auditAnnotations: { defaulted: 'default-apply,default-timeout' },
  });
  t.strictSame(decodePatch(r?.patch), [
    { op: 'add', path: '/spec/apply', value: 'IfReady' },
    { op: 'add', path: '/spec/timeout', value: '10m' },
  ]);
  t.match(logs.find((l) => l['msg'] === 'admission decision'), { webhook: 'mutate', verdict: 'allowed', rules: ['default-apply', 'default-timeout'] });
  // The configured default timeout is what gets written.
  const custom = makeApp({ view: stateView('state.yaml'), engineOptions: { defaultTimeout: '30m' } });
  const r2 = (await post(custom.app, '/mutate', review)).review().response;
  t.strictSame(decodePatch(r2?.patch)[1], { op: 'add', path: '/spec/timeout', value: '30m' });
});

t.test('validate reviews the defaulted object (idempotent with the mutating webhook)', async (t) => {
  const { app } = makeApp({ view: stateView('state.yaml') });
  const review = sentReview('v1-create-allowed.json');
  delete review.request.object.spec.apply;
  t.strictSame((await post(app, '/validate', review)).review().response, { uid: '0f1e2d3c-0001-4000-8000-000000000001', allowed: true });
});

t.test('request.namespace fills a missing metadata.namespace for the cluster rules', async (t) => {
  const { app } = makeApp({ view: stateView('state-tls.yaml') });
  const review = sentReview('v1beta1-create-allowed.json');
  delete review.request.object.metadata.namespace;
  t.strictSame((await post(app, '/validate', review)).review().response, { uid: '0f1e2d3c-0003-4000-8000-000000000003', allowed: true });
});

t.test('without a view the cluster rules are reported not evaluated', async (t) => {
  const { app } = makeApp();
  const r = (await post(app, '/validate', admissionFixture('v1-create-allowed.json'))).review().response;
  t.equal(r?.allowed, true);
  t.match(r?.auditAnnotations?.['not-evaluated'], /database-exists/);
});

t.test('other kinds are let through untouched', async (t) => {
  const { app, logs } = makeApp({ view: stateView('state-tls.yaml') });
  const review = sentReview('v1-create-denied.json');
  review.request.kind = { group: 'kubedb.com', version: 'v1alpha2', kind: 'Singlestore' };
  for (const hook of ['/validate', '/mutate']) {
    t.strictSame((await post(app, hook, review)).review().response, { uid: '0f1e2d3c-0002-4000-8000-000000000002', allowed: true }, hook);
  }
  t.match(logs.find((l) => l['msg'] === 'admission decision'), { skipped: 'not a SinglestoreOpsRequest', kind: 'Singlestore' });
});

t.test('an engine exception: validate refuses with code 500 on HTTP 200; mutate allows without a patch', async (t) => {
  const engine = {
    decide: () => {
      throw new Error('kaboom');
    },
  };
  const { app, logs } = makeApp({ engine });
  const v = await post(app, '/validate', admissionFixture('v1-create-allowed.json'));
  t.equal(v.status, 200);
  t.strictSame(v.review().response, {
    uid: '0f1e2d3c-0001-4000-8000-000000000001',
    allowed: false,
    status: { status: 'Failure', code: 500, reason: 'InternalError', message: 'sdb-tls-guard: internal error while reviewing the request: kaboom' },
  });
  const m = await post(app, '/mutate', admissionFixture('v1-create-allowed.json'));
  t.equal(m.status, 200);
  t.strictSame(m.review().response, {
    uid: '0f1e2d3c-0001-4000-8000-000000000001',
    allowed: true,
    warnings: ['sdb-tls-guard: defaults were not applied because of an internal error; see the webhook log'],
  });
  const errors = logs.filter((l) => l['level'] === 50);
  t.equal(errors.length, 2, 'both failures logged at error');
  t.match(errors[0], { uid: '0f1e2d3c-0001-4000-8000-000000000001', webhook: 'validate', verdict: 'denied', error: 'kaboom' });
  t.match(errors[1], { webhook: 'mutate', verdict: 'allowed', error: 'kaboom' });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(metrics.body, /sdb_tls_guard_admission_reviews_total\{webhook="validate",verdict="error"\} 1/);
});

t.test('a non-Error throw is still caught', async (t) => {
  const { app } = makeApp({
    engine: {
      decide: () => {
        throw 'string thrown'; // eslint-disable-line @typescript-eslint/only-throw-error -- throws a non-Error on purpose
      },
    },
  });
  const v = await post(app, '/validate', admissionFixture('v1-create-allowed.json'));
  t.equal(v.status, 200);
  t.equal(v.review().response?.status?.message, 'sdb-tls-guard: internal error while reviewing the request: string thrown');
});
