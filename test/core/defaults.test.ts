// SPEC 2: the three defaults as RFC 6902 patches, idempotent, and applyPatch.
import t from 'tap';
import { applyPatch, decide, defaultPatch } from '../../src/core/engine.js';
import { PatchError, pointer } from '../../src/core/defaults.js';
import type { PatchOp } from '../../src/core/findings.js';
import { messageOf } from '../support/findings.js';

type Json = Record<string, unknown>;
const bare = (spec: Json): Json => ({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'x', namespace: 'demo' }, spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' }, ...spec } });

interface Case {
  name: string;
  object: unknown;
  patch: PatchOp[];
  timeout?: string;
}

const CASES: Case[] = [
  {
    name: 'default-apply and default-timeout on a bare request',
    object: bare({ tls: { rotateCertificates: true } }),
    patch: [
      { op: 'add', path: '/spec/apply', value: 'IfReady' },
      { op: 'add', path: '/spec/timeout', value: '10m' },
    ],
  },
  { name: 'default-apply only', object: bare({ tls: { remove: true }, timeout: '5m' }), patch: [{ op: 'add', path: '/spec/apply', value: 'IfReady' }] },
  { name: 'default-timeout only', object: bare({ tls: { remove: true }, apply: 'Always' }), patch: [{ op: 'add', path: '/spec/timeout', value: '10m' }] },
  { name: 'default-timeout uses the configured default', object: bare({ tls: { remove: true }, apply: 'Always' }), timeout: '30m', patch: [{ op: 'add', path: '/spec/timeout', value: '30m' }] },
  {
    name: 'default-issuer-group on spec.tls.issuerRef and every certificate issuerRef lacking one, in order',
    object: bare({
      apply: 'IfReady',
      timeout: '10m',
      tls: {
        issuerRef: { kind: 'Issuer', name: 'a' },
        certificates: [
          { alias: 'server', issuerRef: { kind: 'ClusterIssuer', name: 'b' } },
          { alias: 'client' },
          { alias: 'metrics-exporter', issuerRef: { kind: 'Issuer', name: 'c', apiGroup: 'cert-manager.io' } },
          { alias: 'x', issuerRef: { kind: 'Issuer', name: 'd' } },
        ],
      },
    }),
    patch: [
      { op: 'add', path: '/spec/tls/issuerRef/apiGroup', value: 'cert-manager.io' },
      { op: 'add', path: '/spec/tls/certificates/0/issuerRef/apiGroup', value: 'cert-manager.io' },
      { op: 'add', path: '/spec/tls/certificates/3/issuerRef/apiGroup', value: 'cert-manager.io' },
    ],
  },
  {
    name: 'all three, in the order apply, issuer group, timeout',
    object: bare({ tls: { issuerRef: { kind: 'Issuer', name: 'a' } } }),
    patch: [
      { op: 'add', path: '/spec/apply', value: 'IfReady' },
      { op: 'add', path: '/spec/tls/issuerRef/apiGroup', value: 'cert-manager.io' },
      { op: 'add', path: '/spec/timeout', value: '10m' },
    ],
  },
  {
    name: 'null counts as absent for defaulted fields (the API server prunes such nulls)',
    object: bare({ apply: null, timeout: null, tls: { issuerRef: { kind: 'Issuer', name: 'a', apiGroup: null } } }),
    patch: [
      { op: 'add', path: '/spec/apply', value: 'IfReady' },
      { op: 'add', path: '/spec/tls/issuerRef/apiGroup', value: 'cert-manager.io' },
      { op: 'add', path: '/spec/timeout', value: '10m' },
    ],
  },
  { name: 'a fully defaulted request gets []', object: bare({ apply: 'Always', timeout: '1h', tls: { issuerRef: { kind: 'Issuer', name: 'a', apiGroup: 'example.com' } } }), patch: [] },
  { name: 'other types are not defaulted', object: { kind: 'SinglestoreOpsRequest', spec: { type: 'Restart', databaseRef: { name: 'db' } } }, patch: [] },
  { name: 'other kinds are not defaulted', object: { kind: 'Singlestore', spec: { type: 'ReconfigureTLS' } }, patch: [] },
  // garbage never throws
  { name: 'garbage: null', object: null, patch: [] },
  { name: 'garbage: a string', object: 'spec', patch: [] },
  { name: 'garbage: an array', object: [1, 2], patch: [] },
  { name: 'garbage: spec a string', object: { spec: 'ReconfigureTLS' }, patch: [] },
  { name: 'garbage: spec an array', object: { spec: [{ type: 'ReconfigureTLS' }] }, patch: [] },
  {
    name: 'garbage: tls and certificates of the wrong types only get the safe ops',
    object: { spec: { type: 'ReconfigureTLS', tls: { issuerRef: 'x', certificates: ['a', null, { issuerRef: [] }, { issuerRef: {} }] } } },
    patch: [
      { op: 'add', path: '/spec/apply', value: 'IfReady' },
      { op: 'add', path: '/spec/tls/certificates/3/issuerRef/apiGroup', value: 'cert-manager.io' },
      { op: 'add', path: '/spec/timeout', value: '10m' },
    ],
  },
  { name: 'garbage: tls a string', object: { spec: { type: 'ReconfigureTLS', tls: 'on', apply: 'IfReady', timeout: '1m' } }, patch: [] },
];

for (const c of CASES) {
  t.test(`defaults: ${c.name}`, async (t) => {
    const patch = defaultPatch(c.object, c.timeout ? { defaultTimeout: c.timeout } : undefined);
    t.same(patch, c.patch);
    const before = JSON.stringify(c.object);
    const after = applyPatch(c.object, patch);
    t.equal(JSON.stringify(c.object), before, 'input not changed');
    t.same(defaultPatch(after, c.timeout ? { defaultTimeout: c.timeout } : undefined), [], 'idempotent: defaulting the defaulted object gives []');
  });
}

t.test('decide: CREATE only', async (t) => {
  const object = bare({ tls: { remove: true } });
  t.equal(decide({ object, operation: 'CREATE' }).patch.length, 2);
  for (const op of ['UPDATE', 'DELETE', 'CONNECT'] as const) {
    const d = decide({ object, oldObject: object, operation: op });
    t.same(d.patch, [], `${op}: no patch`);
    t.equal(d.defaulted, object, `${op}: object as given`);
  }
});

t.test('decide: validation sees the defaulted object', async (t) => {
  const d = decide({ object: bare({ tls: { issuerRef: { kind: 'Issuer', name: 'a' } } }), operation: 'CREATE', options: { defaultTimeout: '0s' } });
  t.same(d.result.errors.map(messageOf), ['spec.timeout: Invalid value: "0s": must be greater than zero']);
  t.same((d.defaulted as { spec: Json }).spec['apply'], 'IfReady');
});

t.test('applyPatch: RFC 6902 add/replace/remove/test, pure', async (t) => {
  const doc = { a: { b: [1, 2, 3], 'x/y': 1, 'm~n': 2 }, c: 'keep' };
  const snapshot = JSON.stringify(doc);
  const out = applyPatch(doc, [
    { op: 'test', path: '/c', value: 'keep' },
    { op: 'add', path: '/a/b/1', value: 9 },
    { op: 'add', path: '/a/b/-', value: 10 },
    { op: 'replace', path: '/a/b/0', value: 0 },
    { op: 'remove', path: '/a/b/2' },
    { op: 'add', path: pointer('a', 'x/y'), value: 'slash' },
    { op: 'remove', path: pointer('a', 'm~n') },
    { op: 'add', path: '/new', value: { deep: true } },
  ]);
  t.same(out, { a: { b: [0, 9, 3, 10], 'x/y': 'slash' }, c: 'keep', new: { deep: true } });
  t.equal(JSON.stringify(doc), snapshot, 'input untouched');
  t.equal((out as typeof doc).c, doc.c);
  t.equal(pointer('a', 'x/y'), '/a/x~1y');
  t.equal(pointer('a', 'm~n', 0), '/a/m~0n/0');
});

t.test('applyPatch: errors', async (t) => {
  const doc = { a: { b: [1] } };
  const cases: [PatchOp, string][] = [
    [{ op: 'add', path: '/missing/x', value: 1 }, 'path /missing/x does not exist'],
    [{ op: 'replace', path: '/a/c', value: 1 }, 'path /a/c does not exist'],
    [{ op: 'remove', path: '/a/b/1' }, 'array index 1 out of bounds in /a/b/1'],
    [{ op: 'add', path: '/a/b/5', value: 1 }, 'array index 5 out of bounds in /a/b/5'],
    [{ op: 'add', path: '/a/b/01', value: 1 }, 'invalid array index "01" in /a/b/01'],
    [{ op: 'test', path: '/a/b/0', value: 2 }, 'test failed at /a/b/0'],
    [{ op: 'add', path: 'a', value: 1 }, 'invalid JSON Pointer "a"'],
    [{ op: 'remove', path: '' }, 'cannot remove the whole document'],
  ];
  for (const [op, message] of cases) t.throws(() => applyPatch(doc, [op]), new PatchError(message, op), message);
  t.same(applyPatch(doc, [{ op: 'replace', path: '', value: 5 }]), 5, 'replace the whole document');
});
