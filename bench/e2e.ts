// `npm run bench:e2e`: the end-to-end cost of the webhooks through a real kube-apiserver
// (the e2e harness: scripts/build-control-plane.sh binaries, KubeDB's published CRDs,
// etcd with --unsafe-no-fsync, no controllers). Creates of a ReconfigureTLS ops request,
// one at a time from this process, timed around the HTTPS call, in three modes:
//   none       a namespace no webhook selects;
//   allow-all  a namespace selected by two allow-all Node HTTPS webhooks (bench/allow-all.ts,
//              a child process with Node's default server settings), registered from the
//              same webhook-config/ files under other names; its /mutate answers the same
//              JSON patch our /mutate writes for this request;
//   ours       a namespace selected by sdb-tls-guard's two webhooks (`serve --self-signed
//              --reconcile=false --log-level=info`, informer caches synced).
// All four webhooks are registered once, each selecting its namespace by name, so every
// create meets the same configurations; the modes are interleaved in ROUNDS rounds (the
// order rotating each round) so drift of a shared, noisy machine falls on all three.
// Besides the client-side times, the API server's own
// apiserver_admission_webhook_admission_duration_seconds (sum/count per webhook name,
// scraped from its /metrics before and after the measured rounds) gives each webhook's
// mean call time as the API server sees it.
// Each create targets its own database, so every one is admitted (no tls-op-in-flight).
// Environment: BENCH_E2E_N (creates per mode, default 500), BENCH_E2E_ROUNDS (default 10),
// BENCH_E2E_WARMUP (per mode, default 20); for a diagnosis, BENCH_E2E_NODE_OPTIONS is given
// to both webhook processes as NODE_OPTIONS (e.g. --tls-keylog=FILE for a capture, or
// --import=FILE of a module that starts node:inspector's Profiler and writes profiles
// every few seconds: Node refuses --cpu-prof in NODE_OPTIONS, and the processes are
// stopped before an exit handler could write one), and BENCH_E2E_KEEP=1 keeps the
// scratch directory (the processes' logs).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import {
  createWithStatus,
  newNamespace,
  opsPath,
  startControlPlane,
  startProcess,
  startWebhook,
  waitFor,
  webhookConfigFor,
  workedRequest,
  loadWorked,
  REPO_ROOT,
  type ApiClient,
  type ControlPlane,
  type Obj,
} from '../test/e2e/harness/index.js';
import { percentile } from './load.js';

const N = Number(process.env['BENCH_E2E_N'] ?? 500);
const ROUNDS = Number(process.env['BENCH_E2E_ROUNDS'] ?? 10);
const WARMUP = Number(process.env['BENCH_E2E_WARMUP'] ?? 20);
const ADMISSION = '/apis/admissionregistration.k8s.io/v1';
const NODE_OPTIONS = process.env['BENCH_E2E_NODE_OPTIONS'];
const hookEnv: Record<string, string> = NODE_OPTIONS ? { NODE_OPTIONS } : {};
const DURATION = 'apiserver_admission_webhook_admission_duration_seconds';

type Mode = 'none' | 'allow-all' | 'ours';
const MODES: Mode[] = ['none', 'allow-all', 'ours'];

async function seedDatabases(cp: ControlPlane, ns: string, n: number): Promise<void> {
  const docs = loadWorked('state.yaml');
  const db = docs.find((d) => d.kind === 'Singlestore');
  if (!db) throw new Error('the worked state.yaml has no Singlestore');
  for (const d of docs.filter((x) => x.kind === 'Issuer')) await createWithStatus(cp.api, { ...structuredClone(d), metadata: { ...d.metadata, namespace: ns } });
  const batch = 20;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) => createWithStatus(cp.api, { ...structuredClone(db), metadata: { name: `sdb-${i + j}`, namespace: ns } })),
    );
  }
}

