// `npm run bench`: the admission benchmark, the cache memory and the reconciler scale
// figure, in one run.
//
// The servers run in a child process (bench/server.ts) so autocannon, here in the
// parent, does not steal their event loop. All three targets share one TLS
// configuration (the production httpsServerOptions: TLS 1.2+, modern AEAD suites, an
// ECDSA P-256 certificate) and one process:
//   (a) bare Fastify HTTPS route answering a constant AdmissionReview
//   (b) POST /validate and (c) POST /mutate of buildApp with the docs' add-TLS request
//       against the production informer caches (InformerView, reconciler kinds
//       included) holding 10,000 objects (test/support/wire-objects.ts wireCluster: 600
//       databases with their Certificates, PetSets and pods, ops requests, issuers),
//       listed through client-node from a list/watch stand-in in this process
//       (bench/list-watch-standin.ts).
// Cache memory: the peak RSS of the production process (the Dockerfile's ENTRYPOINT, the
// bundle, with the reconciler on, over the same stand-in and under admission load;
// bench/production-process.ts) against the target (<= 100 MiB), the same program from
// dist/src for comparison, and each cache's retained heap, projected and whole
// (bench/cache-cost.ts).
// Two regimes; in each, a, b and c are measured back to back, in BENCH_ROUNDS rounds
// (a b c, a b c, ...) so a slow spell of the shared machine hits all three alike; each
// target's figure is the median of its rounds, and the ratios are taken from those:
//   saturation — 50 connections, as fast as it goes: targets b/a and c/a throughput
//                >= 0.85 and p99 ratio <= 1.2 (queueing sets latency there);
//   fixed rate — 1,000 req/s offered over 10 connections: target p99 < 5 ms.
// Environment: BENCH_DURATION (seconds per measurement, default 5), BENCH_ROUNDS
// (default 3), BENCH_WARMUP (seconds, default 3), BENCH_SERVER_ARGS (extra node flags for
// the server child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_SKIP_SCALE=1,
// BENCH_ONLY=reconciler (the reconciler section alone),
// BENCH_REFERENCES=0 (no references d and e). Read by the server child (bench/server.ts):
// BENCH_APP_LOG_LEVEL (default info; warn measures without the decision line) and
// BENCH_APP_LOG_WRITE=line (one write(2) per log line instead of main's buffer).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadResult } from './load.js';
import { addTlsObject, admissionReview } from './scenario.js';
import { wireCluster } from '../test/support/wire-objects.js';
import { startListWatchStandin } from './list-watch-standin.js';
import type { Baseline, CacheCostRow } from './cache-cost.js';
import type { QueueScale, ScaleResult } from './reconcile-scale.js';
import { dockerfileRuntime, localCommand, measureProductionProcess, type ProductionRun } from './production-process.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DURATION = Number(process.env['BENCH_DURATION'] ?? 5);
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const REFERENCES = process.env['BENCH_REFERENCES'] !== '0';
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);

export const TARGETS = { saturationThroughputRatio: 0.85, saturationP99Ratio: 1.2, fixedRateP99Ms: 5, cachedObjects: 10_000, peakRssMiB: 100 } as const;

interface Ready {
  type: 'ready';
  barePort: number;
  appPort: number;
  noopPort: number;
  spinPort: number;
  caCert: string;
  view: Record<string, number>;
  syncMs: number;
  afterSync: { rssBytes: number; heapUsedBytes: number; maxRSSKiB: number };
  pid: number;
}

interface Machine {
  nproc: string;
  cpu: string;
  memory: string;
  node: string;
  platform: string;
}

