// `npm run bench:e2e`: the end-to-end latency figure. 500 creates of a ReconfigureTLS
// ops request through a real kube-apiserver (the e2e harness: scripts/build-control-plane.sh
// binaries, etcd with --unsafe-no-fsync), first with no webhook registered, then with
// sdb-tls-guard's mutating and validating webhooks registered from webhook-config/
// (service: `serve --self-signed --reconcile=false`, informer caches synced). One create
// at a time, from this process, timed around the HTTPS call. Each create targets its own
// database (500 Singlestores), so every one is admitted (no tls-op-in-flight).
// Environment: BENCH_E2E_N (default 500), BENCH_E2E_WARMUP (default 20).
import { cpus, loadavg } from 'node:os';
import {
  createWithStatus,
  newNamespace,
  opsPath,
  registerWebhooks,
  startControlPlane,
  startWebhook,
  unregisterWebhooks,
  workedRequest,
  loadWorked,
  type ControlPlane,
  type Obj,
} from '../test/e2e/harness/index.js';
import { percentile } from './load.js';

const N = Number(process.env['BENCH_E2E_N'] ?? 500);
const WARMUP = Number(process.env['BENCH_E2E_WARMUP'] ?? 20);

async function seedDatabases(cp: ControlPlane, ns: string, n: number): Promise<void> {
  const docs = loadWorked('state.yaml');
  const db = docs.find((d) => d.kind === 'Singlestore')!;
  for (const d of docs.filter((x) => x.kind === 'Issuer')) await createWithStatus(cp.api, { ...structuredClone(d), metadata: { ...d.metadata, namespace: ns } });
  const batch = 20;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) => createWithStatus(cp.api, { ...structuredClone(db), metadata: { name: `sdb-${i + j}`, namespace: ns } } as Obj)),
    );
  }
}

async function creates(cp: ControlPlane, ns: string, n: number, offset: number): Promise<{ ms: Float64Array; failed: string[] }> {
  const ms = new Float64Array(n);
  const failed: string[] = [];
  for (let i = 0; i < n; i++) {
    const req = workedRequest('add-tls.yaml', ns, { name: `sdbops-${offset + i}`, database: `sdb-${offset + i}` });
    const t0 = process.hrtime.bigint();
    const r = await cp.api.post(opsPath(ns), req);
    ms[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 201) failed.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  }
  return { ms: ms.sort(), failed };
}

async function main(): Promise<void> {
  const out = (s = ''): void => void process.stdout.write(`${s}\n`);
  out(`# sdb-tls-guard end-to-end latency — ${new Date().toISOString()}`);
  out(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  // Admission only: no controllers, so their load does not blur the figures.
  const cp = await startControlPlane({ log: (l) => out(l), controllers: false });
  try {
    await cp.api.must(cp.api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sdb-tls-guard' } }), 'namespace');
    const nsWithout = await newNamespace(cp.api, 'bench-without');
    const nsWith = await newNamespace(cp.api, 'bench-with');
    await seedDatabases(cp, nsWithout, N + WARMUP);
    await seedDatabases(cp, nsWith, N + WARMUP);
    const wh = await startWebhook(cp, { reconcile: false, extraArgs: ['--log-level=info'] });
    try {
      await creates(cp, nsWithout, WARMUP, N);
      const without = await creates(cp, nsWithout, N, 0);
      await registerWebhooks(cp.api, wh);
      await creates(cp, nsWith, WARMUP, N);
      const withHooks = await creates(cp, nsWith, N, 0);
      await unregisterWebhooks(cp.api);
      const stored = await cp.api.get<Obj>(opsPath(nsWith, 'sdbops-0'));
      const spec = (stored.body.spec ?? {}) as { apply?: string; timeout?: string };
      out();
      out(`API server ${cp.version}, etcd ${cp.etcdVersion}; ${N} sequential creates each (after ${WARMUP} warm-up creates)`);
      out(`with webhooks: the stored request has spec.timeout=${spec.timeout} (written by /mutate; the test CRD itself defaults spec.apply=${spec.apply})`);
      out();
      out('| | p50 ms | p90 ms | p99 ms | max ms | failed |');
      out('|---|---:|---:|---:|---:|---:|');
      const row = (name: string, r: { ms: Float64Array; failed: string[] }) =>
        out(`| ${name} | ${percentile(r.ms, 50).toFixed(2)} | ${percentile(r.ms, 90).toFixed(2)} | ${percentile(r.ms, 99).toFixed(2)} | ${(r.ms[r.ms.length - 1] ?? NaN).toFixed(2)} | ${r.failed.length} |`);
      row('without webhooks', without);
      row('with sdb-tls-guard webhooks (mutate + validate)', withHooks);
      out();
      out(`ratio with/without: p50 ${(percentile(withHooks.ms, 50) / percentile(without.ms, 50)).toFixed(2)}, p99 ${(percentile(withHooks.ms, 99) / percentile(without.ms, 99)).toFixed(2)}; added p50 ${(percentile(withHooks.ms, 50) - percentile(without.ms, 50)).toFixed(2)} ms`);
      for (const f of [...without.failed, ...withHooks.failed].slice(0, 5)) out(`failed: ${f}`);
      if (spec.timeout !== '10m' || without.failed.length + withHooks.failed.length > 0) process.exitCode = 1;
    } finally {
      await wh.stop();
    }
  } finally {
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:e2e: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