async function creates(cp: ControlPlane, ns: string, from: number, n: number, into: number[], failed: string[]): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const req = workedRequest('add-tls.yaml', ns, { name: `sdbops-${i}`, database: `sdb-${i}` });
    const t0 = process.hrtime.bigint();
    const r = await cp.api.post(opsPath(ns), req);
    into.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 201) failed.push(`${ns}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  }
}

/** POST of JSON over HTTPS trusting `ca`. */
function postJson(url: string, ca: string, body: unknown): Promise<unknown> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

/** The patch our /mutate writes for the benchmark's request: asked of our server with the
 *  object the API server would send (the CRD's defaults applied, from a dry-run create). */
async function ourPatch(cp: ControlPlane, ns: string, wh: { url: string; caPem: string }): Promise<string> {
  const dry = await cp.api.must<Obj>(cp.api.post(opsPath(ns), workedRequest('add-tls.yaml', ns, { name: 'sdbops-dry', database: 'sdb-0' }), { dryRun: 'All' }), 'dry-run create');
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' },
      resource: { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' },
      requestKind: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' },
      requestResource: { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' },
      name: 'sdbops-dry',
      namespace: ns,
      operation: 'CREATE',
      userInfo: { username: 'bench' },
      object: dry,
      oldObject: null,
      dryRun: true,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
  const answer = (await postJson(`${wh.url}/mutate`, wh.caPem, review)) as { response?: { patch?: string } };
  const patch = answer.response?.patch;
  if (!patch) throw new Error(`our /mutate wrote no patch for the benchmark's request: ${JSON.stringify(answer)}`);
  return patch;
}

/** Both configurations of webhook-config/, pointed at `url`, renamed with `suffix`, each
 *  webhook selecting only namespace `ns`. */
async function register(api: ApiClient, url: string, caPem: string, ns: string, rename?: (name: string) => string): Promise<void> {
  for (const [file, plural] of [
    ['mutating.yaml', 'mutatingwebhookconfigurations'],
    ['validating.yaml', 'validatingwebhookconfigurations'],
  ] as const) {
    const cfg = webhookConfigFor(file, url, caPem);
    if (rename) cfg.metadata = { ...cfg.metadata, name: rename(cfg.metadata.name) };
    for (const w of cfg.webhooks) {
      if (rename) w.name = rename(w.name);
      w['namespaceSelector'] = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] }] };
    }
    await api.must(api.post(`${ADMISSION}/${plural}`, cfg), `creating ${plural}/${cfg.metadata.name}`);
  }
}

/**
 * CPU time (user + system, ms) of every process in process group `pgid` (the harness
 * runs each webhook in its own group), from /proc; undefined where there is no /proc.
 * Under a loaded machine a call waits for a CPU about in proportion to the CPU it needs,
 * so this is the figure the two webhook processes are compared on besides the latency.
 */