function machine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) model = m[1].trim();
  } catch {
    // not Linux
  }
  return {
    nproc: String(cpus().length),
    cpu: model,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type?: string } | null | undefined) => {
      if (m?.type === type) {
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(m as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${String(code)}) before sending ${type}`));
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** The part of an AdmissionReview answer the check reads. */
interface AdmissionAnswer {
  response?: { allowed?: boolean; patch?: string; warnings?: string[] };
}

function post(port: number, path: string, body: string, ca: string): Promise<{ status: number; json: AdmissionAnswer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method: 'POST', ca, servername: 'localhost', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionAnswer }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');

type Measured = LoadResult & { cpuMicrosPerRequest: number };

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** One target over its rounds: medians of req/s and latency percentiles, totals of counts, CPU over all requests. */
function combine(rounds: { res: LoadResult; cpuMicros: number }[]): Measured {
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((acc, r) => acc + f(r.res), 0);
  const requests = sum((r) => r.requests);
  const codes: Record<string, number> = {};
  for (const r of rounds) for (const [k, n] of Object.entries(r.res.statusCodes)) codes[k] = (codes[k] ?? 0) + n;
  return {
    requests,
    reqPerSec: median(rounds.map((r) => r.res.reqPerSec)),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    statusCodes: codes,
    p50: median(rounds.map((r) => r.res.p50)),
    p90: median(rounds.map((r) => r.res.p90)),
    p99: median(rounds.map((r) => r.res.p99)),
    max: Math.max(...rounds.map((r) => r.res.max)),
    mean: median(rounds.map((r) => r.res.mean)),
    cpuMicrosPerRequest: rounds.reduce((acc, r) => acc + r.cpuMicros, 0) / Math.max(1, requests),
  };
}

function row(name: string, r: Measured): string {
  const bad = r.errors + r.timeouts + r.non2xx;
  return `| ${name} | ${Math.round(r.reqPerSec)} | ${f3(r.p50)} | ${f3(r.p99)} | ${f2(r.max)} | ${r.requests} | ${bad} | ${f1(r.cpuMicrosPerRequest)} |`;
}

const HEADER = '| target | req/s (median) | p50 ms (median) | p99 ms (median) | max ms | requests (all rounds) | failed | server CPU µs/request |\n|---|---:|---:|---:|---:|---:|---:|---:|';

type Out = (s?: string) => void;
interface Verdict { name: string; pass: boolean; detail: string }

/** Issue 17's target: API calls per request, excluding each eviction and one confirming read of it. */
export const CALLS_PER_REQUEST_TARGET = 30;

/** Calls per request that count against the target: all but pods.evict and, per eviction, one pods.get. */
function countedPerRequest(calls: Record<string, number>, requests: number): number {
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const evictions = calls['pods.evict'] ?? 0;
  return (total - evictions - Math.min(calls['pods.get'] ?? 0, evictions)) / requests;
}

async function reconcilerSection(out: Out, verdicts: Verdict[]): Promise<void> {
  const scale = async <T>(mode: 'queue' | 'passes'): Promise<T> => {
    const child = fork(join(HERE, 'reconcile-scale.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, BENCH_SCALE_N: '200', BENCH_SCALE_MODE: mode } });
    const msg = await nextMessage<{ result: T }>(child, 'scale');
    await once(child, 'exit');
    return msg.result;
  };
  const q = await scale<QueueScale>('queue');
  const s = await scale<ScaleResult>('passes');
  const lists = q.callsByOp['opsRequests.list'] ?? 0;
  out();
  out('## Reconciler scale: 200 add-TLS requests on 200 databases, in-memory ports');
  out();
  out('Each database: 2 aggregators + 1 leaf (3 pods restarted), server and client Certificates. API calls are calls on the ports (what the API server would receive); reads from the in-memory informer caches are not API calls.');
  out();
  out('| driver | Successful | Failed | wall time | API calls | API calls / request | peak RSS | heap used |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|');
  out(`| startReconciler (queue, watch, real timers; stand-ins every 20 ms; concurrency 4; one namespace) | ${q.successful} | ${q.failed} | ${f1(q.wallMs / 1000)} s | ${q.apiCalls} | ${f1(q.apiCallsPerRequest)} | ${f1(q.maxRSSKiB / 1024)} MiB | ${f1(q.heapUsedMiB)} MiB |`);
  out(`| Reconciler passes, fake clock (5 s per round, ${s.rounds} rounds; concurrency 4; 10 namespaces) | ${s.successful} | ${s.failed} | ${f1(s.wallMs / 1000)} s | ${s.apiCalls} | ${f1(s.apiCallsPerRequest)} | ${f1(s.maxRSSKiB / 1024)} MiB | ${f1(s.heapUsedMiB)} MiB |`);
  out();
  out('API calls per request, by verb:');
  out();
  out('| call | startReconciler | passes (fake clock) |');
  out('|---|---:|---:|');
  const ops = [...new Set([...Object.keys(q.callsByOp), ...Object.keys(s.callsByOp)])].sort((x, y) => (s.callsByOp[y] ?? 0) - (s.callsByOp[x] ?? 0) || x.localeCompare(y));
  for (const op of ops) out(`| ${op} | ${f1((q.callsByOp[op] ?? 0) / q.databases)} | ${f1((s.callsByOp[op] ?? 0) / s.requests)} |`);
  const cq = countedPerRequest(q.callsByOp, q.databases);
  const cs = countedPerRequest(s.callsByOp, s.requests);
  out(`| **total excluding evictions and one confirming read each** | **${f1(cq)}** | **${f1(cs)}** |`);
  out();
  out(`namespace-wide opsRequests.list calls: ${lists} (${f1(lists / q.databases)} per request), each returning every request of the namespace`);
  out(`fake-clock run: ${s.evictions} evictions, ${s.pausedAtEnd} databases left paused`);
  verdicts.push({ name: 'reconciler scale (startReconciler): every request Successful', pass: q.successful === q.databases, detail: `${q.successful}/${q.databases}` });
  verdicts.push({ name: 'reconciler scale (passes): every request Successful, no database left paused', pass: s.successful === s.requests && s.pausedAtEnd === 0, detail: `${s.successful}/${s.requests}, ${s.pausedAtEnd} paused` });
  for (const [name, c] of [['startReconciler', cq], ['passes', cs]] as const) {
    verdicts.push({ name: `reconciler API calls per request (${name}) <= ${CALLS_PER_REQUEST_TARGET}, excluding evictions and one confirming read each`, pass: c <= CALLS_PER_REQUEST_TARGET, detail: f1(c) });
  }
  const polled = ['databases.get', 'petSets.get', 'pods.get', 'certificates.get', 'issuers.get', 'clusterIssuers.get'].map((op) => (q.callsByOp[op] ?? 0) + (s.callsByOp[op] ?? 0)).reduce((a, b) => a + b, 0);
  verdicts.push({ name: 'reconciler: zero GETs of objects the informers hold (databases, PetSets, pods, Certificates, Issuers, ClusterIssuers)', pass: polled === 0, detail: `${polled}` });
}

function targets(out: Out, verdicts: Verdict[]): void {
  out();
  out('## Targets');
  out();
  for (const x of verdicts) out(`- ${x.pass ? 'PASS' : 'FAIL'} ${x.name}: ${x.detail}`);
  const allPass = verdicts.every((x) => x.pass);
  out();
  out(`${allPass ? 'ALL PASS' : 'SOME FAIL'} ${process.env['BENCH_ONLY'] === 'reconciler' ? '(reconciler only)' : '(informer caches over the bench cluster)'}`);
  process.exitCode = allPass ? 0 : 1;
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const out = (s = '') => {
    lines.push(s);
    process.stdout.write(`${s}\n`);
  };
  const m = machine();
  out(`# sdb-tls-guard benchmark — ${new Date().toISOString()}`);
  out();
  out(`machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory}, node ${m.node}, ${m.platform}`);
  out(`load average at start (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' / ')} — other processes on the machine compete with the server for its ${m.nproc} CPUs`);

  if (process.env['BENCH_ONLY'] === 'reconciler') {
    const verdicts: Verdict[] = [];
    await reconcilerSection(out, verdicts);
    targets(out, verdicts);
    return;
  }


  const standin = await startListWatchStandin(wireCluster());
  const apiEnv = { ...process.env, BENCH_APISERVER: standin.url };
  const extra = (process.env['BENCH_SERVER_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  const server = fork(join(HERE, 'server.js'), [], { execArgv: [...extra], env: apiEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await nextMessage<Ready>(server, 'ready');
  const cached = Object.values(ready.view).reduce((n, x) => n + x, 0);
  out(`server child pid ${ready.pid}; informer caches (${cached} objects, synced in ${Math.round(ready.syncMs)} ms): ${JSON.stringify(ready.view)}; TLS: min TLSv1.2, modern AEAD suites, ECDSA P-256 (production httpsServerOptions)`);

  const object = addTlsObject();
  const body = JSON.stringify(admissionReview(object));
  out(`request: test/fixtures/worked/add-tls.yaml as a v1 AdmissionReview CREATE, ${body.length} bytes`);

  // Check the answers before measuring them: validate allows, mutate patches.
  const v = await post(ready.appPort, '/validate', body, ready.caCert);
  const mu = await post(ready.appPort, '/mutate', body, ready.caCert);
  const a = await post(ready.barePort, '/admit', body, ready.caCert);
  const patch = mu.json.response?.patch ? (JSON.parse(Buffer.from(mu.json.response.patch, 'base64').toString('utf8')) as { path: string }[]) : [];
  const okV = v.status === 200 && v.json.response?.allowed === true;
  const okM = mu.status === 200 && patch.some((p) => p.path === '/spec/timeout');
  const okA = a.status === 200 && a.json.response?.allowed === true;
  out(`check: validate ${v.status} allowed=${String(v.json.response?.allowed)} warnings=${JSON.stringify(v.json.response?.warnings ?? [])}; mutate ${mu.status} patch=${JSON.stringify(patch)}; bare ${a.status}`);
  const d = await post(ready.noopPort, '/validate', body, ready.caCert);
  const e = await post(ready.spinPort, '/admit', body, ready.caCert);
  const okRefs = d.status === 200 && d.json.response?.allowed === true && e.status === 200 && e.json.response?.allowed === true;
  if (!okV || !okM || !okA || !okRefs) {
    server.kill('SIGTERM');
    throw new Error('the targets did not answer as expected; not measuring');
  }

  const urls = {
    a: `https://127.0.0.1:${ready.barePort}/admit`,
    b: `https://127.0.0.1:${ready.appPort}/validate`,
    c: `https://127.0.0.1:${ready.appPort}/mutate`,
    d: `https://127.0.0.1:${ready.noopPort}/validate`,
    e: `https://127.0.0.1:${ready.spinPort}/admit`,
  };

  if (WARMUP > 0) {
    for (const url of Object.values(urls)) await runLoad({ url, body, connections: 50, durationSec: WARMUP });
  }

  const regimes = [
    { id: 'saturation', title: `Saturation: 50 connections, as fast as it goes, ${ROUNDS} rounds of ${DURATION} s per target`, connections: 50 },
    { id: 'fixed', title: `Fixed offered rate: 1,000 req/s over 10 connections, ${ROUNDS} rounds of ${DURATION} s per target`, connections: 10, overallRate: 1000 },
  ] as const;
  const cpu = async (): Promise<number> => {
    server.send({ type: 'cpu' });
    return (await nextMessage<{ micros: number }>(server, 'cpu')).micros;
  };
  type Key = 'a' | 'b' | 'c' | 'd' | 'e';
  // d and e (see bench/server.ts) are references measured at saturation only.
  const keysOf = (id: string): Key[] => (id === 'saturation' && REFERENCES ? ['a', 'b', 'c', 'd', 'e'] : ['a', 'b', 'c']);
  /** Per regime: the combined results, and every round's measurement per target (the per-round ratios read it). */
  const measured: {
    rg: (typeof regimes)[number];
    r: Record<'a' | 'b' | 'c', Measured> & Partial<Record<'d' | 'e', Measured>>;
    raw: Record<Key, { res: LoadResult; cpuMicros: number }[]>;
  }[] = [];
  for (const rg of regimes) {
    const raw: Record<Key, { res: LoadResult; cpuMicros: number }[]> = { a: [], b: [], c: [], d: [], e: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const k of keysOf(rg.id)) {
        const c0 = await cpu();
        const res = await runLoad({ url: urls[k], body, connections: rg.connections, durationSec: DURATION, ...('overallRate' in rg ? { overallRate: rg.overallRate } : {}) });
        const c1 = await cpu();
        raw[k].push({ res, cpuMicros: c1 - c0 });
      }
    }
    measured.push({ rg, raw, r: { a: combine(raw.a), b: combine(raw.b), c: combine(raw.c), ...(raw.d.length ? { d: combine(raw.d), e: combine(raw.e) } : {}) } });
  }

  server.send({ type: 'rss' });
  const rss = await nextMessage<{ maxRSSKiB: number; rssNowBytes: number }>(server, 'rss');
  server.send({ type: 'stop' });
  await once(server, 'exit');

  const verdicts: { name: string; pass: boolean; detail: string }[] = [];
  for (const { rg, r, raw } of measured) {
    out();
    out(`## ${rg.title}`);
    out();
    out(HEADER);
    out(row('(a) bare Fastify HTTPS, constant AdmissionReview', r.a));
    out(row(`(b) /validate, add-TLS, ${cached} cached objects`, r.b));
    out(row(`(c) /mutate, add-TLS, ${cached} cached objects`, r.c));
    if (r.d && r.e) {
      out(row('reference (d): /validate of the real app with a no-op engine', r.d));
      out(row('reference (e): bare route + 10 µs busy work per request', r.e));
    }
    out();
    const tb = r.b.reqPerSec / r.a.reqPerSec;
    const tc = r.c.reqPerSec / r.a.reqPerSec;
    const pb = r.b.p99 / r.a.p99;
    const pc = r.c.p99 / r.a.p99;
    out(`ratios (of the medians): throughput b/a ${f3(tb)}, c/a ${f3(tc)}; p99 b/a ${f3(pb)}, c/a ${f3(pc)}; p50 b/a ${f3(r.b.p50 / r.a.p50)}, c/a ${f3(r.c.p50 / r.a.p50)}`);
    out(
      `per round (a req/s; throughput b/a, c/a; p99 b/a, c/a): ${raw.a
        .map(({ res: a }, i) => {
          // Each round measures a, b and c.
          const b = raw.b[i]?.res;
          const c = raw.c[i]?.res;
          if (!b || !c) throw new Error(`round ${i + 1} has no (b) or (c) measurement`);
          return `#${i + 1} ${Math.round(a.reqPerSec)}; ${f3(b.reqPerSec / a.reqPerSec)}, ${f3(c.reqPerSec / a.reqPerSec)}; ${f3(b.p99 / a.p99)}, ${f3(c.p99 / a.p99)}`;
        })
        .join(' | ')}`,
    );
    if (r.d && r.e) {
      out(
        `references: throughput d/a ${f3(r.d.reqPerSec / r.a.reqPerSec)}, e/a ${f3(r.e.reqPerSec / r.a.reqPerSec)}; server CPU per request d-a ${f1(r.d.cpuMicrosPerRequest - r.a.cpuMicrosPerRequest)} µs, e-a ${f1(r.e.cpuMicrosPerRequest - r.a.cpuMicrosPerRequest)} µs (for 10 µs of work)`,
      );
    }
    out(`server CPU per request: b/a ${f3(r.b.cpuMicrosPerRequest / r.a.cpuMicrosPerRequest)}, c/a ${f3(r.c.cpuMicrosPerRequest / r.a.cpuMicrosPerRequest)} (capacity ratio if the server had a core to itself: b ${f3(r.a.cpuMicrosPerRequest / r.b.cpuMicrosPerRequest)}, c ${f3(r.a.cpuMicrosPerRequest / r.c.cpuMicrosPerRequest)})`);
    const failed = (x: LoadResult) => x.errors + x.timeouts + x.non2xx;
    for (const k of ['a', 'b', 'c'] as const) {
      verdicts.push({ name: `${rg.id}: (${k}) no failed requests`, pass: failed(r[k]) === 0, detail: `${failed(r[k])} failed of ${r[k].requests}` });
    }
    if (rg.id === 'saturation') {
      verdicts.push({ name: `saturation: throughput b/a >= ${TARGETS.saturationThroughputRatio}`, pass: tb >= TARGETS.saturationThroughputRatio, detail: f3(tb) });
      verdicts.push({ name: `saturation: throughput c/a >= ${TARGETS.saturationThroughputRatio}`, pass: tc >= TARGETS.saturationThroughputRatio, detail: f3(tc) });
      verdicts.push({ name: `saturation: p99 b/a <= ${TARGETS.saturationP99Ratio}`, pass: pb <= TARGETS.saturationP99Ratio, detail: f3(pb) });
      verdicts.push({ name: `saturation: p99 c/a <= ${TARGETS.saturationP99Ratio}`, pass: pc <= TARGETS.saturationP99Ratio, detail: f3(pc) });
    } else {
      for (const k of ['b', 'c'] as const) {
        verdicts.push({ name: `fixed rate: (${k}) p99 < ${TARGETS.fixedRateP99Ms} ms`, pass: r[k].p99 < TARGETS.fixedRateP99Ms, detail: `${f3(r[k].p99)} ms` });
      }
      for (const k of ['a', 'b', 'c'] as const) {
        const achieved = r[k].reqPerSec;
        verdicts.push({ name: `fixed rate: (${k}) achieved the offered 1,000 req/s (within 5%)`, pass: achieved >= 950, detail: `${Math.round(achieved)} req/s` });
      }
    }
  }
  out();
  out(`server process peak RSS (process.resourceUsage().maxRSS): ${f1(rss.maxRSSKiB / 1024)} MiB (RSS at the end ${f1(rss.rssNowBytes / 2 ** 20)} MiB); load generator peak RSS ${f1(process.resourceUsage().maxRSS / 1024)} MiB`);

  out(`load average after the admission runs: ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);

  // ---- cache memory ----
  const costChild = fork(join(HERE, 'cache-cost.js'), [], { execArgv: ['--expose-gc'], env: apiEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const cost = await nextMessage<{ rows: CacheCostRow[]; baseline: Baseline }>(costChild, 'cost');
  await once(costChild, 'exit');
  // The production process: the Dockerfile's ENTRYPOINT (the bundle) and, to show what the
  // bundle saves, the same program from dist/src with its node_modules.
  const ROOT = join(HERE, '..', '..');
  const image = dockerfileRuntime(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const imageCommand = localCommand(image.entrypoint, ROOT);
  const { MALLOC_ARENA_MAX: _arenas, ...withoutArenas } = image.env;
  const prodRuns: { label: string; run: ProductionRun }[] = [];
  for (const [label, command, env] of [
    ["the image's command and environment (the bundle)", imageCommand, image.env],
    ['the bundle without MALLOC_ARENA_MAX (for comparison)', imageCommand, withoutArenas],
    ['dist/src/main.js and node_modules, without MALLOC_ARENA_MAX (what ran before; for comparison)', [process.execPath, join(ROOT, 'dist', 'src', 'main.js')], withoutArenas],
  ] as const) {
    prodRuns.push({ label, run: await measureProductionProcess({ command: [...command], env, standinUrl: standin.url, body, durationSec: DURATION }) });
  }
  const others = `${standin.others.length}${standin.others.length ? ` (${[...new Set(standin.others.map((o) => o.replace(/\/namespaces\/[^/]+\//, '/namespaces/*/')))].join(', ')})` : ''}`;
  await standin.close();
  const mib = (b: number) => b / 2 ** 20;
  const prod = prodRuns[0]?.run;
  if (!prod) throw new Error('no production run');
  const peakMiB = prod.end.hwmKiB / 1024;
  out();
  out(`## Cache memory: ${cached} cached objects (target: peak RSS <= ${TARGETS.peakRssMiB} MiB with ${TARGETS.cachedObjects.toLocaleString('en')})`);
  out();
  out(`The service as the image runs it: \`${Object.entries(prod.env).map(([k, v]) => `${k}=${v} `).join('')}${prod.command.map((a) => a.replace(ROOT + '/', '')).join(' ')}\` (reconciler on, against the stand-in with Leases), then ${DURATION} s of saturation load on /validate and ${DURATION} s on /mutate. Peak RSS = VmHWM of that process at the end.`);
  out();
  out('| process | cached objects | leader | ready (all caches synced) | RSS after sync | peak RSS (VmHWM) | RSS at the end | /validate req/s | /mutate req/s |');
  out('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const { label, run } of prodRuns) {
    out(`| ${label} | ${run.cachedObjects} | ${run.leading ? 'yes' : 'no'} | ${f1(run.readyMs / 1000)} s | ${f1(run.afterSync.rssKiB / 1024)} MiB | **${f1(run.end.hwmKiB / 1024)} MiB** | ${f1(run.end.rssKiB / 1024)} MiB | ${Math.round(run.load.validate.reqPerSec)} | ${Math.round(run.load.mutate.reqPerSec)} |`);
  }
  out(`requests to the stand-in other than lists, watches and Leases (answered 404): ${others}`);
  out();
  out(`bench server child (holds the bench's four apps, for the admission figures above): RSS ${f1(mib(ready.afterSync.rssBytes))} MiB and heap used ${f1(mib(ready.afterSync.heapUsedBytes))} MiB once the caches synced (peak so far ${f1(ready.afterSync.maxRSSKiB / 1024)} MiB); peak RSS over the whole admission run ${f1(peakMiB)} MiB`);
  const b = cost.baseline;
  const spaces = Object.entries(b.heapSpaces).filter(([, v]) => v > 2 ** 20).map(([k, v]) => `${k} ${f1(mib(v))}`).join(', ');
  out(`with nothing cached: a bare Node process ${f1(mib(b.bareNodeRssBytes))} MiB RSS; a process with client-node and the view's modules loaded ${f1(mib(b.loadedRssBytes))} MiB RSS, ${f1(mib(b.loadedHeapUsedBytes))} MiB heap after GC (${spaces} MiB)`);
  out();
  out('Each cache alone, listed from the stand-in through client-node (paged, 100 a page, one page at a time); retained V8 heap after a full GC, with the projection (src/kube/projection.ts) and keeping whole objects:');
  out();
  out('| cache | objects | wire JSON / object | heap, projected | bytes / object | heap, whole objects | bytes / object | kept |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of cost.rows) {
    const w = c.kind === 'all' ? Object.values(standin.served).reduce((a, x) => ({ objects: a.objects + x.objects, bytes: a.bytes + x.bytes }), { objects: 0, bytes: 0 }) : standin.served[c.kind];
    const per = (b: number) => (c.objects ? Math.round(b / c.objects) : 0);
    out(`| ${c.kind === 'all' ? '**all seven**' : c.kind} | ${c.objects} | ${w.objects ? Math.round(w.bytes / w.objects) : 0} B | ${f2(mib(c.leanBytes))} MiB | ${per(c.leanBytes)} | ${f2(mib(c.wholeBytes))} MiB | ${per(c.wholeBytes)} | ${c.wholeBytes > 0 ? `${f1((100 * c.leanBytes) / c.wholeBytes)} %` : 'n/a'} |`);
  }
  verdicts.push({ name: `cache memory: ${TARGETS.cachedObjects.toLocaleString('en')} cached objects`, pass: prod.cachedObjects >= TARGETS.cachedObjects, detail: String(prod.cachedObjects) });
  verdicts.push({ name: 'cache memory: the production process leads (its reconciler runs)', pass: prod.leading, detail: prod.leading ? 'yes' : 'no' });
  verdicts.push({ name: `cache memory: production process peak RSS <= ${TARGETS.peakRssMiB} MiB`, pass: peakMiB <= TARGETS.peakRssMiB, detail: `${f1(peakMiB)} MiB` });

  if (process.env['BENCH_SKIP_SCALE'] !== '1') await reconcilerSection(out, verdicts);

  targets(out, verdicts);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
