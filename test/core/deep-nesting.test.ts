// Untrusted input nested far deeper than any call stack: an UPDATE whose spec holds a
// value 100,000 levels deep gets a proper spec-immutable verdict (the comparison is
// iterative), not a stack overflow answered as an internal error.
import t from 'tap';
import { applyPatch, review } from '../../src/core/engine.js';
import { jsonEqual } from '../../src/core/json-equal.js';
import { specImmutable } from '../../src/core/rules/static.js';
import { messageOf } from '../support/findings.js';

const DEPTH = 100_000;

/** {a: {a: ... leaf}} built without recursion, `depth` levels deep. */
function nestedObject(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** [[... leaf]] `depth` levels deep. */
function nestedArray(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function opsRequest(extra: unknown): Record<string, unknown> {
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name: 'sdbops-rotate', namespace: 'demo' },
    spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' }, tls: { rotateCertificates: true }, extra },
  };
}

const FORBIDDEN = 'spec: Forbidden: the spec of a SinglestoreOpsRequest cannot change after creation; create a new request instead';

t.test('jsonEqual: 100,000 levels of objects and of arrays', async (t) => {
  t.equal(jsonEqual(nestedObject(DEPTH, 1), nestedObject(DEPTH, 1)), true, 'equal objects');
  t.equal(jsonEqual(nestedObject(DEPTH, 1), nestedObject(DEPTH, 2)), false, 'the leaves differ');
  t.equal(jsonEqual(nestedObject(DEPTH, 1), nestedObject(DEPTH - 1, 1)), false, 'one level fewer');
  t.equal(jsonEqual(nestedArray(DEPTH, 'x'), nestedArray(DEPTH, 'x')), true, 'equal arrays');
  t.equal(jsonEqual(nestedArray(DEPTH, 'x'), nestedObject(DEPTH, 'x')), false, 'array is not object');
});

t.test('jsonEqual: JSON equality rules', async (t) => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['key order ignored', { a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    ['array order matters', [1, 2], [2, 1], false],
    ['array length', [1, 2], [1, 2, 3], false],
    ['missing key', { a: 1 }, { a: 1, b: 2 }, false],
    ['same key count, different keys', { a: 1 }, { b: 1 }, false],
    ['undefined value counts as absent', { a: 1, b: undefined }, { a: 1 }, true],
    ['null is not an object', { a: null }, { a: {} }, false],
    ['null equals null', { a: null }, { a: null }, true],
    ['number vs string', { a: 1 }, { a: '1' }, false],
    ['primitives', 'x', 'x', true],
    ['empty object vs empty array', {}, [], false],
  ];
  for (const [name, a, b, want] of cases) {
    t.equal(jsonEqual(a, b), want, name);
    t.equal(jsonEqual(b, a), want, `${name} (swapped)`);
  }
});

t.test('spec-immutable on a spec nested 100,000 deep: a verdict, no overflow', async (t) => {
  t.strictSame(specImmutable(opsRequest(nestedObject(DEPTH, 1)), opsRequest(nestedObject(DEPTH, 1))), [], 'unchanged spec passes');
  const changed = specImmutable(opsRequest(nestedObject(DEPTH, 1)), opsRequest(nestedObject(DEPTH, 2)));
  t.strictSame(changed.map((f) => [f.rule, f.field, messageOf(f)]), [['spec-immutable', 'spec', FORBIDDEN]], 'changed deep leaf is denied');
});

t.test('review of an UPDATE nested 100,000 deep', async (t) => {
  const same = review({ object: opsRequest(nestedArray(DEPTH, 'v')), oldObject: opsRequest(nestedArray(DEPTH, 'v')), operation: 'UPDATE' });
  t.strictSame(same, { errors: [], warnings: [], notEvaluated: [] }, 'allowed');
  const changed = review({ object: opsRequest(nestedArray(DEPTH, 'v')), oldObject: opsRequest(nestedArray(DEPTH, 'w')), operation: 'UPDATE' });
  t.strictSame(changed.errors.map((f) => f.rule), ['spec-immutable']);
  t.equal(changed.errors[0] && messageOf(changed.errors[0]), FORBIDDEN);
});

t.test('applyPatch: a JSON Patch test op against a value 100,000 deep', async (t) => {
  const doc = { spec: { extra: nestedObject(DEPTH, 1) } };
  const out = applyPatch(doc, [
    { op: 'test', path: '/spec/extra', value: nestedObject(DEPTH, 1) },
    { op: 'add', path: '/spec/apply', value: 'IfReady' },
  ]) as { spec: { apply?: string } };
  t.equal(out.spec.apply, 'IfReady', 'equal: the patch goes on');
  t.throws(() => applyPatch(doc, [{ op: 'test', path: '/spec/extra', value: nestedObject(DEPTH, 2) }]), /test failed at \/spec\/extra/, 'different: the test op fails');
});
