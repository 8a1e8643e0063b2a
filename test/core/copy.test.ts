// src/core/copy.ts: the shallow copies on the admission path keep untrusted keys as data.
import t from 'tap';
import { copyObject, setOwn, withKey } from '../../src/core/copy.js';
import { applyPatch } from '../../src/core/defaults.js';
import { decide } from '../../src/core/engine.js';
import { withRequestNamespace } from '../../src/server/decisions.js';

t.test('copyObject: same own keys and values, a new object, the input untouched', async (t) => {
  const inner = { b: 1 };
  const v = { a: 'x', inner, n: null, list: [1, 2] };
  const c = copyObject(v);
  t.not(c, v);
  t.same(c, v);
  t.equal(c.inner, inner, 'shallow: members are shared');
  t.same(Object.keys(c), ['a', 'inner', 'n', 'list'], 'key order kept');
});

t.test('an own "__proto__" key (JSON.parse makes one) stays an own data property', async (t) => {
  const v = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
  const c = copyObject(v);
  t.equal(Object.getPrototypeOf(c), Object.prototype, 'prototype not replaced');
  t.equal((c as { polluted?: unknown }).polluted, undefined, 'nothing inherited from the key');
  t.ok(Object.prototype.hasOwnProperty.call(c, '__proto__'));
  t.same(Object.getOwnPropertyDescriptor(c, '__proto__')?.value, { polluted: true });
  const w = withKey(v, '__proto__', 'replaced');
  t.equal(Object.getPrototypeOf(w), Object.prototype);
  t.equal(Object.getOwnPropertyDescriptor(w, '__proto__')?.value, 'replaced');
  const o: Record<string, unknown> = {};
  setOwn(o, '__proto__', { x: 1 });
  t.equal(Object.getPrototypeOf(o), Object.prototype);
  t.same(Object.keys(o), ['__proto__']);
});

t.test('applyPatch through a "__proto__" member changes data, never a prototype', async (t) => {
  const doc = JSON.parse('{"spec": {"__proto__": {"tls": {"remove": true}}}}') as Record<string, unknown>;
  const out = applyPatch(doc, [{ op: 'add', path: '/spec/__proto__/x', value: 1 }]) as { spec: Record<string, unknown> };
  t.equal(Object.getPrototypeOf(out.spec), Object.prototype);
  t.equal(out.spec['tls'], undefined, 'spec.tls is not inherited');
  t.same(Object.getOwnPropertyDescriptor(out.spec, '__proto__')?.value, { tls: { remove: true }, x: 1 });
  const replaced = applyPatch(doc, [{ op: 'replace', path: '/spec/__proto__', value: { tls: {} } }]) as { spec: Record<string, unknown> };
  t.equal(Object.getPrototypeOf(replaced.spec), Object.prototype);
  t.equal(replaced.spec['tls'], undefined);
  t.same(JSON.parse(JSON.stringify(doc)), { spec: { ['__proto__']: { tls: { remove: true } } } }, 'input untouched');
});

t.test('the defaulted object of decide and the namespaced request object are plain data copies', async (t) => {
  const obj = JSON.parse(
    '{"apiVersion":"ops.kubedb.com/v1alpha1","kind":"SinglestoreOpsRequest","metadata":{"name":"r","__proto__":{"namespace":"x"}},"spec":{"type":"ReconfigureTLS","databaseRef":{"name":"db"},"tls":{"rotateCertificates":true}}}',
  ) as Record<string, unknown>;
  const namespaced = withRequestNamespace(obj, 'demo') as { metadata: Record<string, unknown> };
  t.equal(Object.getPrototypeOf(namespaced.metadata), Object.prototype);
  t.equal(namespaced.metadata['namespace'], 'demo');
  const d = decide({ object: obj, operation: 'CREATE' });
  const spec = (d.defaulted as { spec: Record<string, unknown> }).spec;
  t.equal(Object.getPrototypeOf(spec), Object.prototype);
  t.equal(spec['apply'], 'IfReady');
  t.equal(spec['timeout'], '10m');
  t.equal((obj['spec'] as Record<string, unknown>)['apply'], undefined, 'input untouched');
});
