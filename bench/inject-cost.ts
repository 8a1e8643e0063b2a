// Server CPU per request through fastify's inject() (no TLS, no sockets, one process):
// the cost of the application shell and the engine without the network stack, to
// compare one change at a time. Not part of `npm test` or `npm run bench`.
//
//   npx tsx bench/inject-cost.ts            (or node dist/bench/inject-cost.js)
//   INJECT_N=20000 INJECT_ROUNDS=3 INJECT_LOG_LEVEL=info
//
// Targets: bare (a constant AdmissionReview from a bare fastify route), validate and
// mutate (buildApp over the bench's 1,000/5,000/100 view, with a pino logger at
// INJECT_LOG_LEVEL writing to /dev/null through main's buffered destination, as the
// bench server does). Each target is run
// INJECT_ROUNDS times, interleaved, INJECT_N sequential requests a round; the best
// round's process CPU (user+system) µs per request is printed.
import { openSync } from 'node:fs';
import Fastify from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../src/server/app.js';
import { bufferedLogDestination } from '../src/server/log-destination.js';
import { createMetrics } from '../src/metrics.js';
import { addTlsObject, admissionReview, buildView, CONSTANT_RESPONSE } from './scenario.js';

const N = Number(process.env['INJECT_N'] ?? 20_000);
const ROUNDS = Number(process.env['INJECT_ROUNDS'] ?? 3);
const LEVEL = process.env['INJECT_LOG_LEVEL'] ?? 'info';

interface Injectable {
  inject(o: { method: 'POST'; url: string; payload: string; headers: Record<string, string> }): Promise<{ statusCode: number; body: string }>;
}

const HEADERS = { 'content-type': 'application/json' };

/** CPU µs per request of `n` sequential requests. */
async function round(app: Injectable, url: string, body: string, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await app.inject({ method: 'POST', url, payload: body, headers: HEADERS });
  const c1 = process.cpuUsage(c0);
  return (c1.user + c1.system) / n;
}

async function check(app: Injectable, url: string, body: string): Promise<void> {
  const first = await app.inject({ method: 'POST', url, payload: body, headers: HEADERS });
  if (first.statusCode !== 200) throw new Error(`${url}: HTTP ${first.statusCode}: ${first.body}`);
}

async function main(): Promise<void> {
  const body = JSON.stringify(admissionReview(addTlsObject()));
  const bare = Fastify({ logger: false });
  bare.post('/admit', () => Promise.resolve(CONSTANT_RESPONSE));
  const { view } = buildView();
  const logger = pino({ level: LEVEL, base: { app: 'sdb-tls-guard' } }, bufferedLogDestination(openSync('/dev/null', 'w')));
  const app = buildApp({ metrics: createMetrics(), logger, view });
  await bare.ready();
  await app.ready();

  const targets: [string, Injectable, string][] = [
    ['bare', bare, '/admit'],
    ['validate', app, '/validate'],
    ['mutate', app, '/mutate'],
  ];
  const out: Record<string, number> = {};
  for (const [name, a, url] of targets) {
    await check(a, url, body);
    await round(a, url, body, 2000);
    out[name] = Infinity;
  }
  // Rounds interleave the targets so a slow spell of the machine hits all three.
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, a, url] of targets) out[name] = Math.min(out[name] ?? Infinity, await round(a, url, body, N));
  }
  const b = out['bare'] ?? NaN;
  const v = out['validate'] ?? NaN;
  const m = out['mutate'] ?? NaN;
  const f = (n: number) => n.toFixed(1);
  process.stdout.write(
    `inject, best of ${ROUNDS} x ${N} requests, log level ${LEVEL}: CPU µs/request bare ${f(b)}, validate ${f(v)} (+${f(v - b)}), mutate ${f(m)} (+${f(m - b)})\n`,
  );
  await Promise.all([bare.close(), app.close()]);
}

main().catch((err: unknown) => {
  process.stderr.write(`inject-cost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
