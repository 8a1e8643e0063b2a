// The fuzz oracles must be able to fail: the strict RFC 6902 applier refuses every
// broken patch, and checkAnswer() catches an app that answers wrongly.
import t from 'tap';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/server/app.js';
import { createMetrics } from '../../src/metrics.js';
import type { AdmissionEngine } from '../../src/server/decisions.js';
import { decide } from '../../src/core/engine.js';
import { StrictPatchError, strictApply } from './json-patch.js';
import { checkAnswer, decodable, PropertyFailure, type FuzzApp } from './properties.js';
import { realReviews, wrapReview, workedObject } from './arbitraries.js';

t.test('strict applier: valid patches', async (t) => {
  const doc = { a: { b: [1, 2] }, 'x/y': 1, 't~': 2 };
  const cases: [string, unknown[], unknown][] = [
    ['add a member', [{ op: 'add', path: '/c', value: 3 }], { ...doc, c: 3 }],
    ['add replaces a member', [{ op: 'add', path: '/x~1y', value: 9 }], { ...doc, 'x/y': 9 }],
    ['add at the end of an array', [{ op: 'add', path: '/a/b/-', value: 3 }], { ...doc, a: { b: [1, 2, 3] } }],
    ['add inside an array', [{ op: 'add', path: '/a/b/0', value: 0 }], { ...doc, a: { b: [0, 1, 2] } }],
    ['replace with ~0 escape', [{ op: 'replace', path: '/t~0', value: 5 }], { ...doc, 't~': 5 }],
    ['remove an element', [{ op: 'remove', path: '/a/b/1' }], { ...doc, a: { b: [1] } }],
    ['test then add', [{ op: 'test', path: '/a/b', value: [1, 2] }, { op: 'add', path: '/d', value: null }], { ...doc, d: null }],
  ];
  for (const [name, patch, want] of cases) t.same(strictApply(doc, patch as never), want, name);
  t.same(doc, { a: { b: [1, 2] }, 'x/y': 1, 't~': 2 }, 'input not modified');
});

t.test('strict applier: broken patches', async (t) => {
  const doc = { a: { b: [1, 2] }, s: 'x' };
  const cases: [string, unknown[]][] = [
    ['missing parent', [{ op: 'add', path: '/nope/x', value: 1 }]],
    ['replace of a missing member', [{ op: 'replace', path: '/c', value: 1 }]],
    ['remove of a missing member', [{ op: 'remove', path: '/c' }]],
    ['index past the end', [{ op: 'add', path: '/a/b/3', value: 1 }]],
    ['replace at the end index', [{ op: 'replace', path: '/a/b/2', value: 1 }]],
    ['leading zero index', [{ op: 'replace', path: '/a/b/01', value: 1 }]],
    ['"-" on replace', [{ op: 'replace', path: '/a/b/-', value: 1 }]],
    ['descend into a string', [{ op: 'add', path: '/s/x', value: 1 }]],
    ['bad escape', [{ op: 'add', path: '/a~2', value: 1 }]],
    ['no leading slash', [{ op: 'add', path: 'a', value: 1 }]],
    ['add without value', [{ op: 'add', path: '/c' }]],
    ['failed test', [{ op: 'test', path: '/s', value: 'y' }]],
    ['unknown op', [{ op: 'merge', path: '/a', value: {} }]],
    ['move is not emitted by the defaulter', [{ op: 'move', from: '/s', path: '/t' }]],
  ];
  for (const [name, patch] of cases) t.throws(() => strictApply(doc, patch as never), StrictPatchError, name);
});

function appWith(engine: AdmissionEngine): FuzzApp {
  const errorLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim() && (JSON.parse(l) as { level: number }).level >= 50) errorLines.push(l);
      cb();
    },
  });
  return { app: buildApp({ metrics: createMetrics(), logger: pino({ level: 'warn' }, sink), engine }), errorLines };
}

const addTls = workedObject('sdbops-add-tls');
const review = wrapReview(addTls, { uid: 'oracle-1' });

t.test('checkAnswer accepts the real app', async (t) => {
  const f = appWith({ decide: (i) => decide(i) });
  await t.resolves(checkAnswer(f, '/mutate', review));
  await t.resolves(checkAnswer(f, '/validate', review));
  await f.app.close();
});

t.test('checkAnswer catches a patch that does not apply', async (t) => {
  const f = appWith({ decide: (i) => ({ ...decide(i), patch: [{ op: 'add', path: '/spec/missing/apply', value: 'IfReady' }] }) });
  await t.rejects(checkAnswer(f, '/mutate', review), PropertyFailure);
  await f.app.close();
});

t.test('checkAnswer catches a patch outside the defaulted fields', async (t) => {
  const f = appWith({ decide: (i) => ({ ...decide(i), patch: [{ op: 'add', path: '/metadata/labels', value: {} }] }) });
  await t.rejects(checkAnswer(f, '/mutate', review), PropertyFailure);
  await f.app.close();
});

t.test('checkAnswer catches defaults that are not idempotent', async (t) => {
  let n = 0;
  const f = appWith({ decide: (i) => ({ ...decide(i), patch: [{ op: 'replace', path: '/spec/timeout', value: `${++n}m` }] }) });
  const withTimeout = wrapReview({ ...addTls, spec: { ...(addTls['spec'] as object), timeout: '10m' } }, { uid: 'oracle-2' });
  await t.rejects(checkAnswer(f, '/mutate', withTimeout), /not idempotent/);
  await f.app.close();
});

t.test('checkAnswer catches an engine that throws', async (t) => {
  const f = appWith({ decide: () => { throw new Error('boom'); } });
  await t.rejects(checkAnswer(f, '/validate', review), PropertyFailure);
  await t.rejects(checkAnswer(f, '/mutate', review), PropertyFailure);
  await f.app.close();
});

t.test('decodable() agrees with the fixtures', async (t) => {
  for (const r of realReviews()) t.equal(decodable(r), true, (r['request'] as { uid: string }).uid);
  t.equal(decodable({ ...review, request: { ...(review['request'] as object), uid: '' } }), false, 'empty uid');
  t.equal(decodable({ ...review, apiVersion: 'admission.k8s.io/v2' }), false, 'unknown apiVersion');
  t.equal(decodable({ ...review, request: { ...(review['request'] as object), operation: 'PATCH' } }), false, 'unknown operation');
  t.equal(decodable([review]), false, 'an array');
});
