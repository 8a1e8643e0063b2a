// The release workflow (.github/workflows/release.yml) cannot run here; actionlint, built
// from the Go module proxy (scripts/actionlint.sh), checks it. Findings fail the test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { REPO_ROOT } from '../e2e/harness/paths.js';

const WORKFLOW = join(REPO_ROOT, '.github/workflows/release.yml');

function actionlint(files: string[]): { status: number | null; out: string } {
  const r = spawnSync('sh', [join(REPO_ROOT, 'scripts/actionlint.sh'), ...files], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 20 * 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

t.test('actionlint finds nothing in the workflows', async (t) => {
  const r = actionlint([]);
  t.equal(r.status, 0, `actionlint:\n${r.out}`);
  t.equal(r.out.trim(), '', 'no findings printed');
});

t.test('actionlint does report a broken workflow (the check is real)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdb-actionlint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n      - uses: actions/checkout@v4\n        with: { node-version: 20 }\n');
  const r = actionlint([bad]);
  t.equal(r.status, 1, r.out);
  t.match(r.out, /nope/);
});

t.test('the workflow builds and pushes both platforms with provenance and an SBOM', async (t) => {
  const text = readFileSync(WORKFLOW, 'utf8');
  t.match(text.split('\n').slice(0, 10).join('\n'), /CANNOT run on this project's machines/, 'the header says it cannot run here');
  const wf = parse(text) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }> };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
  t.ok(build, 'docker/build-push-action');
  t.equal(build?.with?.['file'], 'Dockerfile');
  t.strictSame(String(build?.with?.['platforms']).split(','), ['linux/amd64', 'linux/arm64']);
  t.equal(build?.with?.['push'], true);
  t.match(String(build?.with?.['provenance']), /^(true|mode=max)$/);
  t.equal(build?.with?.['sbom'], true);
  t.ok(steps.some((s) => s.uses?.startsWith('docker/setup-qemu-action@')), 'QEMU for linux/arm64');
});
