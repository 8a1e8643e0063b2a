// The BUILT CLI as a process: `node dist/src/main.js check ...` over the same case
// table as check.test.ts. The build (tsc into dist/) runs once, here, before the cases.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CASES, checkJson, F, PAUSED_RESULTS, PAUSED_SUMMARY } from './cases.js';
import { startFakeApiServer } from './fake-apiserver.js';
import { builtExists, MAIN_JS, ROOT, runBuilt } from './harness.js';

// A full tsc build takes a while on a busy machine: give this file room.
t.setTimeout(600_000);

/** Newest mtime of the TypeScript sources the bin is compiled from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

t.before(() => {
  // Build unless dist/ is newer than every source (npm run build already ran).
  if (builtExists() && statSync(MAIN_JS).mtimeMs > newestSource(path.join(ROOT, 'src'))) return;
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

t.test('the built bin with --cluster reads a (fake) API server through the kubeconfig', async (t) => {
  const objects = parseAllDocuments(readFileSync(path.join(ROOT, F, 'cases/paused/state.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  const api = await startFakeApiServer({ objects });
  t.teardown(() => api.close());
  const out = await runBuilt(['--cluster', '--kubeconfig', api.kubeconfig, '--output', 'json', `${F}/cases/paused/ops.yaml`]);
  t.equal(out.code, 1, out.stderr);
  checkJson(
    t,
    out.stdout,
    PAUSED_RESULTS,
    PAUSED_SUMMARY,
  );
  t.equal(api.requests.length, 4, 'four list calls');
  t.ok(api.requests.every((r) => r.startsWith('GET ')), 'read-only');
});
