// The reconciler's state as data (src/core/reconcile/state.ts): one format, written and
// parsed by one module; a corrupt condition is reported and the legacy reading stands in.
import t from 'tap';
import type { Condition } from '../../../src/api/types.js';
import {
  formatState,
  legacyState,
  latestTransition,
  nextStatus,
  parseState,
  readState,
  stateCondition,
  STATE_CONDITION,
} from '../../../src/core/reconcile/index.js';
import { request, T0, iso } from './builders.js';

const STATE = { pods: { 'sample-sdb-aggregator-0': '3f0c1a9e-0000-4000-8000-000000000001', 'sample-sdb-leaf-0': '' }, revisions: { 'sample-sdb-server-cert': 3, 'sample-sdb-client-cert': 1 } };
const cond = (type: string, message: string, status: 'True' | 'False' = 'True'): Condition => ({ type, status, message, lastTransitionTime: iso(T0) });

t.test('round trip: format → parse gives the same state; the format is fixed (sorted keys, versioned)', async (t) => {
  const text = formatState(STATE);
  t.strictSame(parseState(text), STATE);
  t.equal(
    text,
    '{"v":1,"pods":{"sample-sdb-aggregator-0":"3f0c1a9e-0000-4000-8000-000000000001","sample-sdb-leaf-0":""},"revisions":{"sample-sdb-client-cert":1,"sample-sdb-server-cert":3}}',
  );
  t.equal(formatState({ pods: { b: '1', a: '2' }, revisions: {} }), formatState({ pods: { a: '2', b: '1' }, revisions: {} }), 'equal states write equal text');
  const c = stateCondition(STATE);
  t.equal(c.type, STATE_CONDITION);
  t.equal(c.status, 'True');
  if (c.message === undefined) throw new Error('the state condition has no message');
  t.strictSame(readState([cond(STATE_CONDITION, c.message)]), { state: STATE, source: 'condition' });
});

t.test('malformed state is rejected with a clear error', async (t) => {
  const bad: [string, RegExp][] = [
    ['', /not JSON/],
    ['uid 1234', /not JSON/],
    ['[1]', /not a JSON object/],
    ['{"v":2,"pods":{},"revisions":{}}', /unsupported version 2/],
    ['{"pods":{},"revisions":{}}', /unsupported version undefined/],
    ['{"v":1,"pods":[],"revisions":{}}', /pods is not an object/],
    ['{"v":1,"pods":{},"revisions":null}', /revisions is not an object/],
    ['{"v":1,"pods":{"Bad_Name":"x"},"revisions":{}}', /bad pod name "Bad_Name"/],
    ['{"v":1,"pods":{"p-0":7},"revisions":{}}', /pods\.p-0: bad uid 7/],
    ['{"v":1,"pods":{"p-0":"a b"},"revisions":{}}', /pods\.p-0: bad uid "a b"/],
    ['{"v":1,"pods":{},"revisions":{"c":-1}}', /revisions\.c: bad revision -1/],
    ['{"v":1,"pods":{},"revisions":{"c":"3"}}', /revisions\.c: bad revision "3"/],
    ['{"v":1,"pods":{},"revisions":{},"evil":1}', /unknown keys evil/],
  ];
  for (const [text, want] of bad) t.throws(() => parseState(text), want, JSON.stringify(text));
});

t.test('a corrupt state condition loses nothing: the legacy reading of the step messages stands in, with the error', async (t) => {
  const conds = [
    cond('GetPod--p-0', 'Successfully got pod demo/p-0 (uid u-0)'),
    cond('EvictPod--p-0', 'Successfully evicted pod demo/p-0 (uid u-0)'),
    cond('GetPod--p-1', 'Successfully got pod demo/p-1 (uid u-1)'),
    cond(STATE_CONDITION, '{"v":1,"pods":'),
  ];
  const r = readState(conds);
  t.equal(r.source, 'legacy');
  t.match(r.error, /ReconcilerState: message is not JSON/);
  t.strictSame(r.state.pods, { 'p-0': 'u-0', 'p-1': 'u-1' });
});

t.test('legacy reader: uids from GetPod--/EvictPod-- messages (EvictPod wins), "none" is no pod, revisions from IssueCertificatesSucceeded', async (t) => {
  const s = legacyState([
    cond('GetPod--p-0', 'Successfully got pod demo/p-0 (uid seen-0)'),
    cond('EvictPod--p-0', 'Successfully evicted pod demo/p-0 (uid evicted-0)'),
    cond('EvictPod--p-1', 'Pod demo/p-1 was not running (uid none); its PetSet recreates it'),
    cond('GetPod--p-2', 'Pod demo/p-2 not found; its PetSet recreates it'),
    cond('EvictPod--p-3', 'Cannot evict yet (uid x-3)', 'False'),
    cond('IssueCertificatesSucceeded', 'Successfully requested re-issue of Certificates sample-sdb-server-cert (revision 3), sample-sdb-client-cert (revision 1)'),
  ]);
  t.strictSame(s, { pods: { 'p-0': 'evicted-0', 'p-1': '' }, revisions: { 'sample-sdb-server-cert': 3, 'sample-sdb-client-cert': 1 } });
});

t.test('the state condition is written in the same status change as its step, and never restarts a step clock', async (t) => {
  const req = request({ rotateCertificates: true }, { conds: ['ReconfigureTLS'] });
  const later = iso(T0 + 60_000);
  const st = nextStatus(req, { condition: { type: 'GetPod--p-0', status: 'True', reason: '', message: 'm' }, state: { pods: { 'p-0': 'u' }, revisions: {} } }, later);
  t.strictSame(st.conditions?.map((c) => c.type), ['ReconfigureTLS', 'GetPod--p-0', STATE_CONDITION]);
  const stored = st.conditions?.find((c) => c.type === STATE_CONDITION)?.message;
  if (stored === undefined) throw new Error('no state condition message was written');
  t.strictSame(parseState(stored), { pods: { 'p-0': 'u' }, revisions: {} });
  const onlyState = [cond('ReconfigureTLS', ''), { ...cond(STATE_CONDITION, formatState(STATE)), lastTransitionTime: iso(T0 + 9 * 60_000) }];
  t.equal(latestTransition(onlyState), T0, 'the state condition’s time is ignored');
});
