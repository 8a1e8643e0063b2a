// `npm run fuzz`: the long fuzz campaign. Runs every property of ./properties.ts and
// ./engine-properties.ts in turn, each for its share of the time budget, and prints
// how many cases ran. Exit 0 when nothing failed, 1 on a counterexample (printed with
// its seed; replay with FC_SEED=<seed> npx tap test/fuzz/*.test.ts).
// Environment: FUZZ_SECONDS (total budget, default 300), FC_SEED.
import fc from 'fast-check';
import { admissionProperties, fuzzApp } from './properties.js';
import { engineProperties } from './engine-properties.js';

const budgetMs = Number(process.env['FUZZ_SECONDS'] ?? 300) * 1000;
const seed = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;

async function main(): Promise<number> {
  const apps = {
    tlsOff: fuzzApp({ view: 'tls-off' }),
    tlsOn: fuzzApp({ view: 'tls-on' }),
    busy: fuzzApp({ view: 'busy' }),
    noView: fuzzApp({ view: 'none' }),
    small: fuzzApp({ bodyLimit: 4096 }),
  };
  const props = [...admissionProperties(apps), ...engineProperties()];
  // Share the budget by each property's weight in `npm test`.
  const weight = props.reduce((s, p) => s + p.runs, 0);
  let total = 0;
  let failed = false;
  const started = Date.now();
  process.stdout.write(`fuzz campaign: ${props.length} properties, budget ${Math.round(budgetMs / 1000)} s${seed !== undefined ? `, seed ${seed}` : ''}\n`);
  for (const p of props) {
    const share = Math.max(1000, Math.floor((budgetMs * p.runs) / weight));
    const t0 = Date.now();
    const d = await fc.check(p.property, {
      numRuns: Number.MAX_SAFE_INTEGER,
      plugins: [fc.interruptAfterTimeLimit(share, { failOnInterrupt: false })],
      ...(seed !== undefined ? { seed } : {}),
    });
    total += d.numRuns;
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (d.failed) {
      failed = true;
      const err = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
      process.stdout.write(`FAIL ${p.name}: after ${d.numRuns} cases in ${secs} s (seed ${d.seed})\n  ${err}\n  ${fc.defaultReportMessage(d)}\n`);
    } else {
      process.stdout.write(`ok   ${p.name}: ${d.numRuns} cases in ${secs} s (seed ${d.seed})\n`);
    }
  }
  for (const a of Object.values(apps)) await a.app.close();
  process.stdout.write(`fuzz campaign: ${total} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failed ? 'FAILED' : 'no failure'}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz campaign: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
