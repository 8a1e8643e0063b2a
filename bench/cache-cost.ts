// What each informer cache costs (a child of bench/run.ts, run with --expose-gc). For
// each kind, alone: the V8 heap retained after the informer listed the kind from the
// list/watch stand-in (bench/list-watch-standin.ts, URL in BENCH_APISERVER) through
// client-node, garbage collected before and after. Once with the projections the
// process uses (src/kube/projection.ts) and once keeping whole objects (what the caches
// held before), so the table shows what the projection buys. First, before any cache:
// what this process (Node + client-node + the view's modules) holds with nothing cached,
// and a bare Node process for reference. Sends {type:'cost', rows, baseline}.
import { execFileSync } from 'node:child_process';
import { getHeapSpaceStatistics } from 'node:v8';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientNodeInformerFactory, InformerView, RECONCILER_RESOURCES, WATCHED_RESOURCES, type InformerLike, type ResourceKey } from '../src/kube/informer-view.js';
import { KEEP_ALL, PROJECTIONS } from '../src/kube/projection.js';
import { standinKubeConfig } from './list-watch-standin.js';

export interface CacheCostRow {
  kind: ResourceKey | 'all';
  objects: number;
  /** Retained heap, bytes, with the projections / with whole objects. */
  leanBytes: number;
  wholeBytes: number;
}

export interface Baseline {
  /** `node -e` with nothing loaded. */
  bareNodeRssBytes: number;
  /** This process with client-node and the view's modules loaded, nothing cached, after GC. */
  loadedRssBytes: number;
  loadedHeapUsedBytes: number;
  /** V8 heap spaces in use at that point (code, old, ...), bytes. */
  heapSpaces: Record<string, number>;
}

const gc = (globalThis as { gc?: () => void }).gc;

const idle: InformerLike = { on: () => undefined, start: () => Promise.resolve(), stop: () => Promise.resolve() };

function heap(): number {
  if (!gc) throw new Error('bench/cache-cost.ts needs node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Heap retained by the caches of `kinds` (others idle), and how many objects they hold. */
async function measure(kc: KubeConfig, kinds: readonly ResourceKey[], whole: boolean): Promise<{ bytes: number; objects: number }> {
  const real = clientNodeInformerFactory(kc);
  const before = heap();
  const view = new InformerView({ factory: (def, project) => (kinds.includes(def.key) ? real(def, project) : idle), reconciler: true, projections: whole ? KEEP_ALL : PROJECTIONS });
  view.start();
  await view.synced();
  const bytes = heap() - before;
  const objects = kinds.reduce((n, k) => n + view.list(k).length, 0);
  await view.stop();
  // Let the aborted watches close, so their informers (and objects) are collectable
  // before the next measurement takes its baseline.
  await new Promise((r) => setTimeout(r, 500));
  return { bytes, objects };
}

async function main(): Promise<void> {
  if (!gc) throw new Error('bench/cache-cost.ts needs node --expose-gc');
  const server = process.env['BENCH_APISERVER'];
  if (!server) throw new Error('BENCH_APISERVER (the list/watch stand-in URL) is not set');
  heap();
  const baseline: Baseline = {
    bareNodeRssBytes: Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'], { encoding: 'utf8' })),
    loadedRssBytes: process.memoryUsage().rss,
    loadedHeapUsedBytes: process.memoryUsage().heapUsed,
    heapSpaces: Object.fromEntries(getHeapSpaceStatistics().map((h) => [h.space_name, h.space_used_size])),
  };
  const kc = standinKubeConfig(server);
  const kinds = [...WATCHED_RESOURCES, ...RECONCILER_RESOURCES].map((d) => d.key);
  const rows: CacheCostRow[] = [];
  for (const kind of kinds) {
    const lean = await measure(kc, [kind], false);
    const whole = await measure(kc, [kind], true);
    rows.push({ kind, objects: lean.objects, leanBytes: lean.bytes, wholeBytes: whole.bytes });
  }
  const lean = await measure(kc, kinds, false);
  const whole = await measure(kc, kinds, true);
  rows.push({ kind: 'all', objects: lean.objects, leanBytes: lean.bytes, wholeBytes: whole.bytes });
  process.send?.({ type: 'cost', rows, baseline });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench cache-cost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
