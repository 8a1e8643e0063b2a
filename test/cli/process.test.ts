// The BUILT CLI as a process: `node dist/src/main.js check ...` over the same case
// table as check.test.ts. The build (tsc into dist/) runs once, here, before the cases.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { CASES } from './cases.js';
import { builtExists, MAIN_JS, ROOT, runBuilt } from './harness.js';

t.before(() => {
  // Other modules' type errors do not stop tsc from emitting; the bin must exist after.
  const r = spawnSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!builtExists()) throw new Error(`tsc did not produce ${MAIN_JS}:\n${r.stdout}${r.stderr}`);
});

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const out = await runBuilt(c.argv, c.opts);
    t.equal(out.code, c.code, `exit status\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
    c.verify(t, out);
  });
}
