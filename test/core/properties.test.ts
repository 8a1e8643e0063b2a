// Properties over generated input: the engine never throws, defaults are idempotent and
// the patch always applies, findings are well-formed.
import t from 'tap';
import fc from 'fast-check';
import { applyPatch, decide, defaultPatch, review } from '../../src/core/engine.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { RULE_BY_ID } from '../../src/core/rules/table.js';
import { messageOf } from '../support/findings.js';

const words = fc.constantFrom('', 'ReconfigureTLS', 'Restart', 'IfReady', 'Always', 'server', 'client', 'srv', 'Issuer', 'ClusterIssuer', 'cert-manager.io', '1h', '59m', '5m', 'x', 'sample-sdb', '*.a.b', '::1', 'Progressing', 'Pending', 'True', 'Paused', 'Ready');
const leaf = fc.oneof(words, fc.boolean(), fc.integer(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
const issuerRef = fc.record({ apiGroup: words, kind: words, name: words }, { requiredKeys: [] });
const certificate = fc.record(
  {
    alias: words,
    issuerRef: fc.oneof(issuerRef, leaf),
    secretName: words,
    duration: words,
    renewBefore: words,
    dnsNames: fc.array(fc.oneof(words, leaf), { maxLength: 3 }),
    ipAddresses: fc.array(words, { maxLength: 2 }),
    uris: fc.array(words, { maxLength: 2 }),
    emailAddresses: fc.array(words, { maxLength: 2 }),
    privateKey: fc.oneof(fc.record({ encoding: words }, { requiredKeys: [] }), leaf),
  },
  { requiredKeys: [] },
);
const tls = fc.record(
  { issuerRef: fc.oneof(issuerRef, leaf), certificates: fc.oneof(fc.array(fc.oneof(certificate, leaf), { maxLength: 3 }), leaf), rotateCertificates: fc.oneof(fc.boolean(), leaf), remove: fc.oneof(fc.boolean(), leaf), extra: leaf },
  { requiredKeys: [] },
);
const spec = fc.record(
  { type: fc.oneof(words, leaf), databaseRef: fc.oneof(fc.record({ name: fc.oneof(words, leaf) }, { requiredKeys: [] }), leaf), tls: fc.oneof(tls, leaf), timeout: fc.oneof(words, leaf), apply: fc.oneof(words, leaf) },
  { requiredKeys: [] },
);
const request = fc.record({ kind: fc.constantFrom('SinglestoreOpsRequest', undefined), metadata: fc.record({ name: words, namespace: words }, { requiredKeys: [] }), spec: fc.oneof(spec, leaf) }, { requiredKeys: [] });
const anyObject = fc.oneof(request, fc.anything());
const stateObj = fc.oneof(
  fc.record({ kind: fc.constant('Singlestore'), metadata: fc.record({ name: fc.constant('sample-sdb'), namespace: words }), spec: fc.anything(), status: fc.anything() }),
  fc.record({ kind: fc.constant('SinglestoreOpsRequest'), metadata: fc.record({ name: words, namespace: words }), spec: fc.anything(), status: fc.anything() }),
  fc.record({ kind: fc.constantFrom('Issuer', 'ClusterIssuer'), metadata: fc.record({ name: words, namespace: words }), status: fc.anything() }),
  fc.anything(),
);

t.test('decide never throws, on any operation, with or without a view', async (t) => {
  fc.assert(
    fc.property(anyObject, anyObject, fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT' as const), fc.array(stateObj, { maxLength: 6 }), (object, oldObject, operation, state) => {
      const d = decide({ object, oldObject, operation, view: MemoryView.from(state) });
      for (const f of [...d.result.errors, ...d.result.warnings]) {
        if (!RULE_BY_ID.has(f.rule)) return false;
        if (!messageOf(f).startsWith(f.field === '' ? '' : `${f.field}: `)) return false;
      }
      for (const f of d.result.errors) if (RULE_BY_ID.get(f.rule)?.verdict !== 'deny' || (f.type as string | undefined) === undefined) return false;
      for (const f of d.result.warnings) if (RULE_BY_ID.get(f.rule)?.verdict !== 'warn' && RULE_BY_ID.get(f.rule)?.alsoWarns !== true) return false;
      return true;
    }),
    { numRuns: 1500 },
  );
  t.pass('no exception, findings well-formed');
});

t.test('defaults are idempotent and always apply', async (t) => {
  fc.assert(
    fc.property(anyObject, (object) => {
      const before = JSON.stringify(object);
      const patch = defaultPatch(object);
      const after = applyPatch(object, patch);
      return JSON.stringify(object) === before && defaultPatch(after).length === 0;
    }),
    { numRuns: 1500 },
  );
  t.pass('idempotent');
});

t.test('a schema failure is the only finding family', async (t) => {
  fc.assert(
    fc.property(request, (object) => {
      const r = review({ object, operation: 'CREATE' });
      const rules = new Set(r.errors.map((f) => f.rule));
      return !rules.has('schema') || (rules.size === 1 && r.warnings.length === 0 && r.notEvaluated.length === 0);
    }),
    { numRuns: 1500 },
  );
  t.pass('schema gates');
});
