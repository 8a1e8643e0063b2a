// Rule `schema`: ajv errors mapped to API-server field errors; schema failures gate the rest.
import t from 'tap';
import { review } from '../../src/core/engine.js';
import { validateOpsRequest } from '../../src/api/schema.js';
import { pointerToFieldPath } from '../../src/core/rules/schema.js';
import { request } from './helpers.js';
import { messageOf } from '../support/findings.js';

const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };

interface Case {
  name: string;
  object: unknown;
  errors: [string, string, string][]; // [field, type, message]
}

const CASES: Case[] = [
  { name: 'missing spec.type', object: { metadata: { name: 'x' }, spec: { databaseRef: { name: 'db' } } }, errors: [['spec.type', 'Required', 'spec.type: Required value']] },
  { name: 'missing spec', object: { metadata: { name: 'x' } }, errors: [['spec', 'Required', 'spec: Required value']] },
  { name: 'missing spec.databaseRef', object: { spec: { type: 'ReconfigureTLS', tls: { remove: true } } }, errors: [['spec.databaseRef', 'Required', 'spec.databaseRef: Required value']] },
  { name: 'missing spec.databaseRef.name', object: request({ remove: true }, { databaseRef: {} }), errors: [['spec.databaseRef.name', 'Required', 'spec.databaseRef.name: Required value']] },
  {
    name: 'spec.type outside its enum',
    object: request({ remove: true }, { type: 'ReconfigureTls' }),
    errors: [
      [
        'spec.type',
        'NotSupported',
        'spec.type: Unsupported value: "ReconfigureTls": supported values: "UpdateVersion", "HorizontalScaling", "VerticalScaling", "VolumeExpansion", "Restart", "Reconfigure", "ReconfigureTLS", "RotateAuth", "StorageMigration"',
      ],
    ],
  },
  { name: 'spec.apply outside its enum', object: request({ remove: true }, { apply: 'Never' }), errors: [['spec.apply', 'NotSupported', 'spec.apply: Unsupported value: "Never": supported values: "IfReady", "Always"']] },
  {
    name: 'privateKey.encoding outside its enum',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', privateKey: { encoding: 'DER' } }] }),
    errors: [['spec.tls.certificates[0].privateKey.encoding', 'NotSupported', 'spec.tls.certificates[0].privateKey.encoding: Unsupported value: "DER": supported values: "PKCS1", "PKCS8"']],
  },
  { name: 'issuerRef.kind missing', object: request({ issuerRef: { name: 'x' } }), errors: [['spec.tls.issuerRef.kind', 'Required', 'spec.tls.issuerRef.kind: Required value']] },
  { name: 'issuerRef.name missing', object: request({ issuerRef: { kind: 'Issuer' } }), errors: [['spec.tls.issuerRef.name', 'Required', 'spec.tls.issuerRef.name: Required value']] },
  {
    name: 'certificate issuerRef.name missing',
    object: request({ certificates: [{ alias: 'client', issuerRef: { kind: 'Issuer' } }] }),
    errors: [['spec.tls.certificates[0].issuerRef.name', 'Required', 'spec.tls.certificates[0].issuerRef.name: Required value']],
  },
  { name: 'certificates[i].alias missing', object: request({ issuerRef: REF, certificates: [{ alias: 'server' }, { secretName: 'x' }] }), errors: [['spec.tls.certificates[1].alias', 'Required', 'spec.tls.certificates[1].alias: Required value']] },
  { name: 'wrong type: boolean given a string', object: request({ remove: 'true' }), errors: [['spec.tls.remove', 'Invalid', 'spec.tls.remove: Invalid value: "string": must be of type boolean']] },
  { name: 'wrong type: timeout given a number', object: request({ remove: true }, { timeout: 600 }), errors: [['spec.timeout', 'Invalid', 'spec.timeout: Invalid value: "integer": must be of type string']] },
  { name: 'wrong type: certificates given an object', object: request({ certificates: { alias: 'server' } }), errors: [['spec.tls.certificates', 'Invalid', 'spec.tls.certificates: Invalid value: "object": must be of type array']] },
  { name: 'wrong type: dnsNames element a number', object: request({ issuerRef: REF, certificates: [{ alias: 'server', dnsNames: ['a', 7] }] }), errors: [['spec.tls.certificates[0].dnsNames[1]', 'Invalid', 'spec.tls.certificates[0].dnsNames[1]: Invalid value: "integer": must be of type string']] },
  { name: 'wrong type: tls a string', object: request('remove'), errors: [['spec.tls', 'Invalid', 'spec.tls: Invalid value: "string": must be of type object']] },
  { name: 'wrong type: enum field given a number reports the type only', object: request({ remove: true }, { apply: 1 }), errors: [['spec.apply', 'Invalid', 'spec.apply: Invalid value: "integer": must be of type string']] },
  { name: 'wrong type: maxRetries a float', object: request({ remove: true }, { maxRetries: 1.5 }), errors: [['spec.maxRetries', 'Invalid', 'spec.maxRetries: Invalid value: "number": must be of type integer']] },
  { name: 'maxRetries above int32', object: request({ remove: true }, { maxRetries: 2147483648 }), errors: [['spec.maxRetries', 'Invalid', 'spec.maxRetries: Invalid value: 2147483648: must be <= 2147483647']] },
  { name: 'the whole object not an object', object: ['x'], errors: [['', 'Invalid', 'Invalid value: "array": must be of type object']] },
  { name: 'unknown field under spec.tls', object: request({ remove: true, sslMode: 'requireSSL' }), errors: [['spec.tls.sslMode', 'Forbidden', 'spec.tls.sslMode: Forbidden: unknown field "spec.tls.sslMode"']] },
  { name: 'unknown field under issuerRef', object: request({ issuerRef: { ...REF, group: 'cert-manager.io' } }), errors: [['spec.tls.issuerRef.group', 'Forbidden', 'spec.tls.issuerRef.group: Forbidden: unknown field "spec.tls.issuerRef.group"']] },
  {
    name: 'unknown field under a certificate',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', commonName: 'x' }] }),
    errors: [['spec.tls.certificates[0].commonName', 'Forbidden', 'spec.tls.certificates[0].commonName: Forbidden: unknown field "spec.tls.certificates[0].commonName"']],
  },
  {
    name: 'unknown field under subject',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', subject: { organization: ['x'] } }] }),
    errors: [['spec.tls.certificates[0].subject.organization', 'Forbidden', 'spec.tls.certificates[0].subject.organization: Forbidden: unknown field "spec.tls.certificates[0].subject.organization"']],
  },
  {
    name: 'unknown field under privateKey',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', privateKey: { algorithm: 'ECDSA' } }] }),
    errors: [['spec.tls.certificates[0].privateKey.algorithm', 'Forbidden', 'spec.tls.certificates[0].privateKey.algorithm: Forbidden: unknown field "spec.tls.certificates[0].privateKey.algorithm"']],
  },
  {
    name: 'several schema errors are all reported',
    object: { spec: { type: 'Nope', databaseRef: { name: 5 }, tls: { remove: 1, extra: true, certificates: [{}] } } },
    errors: [
      ['spec.type', 'NotSupported', 'spec.type: Unsupported value: "Nope": supported values: "UpdateVersion", "HorizontalScaling", "VerticalScaling", "VolumeExpansion", "Restart", "Reconfigure", "ReconfigureTLS", "RotateAuth", "StorageMigration"'],
      ['spec.databaseRef.name', 'Invalid', 'spec.databaseRef.name: Invalid value: "integer": must be of type string'],
      ['spec.tls.extra', 'Forbidden', 'spec.tls.extra: Forbidden: unknown field "spec.tls.extra"'],
      ['spec.tls.certificates[0].alias', 'Required', 'spec.tls.certificates[0].alias: Required value'],
      ['spec.tls.remove', 'Invalid', 'spec.tls.remove: Invalid value: "integer": must be of type boolean'],
    ],
  },
];

