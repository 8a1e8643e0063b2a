// KILL AT EVERY STEP: run a worked request, stop the controller after step k (for every
// k), start a fresh controller on the same store, and it finishes Successful with the
// database resumed and the same conditions a clean run shows. A second variant kills the
// process between a step's actions and its status write (the status write fails, the
// controller dies), the hardest place to crash.
import t from 'tap';
import { addRequest, advance, conditionTypes, drive, getDatabase, getRequest, isPaused, makeReconciler, newHarness, pass, seedState, type Harness } from '../support/reconcile-harness.js';

const NS = 'demo';
const DB = 'sample-sdb';
const PODS = ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-leaf-0'];

const WORKED: [string, string, string][] = [
  ['add-tls.yaml', 'state.yaml', 'sdbops-add-tls'],
  ['rotate.yaml', 'state-tls.yaml', 'sdbops-rotate'],
  ['update.yaml', 'state-tls.yaml', 'sdbops-update-tls'],
  ['change-issuer.yaml', 'state-tls.yaml', 'sdbops-change-issuer'],
  ['remove.yaml', 'state-tls.yaml', 'sdbops-remove'],
];

async function reference(file: string, state: string, name: string) {
  const h = newHarness();
  seedState(h, state);
  addRequest(h, file);
  let steps = 0;
  const r = await drive(h, makeReconciler(h, { onStep: () => steps++ }), NS, DB, name);
  return { steps, conditions: conditionTypes(r), tls: getDatabase(h, NS, DB).spec?.tls };
}

/** Runs controller A until it has taken k steps, then stops it; or (midStep) lets the
 *  status write of the next step after k fail and stops it there. */
async function runUntilKilled(h: Harness, k: number, midStep: boolean): Promise<void> {
  let steps = 0;
  let armed = false;
  const arm = (): void => {
    h.store.failNext('opsRequests.patchStatus', 500);
    armed = true;
  };
  const a = makeReconciler(h, {
    active: () => (midStep ? !(armed && h.store.pendingFaults() === 0) : steps < k),
    onStep: () => {
      steps++;
      if (midStep && steps === k) arm();
    },
  });
  if (midStep && k === 0) arm();
  for (let round = 0; round < 200; round++) {
    const { res, changed } = await pass(h, a, NS, DB);
    if (!midStep && steps >= k) return;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- arm(), called from onStep during pass(), sets armed; the type checker does not see that assignment
    if (midStep && armed && h.store.pendingFaults() === 0) return;
    advance(h, res, changed);
  }
  throw new Error(`controller A never reached step ${k}`);
}

for (const [file, state, name] of WORKED) {
  t.test(`${file}: killed after every step, a fresh controller finishes`, async (t) => {
    const ref = await reference(file, state, name);
    t.ok(ref.steps >= 14, `a clean run takes ${ref.steps} steps`);
    for (let k = 1; k < ref.steps; k++) {
      const h = newHarness();
      seedState(h, state);
      addRequest(h, file);
      await runUntilKilled(h, k, false);
      const b = makeReconciler(h);
      const r = await drive(h, b, NS, DB, name);
      t.equal(r.status?.phase, 'Successful', `k=${k}: Successful`);
      t.strictSame(conditionTypes(r), ref.conditions, `k=${k}: same conditions as a clean run`);
      t.notOk(isPaused(h, NS, DB), `k=${k}: database resumed`);
      t.strictSame(getDatabase(h, NS, DB).spec?.tls, ref.tls, `k=${k}: spec.tls`);
      t.strictSame(h.store.evictions, PODS, `k=${k}: each pod restarted once, in order`);
    }
  });

  t.test(`${file}: killed between a step's actions and its status write, a fresh controller finishes`, async (t) => {
    const ref = await reference(file, state, name);
    for (let k = 0; k < ref.steps - 1; k++) {
      const h = newHarness();
      seedState(h, state);
      addRequest(h, file);
      await runUntilKilled(h, k, true);
      const r = await drive(h, makeReconciler(h), NS, DB, name);
      t.equal(r.status?.phase, 'Successful', `k=${k}: Successful`);
      t.strictSame(conditionTypes(r), ref.conditions, `k=${k}: same conditions as a clean run`);
      t.notOk(isPaused(h, NS, DB), `k=${k}: database resumed`);
      t.strictSame(getDatabase(h, NS, DB).spec?.tls, ref.tls, `k=${k}: spec.tls`);
      t.strictSame([...new Set(h.store.evictions)], PODS, `k=${k}: restart order`);
      // A crash right after an eviction no longer costs that pod a second restart: the
      // uid GetPod-- recorded is the eviction's precondition and tells the replacement apart.
      t.strictSame(h.store.evictions, PODS, `k=${k}: each pod restarted once`);
      t.equal(getRequest(h, NS, name)?.status?.conditions?.filter((c) => c.type === 'Successful').length, 1);
    }
  });
}
