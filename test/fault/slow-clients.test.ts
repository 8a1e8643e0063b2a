// Slow and oversized clients against the real HTTPS server (buildApp with TLS on
// 127.0.0.1): slow-loris headers, a slow body, an idle connection, oversized bodies
// (declared and chunked). Each must be cut off by a limit, answered 408/413, and must
// not keep the server from answering everyone else. The limits are shortened for the
// test (headers 1 s, request 2 s); the production values are checked separately.
import t from 'tap';
import { DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUTS, buildApp } from '../../src/server/app.js';
import { createMetrics } from '../../src/metrics.js';
import { wrapReview, workedObjects } from '../fuzz/arbitraries.js';
import { after, forever, post, rawClient, responseHead, startHttpsApp, trickle, type HttpsApp } from './support.js';

const HEADERS_MS = 1000;
const REQUEST_MS = 2000;
/** Far beyond limit + Node's connection-check interval: hitting it means no cut-off. */
const GUARD_MS = 15_000;

const addTls = workedObjects().find((o) => (o['metadata'] as { name: string }).name === 'sdbops-add-tls');
if (!addTls) throw new Error('test/fixtures/worked holds no sdbops-add-tls');
const REVIEW = JSON.stringify(wrapReview(addTls, { uid: 'fault-slow-1' }));

let srv: HttpsApp;
t.before(async () => {
  srv = await startHttpsApp({ timeouts: { headersTimeout: HEADERS_MS, requestTimeout: REQUEST_MS } });
});
t.teardown(() => srv.close());

const statusLine = (s: string): string => s.split('\r\n')[0] ?? '';

t.test('production limits', async (t) => {
  t.same(DEFAULT_TIMEOUTS, { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 95_000, connectionTimeout: 120_000 }, 'documented in docs/security.md');
  t.equal(DEFAULT_BODY_LIMIT, 3 * 1024 * 1024, '3 MiB, the API server limit');
  const app = buildApp({ metrics: createMetrics() });
  t.equal(app.server.headersTimeout, 10_000, 'headersTimeout applied to the server');
  t.equal(app.server.requestTimeout, 30_000, 'requestTimeout applied to the server');
  await app.close();
});

t.test('slow-loris: headers trickled forever are cut off with 408', async (t) => {
  const c = await rawClient(srv.port, srv.ca);
  c.socket.write('POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
  trickle(c, forever((i) => `X-Slow-${i}: ${'a'.repeat(8)}\r\n`), 100);
  const elapsed = await Promise.race([c.closed, after(GUARD_MS, -1)]);
  t.not(elapsed, -1, 'the server closed the connection');
  t.ok(elapsed >= HEADERS_MS - 50, `not before the headers timeout (${elapsed} ms)`);
  t.equal(statusLine(c.received()), 'HTTP/1.1 408 Request Timeout');
});

t.test('slow body: a body trickled forever is cut off with 408', async (t) => {
  const c = await rawClient(srv.port, srv.ca);
  c.socket.write(`POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${REVIEW.length}\r\n\r\n`);
  trickle(c, REVIEW.match(/.{1,4}/gs) ?? [], 100);
  const elapsed = await Promise.race([c.closed, after(GUARD_MS, -1)]);
  t.not(elapsed, -1, 'the server closed the connection');
  t.ok(elapsed >= REQUEST_MS - 50, `not before the request timeout (${elapsed} ms)`);
  t.equal(statusLine(c.received()), 'HTTP/1.1 408 Request Timeout');
});

t.test('an idle connection that never sends a byte is closed', async (t) => {
  const c = await rawClient(srv.port, srv.ca);
  const elapsed = await Promise.race([c.closed, after(GUARD_MS, -1)]);
  t.not(elapsed, -1, 'the server closed the connection');
});

t.test('a declared oversized body gets 413 without being read', async (t) => {
  const c = await rawClient(srv.port, srv.ca);
  c.socket.write(`POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${DEFAULT_BODY_LIMIT + 1}\r\n\r\n{"a":`);
  const got = await responseHead(c, GUARD_MS);
  t.equal(statusLine(got), 'HTTP/1.1 413 Payload Too Large');
  t.match(got, /larger than the limit of 3145728 bytes/);
  c.socket.destroy();
});

t.test('a chunked body growing past the limit gets 413', async (t) => {
  const c = await rawClient(srv.port, srv.ca);
  c.socket.write('POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = 'x'.repeat(64 * 1024);
  let sent = 0;
  while (sent <= DEFAULT_BODY_LIMIT + chunk.length && !c.socket.destroyed && !c.received().includes('\r\n\r\n')) {
    const ok = c.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    sent += chunk.length;
    if (!ok) await Promise.race([new Promise((r) => c.socket.once('drain', r)), after(2000, undefined)]);
  }
  const got = await responseHead(c, GUARD_MS, true);
  t.equal(statusLine(got), 'HTTP/1.1 413 Payload Too Large', `after ${sent} bytes sent`);
  c.socket.destroy();
});

t.test('while 30 slow-loris connections hang, normal requests are answered', async (t) => {
  const slow = await Promise.all(Array.from({ length: 30 }, () => rawClient(srv.port, srv.ca)));
  for (const c of slow) {
    c.socket.write('POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    trickle(c, forever((i) => `X-${i}: y\r\n`), 200);
  }
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(srv.port, '/validate', REVIEW, { ca: srv.ca })));
  t.same(answers.map((a) => a.status), Array(20).fill(200), 'every normal request answered 200');
  t.ok(answers.every((a) => (JSON.parse(a.body) as { response: { uid: string } }).response.uid === 'fault-slow-1'), 'uid echoed');
  const closed = await Promise.race([Promise.all(slow.map((c) => c.closed)), after(GUARD_MS, null)]);
  t.not(closed, null, 'every slow-loris connection was cut off');
});
