// Bodies that are not AdmissionReviews: 400/413/415 with a JSON {message}, never a 5xx.
import t from 'tap';
import { admissionFixture, makeApp, post } from './helpers.js';

const CASES: { name: string; url?: string; payload: string; contentType?: string; status: number; message: string }[] = [
  { name: 'not JSON', payload: '{"apiVersion": ', status: 400, message: 'request body is not valid JSON: ' },
  { name: 'JSON array', payload: '[1,2]', status: 400, message: 'body is not an AdmissionReview: expected a JSON object, got an array' },
  { name: 'JSON string', payload: '"AdmissionReview"', status: 400, message: 'body is not an AdmissionReview: expected a JSON object, got a string' },
  { name: 'JSON null', payload: 'null', status: 400, message: 'body is not an AdmissionReview: expected a JSON object, got null' },
  { name: 'empty body', payload: '', status: 400, message: 'request body is not valid JSON: ' },
  { name: 'no request', payload: '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', status: 400, message: 'AdmissionReview has no request' },
  {
    name: 'no uid',
    payload: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' }, operation: 'CREATE' } }),
    status: 400,
    message: 'AdmissionReview request.uid is missing or empty',
  },
  { name: 'wrong kind', payload: '{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"x"}}', status: 400, message: 'body is not an AdmissionReview: kind is "Pod"' },
  { name: 'text/plain', payload: 'hello', contentType: 'text/plain', status: 415, message: 'unsupported content type "text/plain": send application/json' },
  { name: 'application/yaml', payload: 'a: 1', contentType: 'application/yaml', status: 415, message: 'unsupported content type "application/yaml": send application/json' },
  { name: 'mutate text/plain', url: '/mutate', payload: 'hello', contentType: 'text/plain', status: 415, message: 'unsupported content type "text/plain": send application/json' },
  { name: 'mutate no request', url: '/mutate', payload: '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}', status: 400, message: 'AdmissionReview has no request' },
];

t.test('bad bodies are 4xx with a reason', async (t) => {
  const { app } = makeApp();
  for (const c of CASES) {
    const res = await post(app, c.url ?? '/validate', c.payload, c.contentType);
    t.equal(res.status, c.status, `${c.name}: status`);
    t.equal(res.body.startsWith('{'), true, `${c.name}: JSON body`);
    const body = res.json() as Record<string, unknown>;
    t.strictSame(Object.keys(body), ['message'], `${c.name}: only a message`);
    t.ok(String(body['message']).startsWith(c.message), `${c.name}: ${String(body['message'])}`);
  }
});

t.test('application/json with a charset is accepted', async (t) => {
  const { app } = makeApp();
  const res = await post(app, '/validate', admissionFixture('v1-delete.json'), 'application/json; charset=utf-8');
  t.equal(res.status, 200);
  t.equal(res.review().response?.uid, '0f1e2d3c-0006-4000-8000-000000000006');
});

t.test('no content type at all is 415', async (t) => {
  const { app } = makeApp();
  const res = await app.inject({ method: 'POST', url: '/validate', payload: Buffer.from('{}') , headers: { 'content-type': '' } });
  t.equal(res.statusCode, 415);
  t.strictSame(JSON.parse(res.body), { message: 'missing Content-Type: send application/json' });
});

t.test('oversized body is 413 (default limit 3 MiB, configurable)', async (t) => {
  const { app } = makeApp();
  const big = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'x', pad: 'x'.repeat(3 * 1024 * 1024) } });
  const res = await post(app, '/validate', big);
  t.equal(res.status, 413);
  t.strictSame(res.json(), { message: 'request body is larger than the limit of 3145728 bytes' });

  const small = makeApp({ bodyLimit: 1500 });
  const fixture = admissionFixture('v1-create-allowed.json');
  t.ok(fixture.length > 1500, 'fixture is above the small limit');
  const r2 = await post(small.app, '/mutate', fixture);
  t.equal(r2.status, 413);
  t.strictSame(r2.json(), { message: 'request body is larger than the limit of 1500 bytes' });
  const compact = JSON.stringify(JSON.parse(admissionFixture('v1-delete.json')));
  t.ok(compact.length < 1500, 'compact fixture is below the limit');
  const ok = await post(small.app, '/mutate', compact);
  t.equal(ok.status, 200, 'a body under the limit passes');
});

t.test('every decodable review gets 200 with its uid, even with odd embedded objects', async (t) => {
  const { app } = makeApp();
  const objects: [string, unknown][] = [
    ['object null on CREATE', null],
    ['object is a string', 'sdbops'],
    ['object is an array', [1, 2]],
    ['spec is a number', { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'x', namespace: 'demo' }, spec: 5 }],
    ['metadata is a string', { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: 'x', spec: {} }],
    ['__proto__ key', JSON.parse('{"kind":"SinglestoreOpsRequest","metadata":{"name":"p","namespace":"demo"},"spec":{"__proto__":{"type":"ReconfigureTLS"}}}')],
  ];
  let i = 0;
  for (const [name, object] of objects) {
    const uid = `odd-${i++}`;
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid, kind: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' }, operation: 'CREATE', namespace: 'demo', object },
    };
    for (const hook of ['/validate', '/mutate']) {
      const res = await post(app, hook, review);
      t.equal(res.status, 200, `${name} ${hook}: 200`);
      const r = res.review().response;
      t.equal(r?.uid, uid, `${name} ${hook}: uid echoed`);
      if (hook === '/mutate') t.equal(r?.allowed, true, `${name}: mutate never denies`);
    }
  }
});

t.test('unknown routes and methods are 404 with a JSON message', async (t) => {
  const { app } = makeApp();
  const res = await app.inject({ method: 'GET', url: '/validate' });
  t.equal(res.statusCode, 404);
  t.strictSame(JSON.parse(res.body), { message: 'no route for GET /validate' });
  const res2 = await app.inject({ method: 'POST', url: '/nope?x=1', payload: {} });
  t.strictSame(JSON.parse(res2.body), { message: 'no route for POST /nope' });
});

t.test('bad requests are counted by webhook and code', async (t) => {
  const { app } = makeApp();
  await post(app, '/validate', '[]');
  await post(app, '/validate', 'x', 'text/plain');
  await post(app, '/mutate', '{');
  const m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(m, /sdb_tls_guard_admission_bad_requests_total\{webhook="validate",code="400"\} 1/);
  t.match(m, /sdb_tls_guard_admission_bad_requests_total\{webhook="validate",code="415"\} 1/);
  t.match(m, /sdb_tls_guard_admission_bad_requests_total\{webhook="mutate",code="400"\} 1/);
});

t.test('slow clients are cut off: socket limits are set on the server', async (t) => {
  const { app } = makeApp();
  t.equal(app.server.headersTimeout, 10_000, 'headers within 10 s');
  t.equal(app.server.requestTimeout, 30_000, 'whole request within 30 s');
  t.equal(app.server.keepAliveTimeout, 95_000, 'keep-alive idle longer than Go clients');
  t.equal(app.server.timeout, 120_000, 'socket inactivity');
  const custom = makeApp({ timeouts: { headersTimeout: 2_000, requestTimeout: 5_000 } });
  t.equal(custom.app.server.headersTimeout, 2_000);
  t.equal(custom.app.server.requestTimeout, 5_000);
});
