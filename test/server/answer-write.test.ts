// The admission answers are written on the raw response past Fastify's send pipeline
// (writeAnswer in src/server/app.ts: measured to cut 0.15-0.25 ms of a cold call from the
// API server, BENCHMARKS.md "Webhook cost through a real API server"). Pinned here so the
// fast path cannot be lost silently: no onSend hook runs for /validate and /mutate (it
// does for every other route and for their error answers), and what goes on the wire is
// what reply.send wrote: status 200, application/json; charset=utf-8, an exact
// content-length, keep-alive, the compiled serializer's body; the debug
// 'request completed' line still comes out.
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import t from 'tap';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { ANSWER_CONTENT_TYPE } from '../../src/server/admission-route.js';
import { buildApp } from '../../src/server/app.js';
import { createMetrics } from '../../src/metrics.js';
import { generateSelfSigned } from '../../src/server/selfsigned.js';
import { httpsServerOptions } from '../../src/server/tls.js';
import type { AdmissionReview } from '../../src/admission/review.js';
import { admissionFixture, decodePatch, makeApp, post, sentReview, stateView } from './helpers.js';

function call(port: number, ca: string, agent: Agent, path: string, body: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('over HTTPS: 200, the same headers reply.send wrote, an exact content-length, one kept-alive connection', async (t) => {
  const m = await generateSelfSigned({ namespace: 'sdb-tls-guard' });
  const { app } = makeApp({ view: stateView('state.yaml'), https: httpsServerOptions({ cert: m.cert, key: m.key }, { minVersion: '1.2' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const review = sentReview('v1-create-allowed.json');
  delete review.request.object.spec.timeout;
  const v = await call(port, m.caCert, agent, '/validate?timeout=5s', admissionFixture('v1-create-allowed.json'));
  const mu = await call(port, m.caCert, agent, '/mutate?timeout=5s', JSON.stringify(review));
  for (const r of [v, mu]) {
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], ANSWER_CONTENT_TYPE);
    t.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body), 'content-length is the body in bytes');
    t.equal(r.headers.connection, 'keep-alive');
    t.match(r.headers['keep-alive'], /^timeout=\d+$/);
    t.equal(r.headers['transfer-encoding'], undefined, 'not chunked');
  }
  t.equal(mu.reused, true, 'the second call rode the first one’s connection');
  t.match(JSON.parse(v.body), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
  const mj = JSON.parse(mu.body) as AdmissionReview;
  t.match(mj.response, { allowed: true, patchType: 'JSONPatch', auditAnnotations: { defaulted: 'default-timeout' } });
  t.same(decodePatch(mj.response?.patch), [{ op: 'add', path: '/spec/timeout', value: '10m' }]);
});

t.test('no onSend hook runs for an admission answer; it does for other routes and for the admission routes’ error answers', async (t) => {
  const { app } = makeApp({ view: stateView('state.yaml') });
  const seen: string[] = [];
  app.addHook('onSend', async (request, _reply, payload) => {
    seen.push(request.url.split('?')[0] ?? '');
    return payload;
  });
  t.teardown(() => app.close());
  t.equal((await post(app, '/validate', admissionFixture('v1-create-allowed.json'))).status, 200);
  t.equal((await post(app, '/mutate', admissionFixture('v1-create-allowed.json'))).status, 200);
  t.same(seen, [], 'answers bypass the send pipeline (writeAnswer)');
  t.equal((await post(app, '/validate', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })).status, 400);
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.same(seen, ['/validate', '/healthz']);
});

t.test('the debug request lines still come out around a raw-written answer', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const app = buildApp({ metrics: createMetrics(), logger: pino({ level: 'debug' }, sink), view: stateView('state.yaml') });
  t.teardown(() => app.close());
  await post(app, '/mutate', admissionFixture('v1-create-allowed.json'));
  t.match(
    lines.filter((l) => l['msg'] === 'request completed'),
    [{ level: 20, reqId: 'req-1', statusCode: 200 }],
  );
});