for (const c of CASES) {
  t.test(`schema: ${c.name}`, async (t) => {
    const r = review({ object: c.object, operation: 'CREATE' });
    const got = r.errors.map((f) => [f.field, f.type, messageOf(f)]);
    t.same(
      [...got].sort(),
      [...c.errors].sort(),
    );
    t.ok(r.errors.every((f) => f.rule === 'schema'), 'all findings are rule schema');
    t.same(r.warnings, []);
    t.same(r.notEvaluated, [], 'no other rule runs when schema fails');
  });
}

t.test('schema gating: other rules do not run when schema fails', async (t) => {
  // bad alias + bad duration + unknown field: only the unknown field is reported
  const object = request({ remove: true, rotateCertificates: true, certificates: [{ alias: 'srv', duration: '1m', bogus: 1 }] }, { databaseRef: { name: 'BAD' } });
  const r = review({ object, operation: 'CREATE' });
  t.same(r.errors.map((f) => f.rule), ['schema']);
  const [first] = r.errors;
  if (!first) throw new Error('no error');
  t.equal(messageOf(first), 'spec.tls.certificates[0].bogus: Forbidden: unknown field "spec.tls.certificates[0].bogus"');
});

t.test('spec outside spec.tls stays open for other ops types', async (t) => {
  const r = review({ object: { spec: { type: 'Restart', databaseRef: { name: 'db' }, restart: {}, futureField: 1 } }, operation: 'CREATE' });
  t.same(r.errors, []);
});

t.test('the schema neither coerces nor inserts defaults', async (t) => {
  const object = request({ remove: 'true' }, { maxRetries: '3' });
  delete (object['spec'] as Record<string, unknown>)['apply'];
  const before = JSON.stringify(object);
  t.notOk(validateOpsRequest(object));
  t.equal(JSON.stringify(object), before, 'object untouched');
});

t.test('JSON Pointer to field path', async (t) => {
  const data = { spec: { tls: { certificates: [{ dnsNames: ['a', 'b'] }] }, 'a/b': { 'c~d': 1 } } };
  t.equal(pointerToFieldPath('/spec/tls/certificates/0/dnsNames/1', data), 'spec.tls.certificates[0].dnsNames[1]');
  t.equal(pointerToFieldPath('/spec/a~1b/c~0d', data), 'spec.a/b.c~d');
  t.equal(pointerToFieldPath('', data), '');
});
