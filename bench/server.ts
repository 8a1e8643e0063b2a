// The benchmark's server process (a child of bench/run.ts, so the load generator does
// not share its event loop). It listens on 127.0.0.1 with one TLS configuration for all
// three targets:
//   bare     — a bare Fastify HTTPS app with one POST route answering a constant
//              AdmissionReview (the ceiling of the stack: TLS + HTTP + JSON in and out);
//   app      — the real application (buildApp) with the production logger (one JSON
//              line per decision, through main's buffered destination to /dev/null)
//              and main's scheduler (batchedScheduler, src/server/scheduler.ts)
//              over the production informer caches (InformerView with the reconciler's
//              kinds: 10,000 objects, listed through client-node from the list/watch
//              stand-in in the parent, bench/list-watch-standin.ts, URL in BENCH_APISERVER).
// It tells the parent the ports over IPC and answers {type:'rss'} with its peak RSS.
import { openSync } from 'node:fs';
import Fastify from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../src/server/app.js';
import type { AdmissionEngine } from '../src/server/decisions.js';
import { createMetrics } from '../src/metrics.js';
import { generateSelfSigned } from '../src/server/selfsigned.js';
import { bufferedLogDestination } from '../src/server/log-destination.js';
import { batchedScheduler } from '../src/server/scheduler.js';
import { httpsServerOptions } from '../src/server/tls.js';
import { InformerView } from '../src/kube/informer-view.js';
import { CONSTANT_RESPONSE } from './scenario.js';
import { standinKubeConfig } from './list-watch-standin.js';

function send(msg: unknown): void {
  if (process.send) process.send(msg);
}

async function main(): Promise<void> {
  const tls = await generateSelfSigned({ namespace: 'bench' });
  const https = httpsServerOptions({ cert: tls.cert, key: tls.key }, { minVersion: '1.2' });

  const bare = Fastify({ https, logger: false });
  bare.post('/admit', () => Promise.resolve(CONSTANT_RESPONSE));

  const server = process.env['BENCH_APISERVER'];
  if (!server) throw new Error('BENCH_APISERVER (the list/watch stand-in URL) is not set');
  const kc = standinKubeConfig(server);
  // As main builds it with --reconcile (the default): the seven caches, projected.
  const view = InformerView.fromKubeConfig(kc, { reconciler: true });
  const syncStart = performance.now();
  view.start();
  await view.synced();
  const syncMs = performance.now() - syncStart;
  const counts = Object.fromEntries(view.cacheStats().map((c) => [c.resource, c.objects]));
  const afterSync = { rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed, maxRSSKiB: process.resourceUsage().maxRSS };
  // BENCH_APP_LOG_LEVEL (default info, as in production) exists to measure the log's cost.
  // The destination is main's: lines buffered and written synchronously every 4 KiB or
  // 100 ms (src/server/log-destination.ts), here to /dev/null. BENCH_APP_LOG_WRITE=line
  // measures one synchronous write per line instead (what main did before).
  const devNull = openSync('/dev/null', 'w');
  const logger = pino(
    { level: process.env['BENCH_APP_LOG_LEVEL'] ?? 'info', base: { app: 'sdb-tls-guard' } },
    process.env['BENCH_APP_LOG_WRITE'] === 'line' ? pino.destination({ dest: devNull, sync: true }) : bufferedLogDestination(devNull),
  );
  const app = buildApp({ metrics: createMetrics(), logger, view, https, scheduler: batchedScheduler() });

  // Two reference targets that explain the saturation ratios (not targets themselves):
  //   noop-engine — the real app, logger, metrics and all, with an engine that allows
  //                 everything at no cost: what the application shell alone costs;
  //   bare+10µs   — the bare route plus 10 µs of busy work per request: what 10 µs of
  //                 handler work costs at saturation on this machine.
  const noopEngine: AdmissionEngine = {
    decide: (input) => ({ patch: [], defaulted: input.object, result: { errors: [], warnings: [], notEvaluated: [] } }),
  };
  const noop = buildApp({ metrics: createMetrics(), logger, view, https, engine: noopEngine, scheduler: batchedScheduler() });
  const spin = Fastify({ https, logger: false });
  spin.post('/admit', () => {
    const until = performance.now() + 0.01;
    while (performance.now() < until) {
      // busy for 10 µs
    }
    return Promise.resolve(CONSTANT_RESPONSE);
  });

  const barePort = await listen(bare);
  const appPort = await listen(app);
  const noopPort = await listen(noop);
  const spinPort = await listen(spin);
  send({ type: 'ready', barePort, appPort, noopPort, spinPort, caCert: tls.caCert, view: counts, syncMs, afterSync, pid: process.pid });

  process.on('message', (m: { type?: string } | null | undefined) => {
    if (m?.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', micros: u.user + u.system });
    }
    if (m?.type === 'rss') send({ type: 'rss', maxRSSKiB: process.resourceUsage().maxRSS, rssNowBytes: process.memoryUsage().rss });
    if (m?.type === 'stop') {
      void Promise.all([bare.close(), app.close(), noop.close(), spin.close(), view.stop()]).then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}

async function listen(f: { listen(o: { port: number; host: string }): Promise<string>; server: { address(): unknown } }): Promise<number> {
  await f.listen({ port: 0, host: '127.0.0.1' });
  const a = f.server.address() as { port: number };
  return a.port;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