function groupCpuMs(pgid: number): number | undefined {
  let ticks = 0;
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
    }
  } catch {
    return undefined;
  }
  return ticks * (1000 / CLOCK_TICKS);
}
/** USER_HZ: Linux reports process times in 1/100 s on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** sum and count of the API server's admission duration per webhook name. */
async function webhookDurations(api: ApiClient): Promise<Map<string, { sum: number; count: number }>> {
  const r = await api.get<string>('/metrics');
  const text = typeof r.body === 'string' ? r.body : '';
  const out = new Map<string, { sum: number; count: number }>();
  const re = new RegExp(`^${DURATION}_(sum|count)\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) {
    const name = /(?:^|,)name="([^"]*)"/.exec(m[2] ?? '')?.[1];
    if (!name) continue;
    const e = out.get(name) ?? { sum: 0, count: 0 };
    e[m[1] as 'sum' | 'count'] += Number(m[3]);
    out.set(name, e);
  }
  return out;
}

async function main(): Promise<void> {
  const out = (s = ''): void => void process.stdout.write(`${s}\n`);
  out(`# sdb-tls-guard end-to-end webhook cost — ${new Date().toISOString()}`);
  out(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  // Admission only: no controllers, so their load does not blur the figures.
  const cp = await startControlPlane({ log: (l) => out(l), controllers: false, keepDir: process.env['BENCH_E2E_KEEP'] === '1' });
  let wh: Awaited<ReturnType<typeof startWebhook>> | undefined;
  let ref: ReturnType<typeof startProcess> | undefined;
  try {
    await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sdb-tls-guard' } }), 'namespace');
    const ns: Record<Mode, string> = { none: await newNamespace(cp.api, 'bench-none'), 'allow-all': await newNamespace(cp.api, 'bench-allow-all'), ours: await newNamespace(cp.api, 'bench-ours') };
    for (const m of MODES) await seedDatabases(cp, ns[m], N + WARMUP);
    wh = await startWebhook(cp, { reconcile: false, extraArgs: [`--log-level=${process.env['BENCH_E2E_LOG_LEVEL'] ?? 'info'}`], env: hookEnv });
    const patch = await ourPatch(cp, ns.ours, wh);
    ref = startProcess({
      name: 'allow-all',
      command: process.execPath,
      args: [join(REPO_ROOT, 'dist/bench/allow-all.js')],
      logFile: join(cp.dir, 'allow-all.log'),
      cwd: REPO_ROOT,
      env: { ...process.env, ...hookEnv, ALLOW_ALL_CA_OUT: join(cp.dir, 'allow-all-ca.crt'), ALLOW_ALL_PATCH: patch },
    });
    const refLog = join(cp.dir, 'allow-all.log');
    // A throw (no log yet) is retried: waitFor calls fn inside its try.
    const refPort = await waitFor('the allow-all webhook to listen', () => {
      const m = /allow-all listening (\d+)/.exec(readFileSync(refLog, 'utf8'));
      return Promise.resolve(m ? Number(m[1]) : undefined);
    }, 30_000, 100);
    out(`webhooks: ours at ${wh.url}, allow-all at https://127.0.0.1:${refPort}`);
    const refCa = readFileSync(join(cp.dir, 'allow-all-ca.crt'), 'utf8');
    await register(cp.api, wh.url, wh.caPem, ns.ours);
    await register(cp.api, `https://127.0.0.1:${refPort}`, refCa, ns['allow-all'], (n) => n.replace(/sdb-tls-guard/g, 'allow-all-bench'));
    // Registration takes effect once the API server's informer has it: wait until a
    // dry-run create in each webhooked namespace comes back patched.
    for (const m of ['allow-all', 'ours'] as const) {
      let last = '';
      await waitFor(`the ${m} webhooks to take effect`, async () => {
        const r = await cp.api.post<Obj>(opsPath(ns[m]), workedRequest('add-tls.yaml', ns[m], { name: 'sdbops-dry', database: 'sdb-0' }), { dryRun: 'All' });
        last = `${r.status} spec ${JSON.stringify(r.body.spec)} patch ${Buffer.from(patch, "base64").toString()}`;
        return r.status === 201 && (r.body.spec as { timeout?: string } | undefined)?.timeout === '10m' ? true : undefined;
      }, 30_000, 200).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; last answer: ${last}`);
      });
    }

    const ms: Record<Mode, number[]> = { none: [], 'allow-all': [], ours: [] };
    const failed: string[] = [];
    const scratch: number[] = [];
    for (const m of MODES) await creates(cp, ns[m], N, WARMUP, scratch, failed);
    const before = await webhookDurations(cp.api);
    const cpuBefore = { ours: groupCpuMs(wh.process.pid), 'allow-all': groupCpuMs(ref.pid) };
    const per = Math.ceil(N / ROUNDS);
    const roundRatios: string[] = [];
    for (let r = 0, done = 0; done < N; r++, done += per) {
      const n = Math.min(per, N - done);
      const round: Record<Mode, number[]> = { none: [], 'allow-all': [], ours: [] };
      // Each round starts one mode later: MODES rotated by r.
      const start = r % MODES.length;
      for (const m of [...MODES.slice(start), ...MODES.slice(0, start)]) {
        await creates(cp, ns[m], done, n, round[m], failed);
        ms[m].push(...round[m]);
      }
      const med = (a: number[]) => percentile(Float64Array.from(a).sort(), 50);
      roundRatios.push((med(round.ours) / med(round['allow-all'])).toFixed(2));
    }
    const after = await webhookDurations(cp.api);
    const cpuAfter = { ours: groupCpuMs(wh.process.pid), 'allow-all': groupCpuMs(ref.pid) };
    const stored = await cp.api.get<Obj>(opsPath(ns.ours, 'sdbops-0'));
    const storedRef = await cp.api.get<Obj>(opsPath(ns['allow-all'], 'sdbops-0'));
    const timeout = (o: Obj) => (o.spec as { timeout?: string } | undefined)?.timeout;

    out();
    out(`API server ${cp.version}, etcd ${cp.etcdVersion}; ${N} sequential creates per mode in ${Math.ceil(N / per)} interleaved rounds (after ${WARMUP} warm-up creates per mode)`);
    out(`our patch ${Buffer.from(patch, 'base64').toString('utf8')}; stored spec.timeout: ours ${String(timeout(stored.body))}, allow-all ${String(timeout(storedRef.body))}`);
    out();
    out('| creates | p50 ms | p90 ms | p99 ms | max ms |');
    out('|---|---:|---:|---:|---:|');
    const sorted = Object.fromEntries(MODES.map((m) => [m, Float64Array.from(ms[m]).sort()])) as Record<Mode, Float64Array>;
    for (const m of MODES) {
      const s = sorted[m];
      out(`| ${m} | ${percentile(s, 50).toFixed(2)} | ${percentile(s, 90).toFixed(2)} | ${percentile(s, 99).toFixed(2)} | ${(s[s.length - 1] ?? NaN).toFixed(2)} |`);
    }
    const p = (m: Mode, q: number) => percentile(sorted[m], q);
    const createRatio = p('ours', 50) / p('allow-all', 50);
    out();
    out(`creates p50: ours/allow-all ${createRatio.toFixed(3)} (target ≤ 1.05), allow-all/none ${(p('allow-all', 50) / p('none', 50)).toFixed(3)}, ours/none ${(p('ours', 50) / p('none', 50)).toFixed(3)}; p99 ours/allow-all ${(p('ours', 99) / p('allow-all', 99)).toFixed(3)}`);
    out(`per-round p50 ours/allow-all: ${roundRatios.join(' ')}`);
    out();
    out(`| API server ${DURATION} | calls | mean ms | ours/allow-all |`);
    out('|---|---:|---:|---:|');
    const mean = (name: string) => {
      const a = after.get(name) ?? { sum: 0, count: 0 };
      const b = before.get(name) ?? { sum: 0, count: 0 };
      const count = a.count - b.count;
      return { count, ms: count > 0 ? ((a.sum - b.sum) / count) * 1000 : NaN };
    };
    let worst = 0;
    for (const [hook, refHook] of [
      ['default.sdb-tls-guard.io', 'default.allow-all-bench.io'],
      ['validate.sdb-tls-guard.io', 'validate.allow-all-bench.io'],
    ] as const) {
      const o = mean(hook);
      const r = mean(refHook);
      worst = Math.max(worst, o.ms / r.ms);
      out(`| ${refHook} | ${r.count} | ${r.ms.toFixed(3)} | |`);
      out(`| ${hook} | ${o.count} | ${o.ms.toFixed(3)} | ${(o.ms / r.ms).toFixed(3)} (target ≤ 1.15) |`);
    }
    const cpuPerCreate = (m: 'ours' | 'allow-all') => {
      const b = cpuBefore[m];
      const a = cpuAfter[m];
      return a !== undefined && b !== undefined ? (a - b) / N : NaN;
    };
    out();
    out(
      `webhook process CPU over the measured rounds, per create of its mode (two calls, plus whatever the process did meanwhile): ours ${cpuPerCreate('ours').toFixed(3)} ms, allow-all ${cpuPerCreate('allow-all').toFixed(3)} ms (ratio ${(cpuPerCreate('ours') / cpuPerCreate('allow-all')).toFixed(2)})`,
    );
    out();
    out(`targets: creates p50 ${createRatio <= 1.05 ? 'met' : 'NOT met'} (${createRatio.toFixed(3)}), webhook mean ${worst <= 1.15 ? 'met' : 'NOT met'} (worst ${worst.toFixed(3)})`);
    for (const f of failed.slice(0, 5)) out(`failed: ${f}`);
    if (failed.length) out(`${failed.length} creates failed`);
    if (timeout(stored.body) !== '10m' || timeout(storedRef.body) !== '10m' || failed.length > 0) process.exitCode = 1;
  } finally {
    await ref?.stop();
    await wh?.stop();
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:e2e: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
