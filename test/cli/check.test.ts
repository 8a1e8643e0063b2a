// `check` in-process through runCheck over the whole case table (cases.ts).
import t from 'tap';
import { CASES } from './cases.js';
import { runInProcess } from './harness.js';

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const out = await runInProcess(c.argv, c.opts);
    t.equal(out.code, c.code, `exit status\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
    c.verify(t, out);
  });
}
