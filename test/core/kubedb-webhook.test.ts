// Issue 12: a superset of KubeDB's own validator. Every check KubeDB's webhook makes for a
// SinglestoreOpsRequest of type ReconfigureTLS (kubedb/apimachinery
// pkg/webhooks/ops/v1alpha1/singlestore.go; DOMAIN.md "KubeDB's own webhook"), each with
// an input KubeDB denies, run through the engine as the webhook runs it (defaults, then
// review, against a cluster view): we deny it too, and say which rule does.
import t from 'tap';
import type { OpsTLSSpec } from '../../src/api/types.js';
import { decide } from '../../src/core/engine.js';
import type { RuleId } from '../../src/core/rules/table.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { issuer, request, singlestore } from './helpers.js';

const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };
const DB_TLS = { issuerRef: REF, certificates: [{ alias: 'server' }, { alias: 'client' }] };
const STATE = [singlestore('sample-sdb', { tls: DB_TLS }), issuer('sdb-issuer')];

interface KubeDBCheck {
  /** The check in KubeDB's validator. */
  check: string;
  /** The error KubeDB answers with. */
  kubedb: string;
  object: unknown;
  oldObject?: unknown;
  operation?: 'CREATE' | 'UPDATE';
  state?: unknown[];
  /** Our rules that deny it. */
  rules: RuleId[];
}

const MORE_THAN_ONE = 'more than 1 field have assigned to spec.reconfigureTLS but at a time one is allowed to run one operation';
const NONE = 'no reconfiguration is provided in TLS spec';

const KUBEDB_CHECKS: KubeDBCheck[] = [
  {
    check: 'the type is a known SinglestoreOpsRequest type',
    kubedb: 'spec.type: Invalid value: ...: defined OpsRequestType Foo is not supported, supported types for Singlestore are ...',
    object: request({ remove: true }, { type: 'ReconfigureTls' }),
    rules: ['schema'],
  },
  {
    check: 'the database exists',
    kubedb: 'spec.databaseRef demo/sample-sdb, is invalid or not found',
    object: request({ rotateCertificates: true }),
    state: [issuer('sdb-issuer')],
    rules: ['database-exists'],
  },
  {
    check: 'the database exists (in the request\'s namespace)',
    kubedb: 'spec.databaseRef demo/sample-sdb, is invalid or not found',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, namespace: 'prod' })],
    rules: ['database-exists'],
  },
  { check: 'spec.tls is present', kubedb: 'spec.TLS nil not supported in ReconfigureTLS type', object: request(undefined), rules: ['tls-required'] },
  { check: 'spec.tls is present (null)', kubedb: 'spec.TLS nil not supported in ReconfigureTLS type', object: request(null), rules: ['tls-required'] },
  { check: 'at least one operation: empty spec.tls', kubedb: NONE, object: request({}), rules: ['one-operation'] },
  { check: 'at least one operation: false booleans', kubedb: NONE, object: request({ remove: false, rotateCertificates: false }), rules: ['one-operation'] },
  { check: 'at most one operation: remove + rotateCertificates', kubedb: MORE_THAN_ONE, object: request({ remove: true, rotateCertificates: true }), rules: ['one-operation'] },
  { check: 'at most one operation: remove + issuerRef', kubedb: MORE_THAN_ONE, object: request({ remove: true, issuerRef: REF }), rules: ['one-operation'] },
  { check: 'at most one operation: remove + certificates', kubedb: MORE_THAN_ONE, object: request({ remove: true, certificates: [{ alias: 'client' }] }), rules: ['one-operation'] },
  { check: 'at most one operation: remove + certificates: [] (a present list counts)', kubedb: MORE_THAN_ONE, object: request({ remove: true, certificates: [] }), rules: ['one-operation'] },
  { check: 'at most one operation: rotateCertificates + issuerRef', kubedb: MORE_THAN_ONE, object: request({ rotateCertificates: true, issuerRef: REF }), rules: ['one-operation'] },
  { check: 'at most one operation: rotateCertificates + certificates', kubedb: MORE_THAN_ONE, object: request({ rotateCertificates: true, certificates: [{ alias: 'client' }] }), rules: ['one-operation'] },
  { check: 'at most one operation: rotateCertificates + certificates: []', kubedb: MORE_THAN_ONE, object: request({ rotateCertificates: true, certificates: [] }), rules: ['one-operation'] },
  { check: 'at most one operation: all three', kubedb: MORE_THAN_ONE, object: request({ remove: true, rotateCertificates: true, issuerRef: REF }), rules: ['one-operation'] },
  {
    check: 'on UPDATE the spec is frozen',
    kubedb: 'At least one of the following was changed: apiVersion kind name namespace spec',
    object: request({ remove: true }),
    oldObject: request({ rotateCertificates: true }),
    operation: 'UPDATE',
    rules: ['spec-immutable'],
  },
  {
    check: 'on UPDATE the create checks run again (a spec changed to one KubeDB denies)',
    kubedb: MORE_THAN_ONE,
    object: request({ remove: true, rotateCertificates: true }),
    oldObject: request({ rotateCertificates: true }),
    operation: 'UPDATE',
    rules: ['spec-immutable'],
  },
];

