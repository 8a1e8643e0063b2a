// Property tests of the webhook's HTTP surface (see ./properties.ts): a few thousand
// fast-check cases through inject(). FC_SEED=<n> replays a reported failure.
import t from 'tap';
import fc from 'fast-check';
import { admissionProperties, fuzzApp } from './properties.js';

const seed = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;
const apps = {
  tlsOff: fuzzApp({ view: 'tls-off' }),
  tlsOn: fuzzApp({ view: 'tls-on' }),
  busy: fuzzApp({ view: 'busy' }),
  noView: fuzzApp({ view: 'none' }),
  small: fuzzApp({ bodyLimit: 4096 }),
};
t.teardown(async () => {
  for (const a of Object.values(apps)) await a.app.close();
});

for (const prop of admissionProperties(apps)) {
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
