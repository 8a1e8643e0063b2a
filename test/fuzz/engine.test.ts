// Property tests of the pure engine (see ./engine-properties.ts). FC_SEED=<n> replays.
import t from 'tap';
import fc from 'fast-check';
import { engineProperties } from './engine-properties.js';

const seed = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;

for (const prop of engineProperties()) {
  t.test(prop.name, async (t) => {
    const details = await fc.check(prop.property, { numRuns: prop.runs, ...(seed !== undefined ? { seed } : {}) });
    if (details.failed) {
      const err = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      t.fail(`${err}\n${fc.defaultReportMessage(details) ?? ''}`);
    } else {
      t.equal(details.numRuns, prop.runs, `${details.numRuns} cases, none failed`);
    }
  });
}