for (const c of KUBEDB_CHECKS) {
  t.test(`KubeDB denies, so do we: ${c.check}`, async (t) => {
    const d = decide({
      object: c.object,
      ...(c.oldObject !== undefined ? { oldObject: c.oldObject } : {}),
      operation: c.operation ?? 'CREATE',
      view: MemoryView.from(c.state ?? STATE),
    });
    t.ok(d.result.errors.length > 0, `denied (KubeDB: ${c.kubedb})`);
    t.same([...new Set(d.result.errors.map((f) => f.rule))], c.rules, 'by these rules');
  });
}

t.test("where we differ on purpose: a status UPDATE of a request whose database is gone passes (KubeDB's re-run of database-exists on UPDATE would block the reconciler's status writes)", async (t) => {
  const obj = { ...request({ rotateCertificates: true }), status: { phase: 'Progressing' } };
  const d = decide({ object: obj, oldObject: request({ rotateCertificates: true }), operation: 'UPDATE', view: MemoryView.from([]) });
  t.same(d.result.errors, []);
});

t.test('every operation combination KubeDB counts as more than one is denied (the whole table)', async (t) => {
  const parts: Record<string, OpsTLSSpec> = {
    remove: { remove: true },
    rotateCertificates: { rotateCertificates: true },
    issuerRef: { issuerRef: REF },
    certificates: { certificates: [{ alias: 'client' }] },
    'certificates: []': { certificates: [] },
  };
  const keys = Object.keys(parts);
  for (let mask = 1; mask < 1 << keys.length; mask++) {
    const chosen = keys.filter((_, i) => mask & (1 << i));
    if (chosen.includes('certificates') && chosen.includes('certificates: []')) continue;
    const tls = chosen.reduce<OpsTLSSpec>((acc, k) => ({ ...acc, ...parts[k] }), {});
    // KubeDB's count: remove, rotateCertificates, (issuerRef != nil || certificates != nil)
    const count = (tls.remove ? 1 : 0) + (tls.rotateCertificates ? 1 : 0) + (tls.issuerRef !== undefined || tls.certificates !== undefined ? 1 : 0);
    const d = decide({ object: request(tls), operation: 'CREATE', view: MemoryView.from(STATE) });
    const oneOp = d.result.errors.filter((f) => f.rule === 'one-operation');
    if (count > 1) t.ok(oneOp.length > 0 && oneOp.every((f) => f.type === 'Forbidden'), `${chosen.join(' + ')}: KubeDB counts ${count}, we deny Forbidden`);
    else if (count === 1 && chosen.length === 1 && chosen[0] === 'certificates: []') t.same(oneOp.map((f) => f.type), ['Required'], 'certificates: [] alone: KubeDB admits it (one operation), we deny Required: nothing to do');
    else t.same(oneOp, [], `${chosen.join(' + ')}: one operation`);
  }
});
