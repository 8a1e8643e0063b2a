// The docs' five worked requests, each against the state file it names: allowed, with
// exactly the patch [add /spec/apply IfReady, add /spec/timeout 10m].
import t from 'tap';
import { join } from 'node:path';
import { applyPatch, decide, defaultPatch } from '../../src/core/engine.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { WORKED_DIR, expectedStateFile, loadYaml } from './helpers.js';

const CASES = ['add-tls.yaml', 'rotate.yaml', 'update.yaml', 'change-issuer.yaml', 'remove.yaml'];

for (const file of CASES) {
  t.test(`worked request ${file}`, async (t) => {
    const path = join(WORKED_DIR, file);
    const [object] = loadYaml(path);
    const view = MemoryView.from(loadYaml(expectedStateFile(path)));
    const d = decide({ object, operation: 'CREATE', view });
    t.same(d.patch, [
      { op: 'add', path: '/spec/apply', value: 'IfReady' },
      { op: 'add', path: '/spec/timeout', value: '10m' },
    ]);
    t.same(d.result.errors, [], 'no denial');
    t.same(d.result.warnings, [], 'no warning');
    t.same(d.result.notEvaluated, [], 'every cluster rule evaluated');
    t.same(defaultPatch(d.defaulted), [], 'defaulting the defaulted object gives []');
    t.same(applyPatch(object, d.patch), d.defaulted, 'the patch applies cleanly');
  });
}

t.test('worked requests name their state file', async (t) => {
  t.equal(expectedStateFile(join(WORKED_DIR, 'add-tls.yaml')), join(WORKED_DIR, 'state.yaml'));
  t.equal(expectedStateFile(join(WORKED_DIR, 'remove.yaml')), join(WORKED_DIR, 'state-tls.yaml'));
});
