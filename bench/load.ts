// A thin typed wrapper over autocannon (which ships no types) that records every
// response's latency itself, at the microsecond resolution of autocannon's hrtime
// measurement (autocannon's own histogram rounds to whole milliseconds).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  requests: { total: number; average: number };
}

interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
  on(event: 'done', fn: (r: AutocannonResult) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
}

type Autocannon = (opts: Record<string, unknown>, cb?: (err: Error | null, r: AutocannonResult) => void) => AutocannonInstance;

const autocannon = require('autocannon') as Autocannon;

export interface LoadOptions {
  url: string;
  body: string;
  connections: number;
  durationSec: number;
  /** Requests per second over all connections (fixed offered rate); absent: as fast as possible. */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  reqPerSec: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** milliseconds */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const codes: Record<string, number> = {};
    const started = process.hrtime.bigint();
    const inst = autocannon(
      {
        url: o.url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: o.body,
        connections: o.connections,
        pipelining: 1,
        duration: o.durationSec,
        timeout: 10,
        ...(o.overallRate !== undefined ? { overallRate: o.overallRate } : {}),
      },
      (err, r) => {
        if (err) {
          reject(err);
          return;
        }
        const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = Float64Array.from(times).sort();
        let sum = 0;
        for (const t of times) sum += t;
        resolve({
          requests: times.length,
          reqPerSec: times.length / Math.max(r.duration || elapsedSec, 1e-9),
          errors: r.errors,
          timeouts: r.timeouts,
          non2xx: r.non2xx,
          statusCodes: codes,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted.length ? (sorted[sorted.length - 1] ?? NaN) : NaN,
          mean: times.length ? sum / times.length : NaN,
        });
      },
    );
    inst.on('response', (_c, status, _b, ms) => {
      codes[String(status)] = (codes[String(status)] ?? 0) + 1;
      times.push(ms);
    });
  });
}
