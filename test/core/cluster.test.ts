// SPEC 3b: cluster rules against a MemoryView, one named case per rule and outcome.
import t, { type Test } from 'tap';
import { review } from '../../src/core/engine.js';
import type { Finding, ReviewResult, Warning } from '../../src/core/findings.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { issuer, opsRequest, request, singlestore } from './helpers.js';
import { messageOf } from '../support/findings.js';

const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };
const DB_TLS = { issuerRef: REF, certificates: [{ alias: 'server' }, { alias: 'client' }] };
const READY_ISSUER = issuer('sdb-issuer');

interface Case {
  name: string;
  object: unknown;
  state: unknown[];
  errors?: [Finding['rule'], string][];
  warnings?: [Finding['rule'], string][];
  notEvaluated?: string[];
}

const pick = (fs: readonly (Finding | Warning)[]): [string, string][] => fs.map((f) => [f.rule, messageOf(f)]);

const CASES: Case[] = [
  { name: 'all pass: rotate on a TLS database', object: request({ rotateCertificates: true }), state: [singlestore('sample-sdb', { tls: DB_TLS }), READY_ISSUER] },
  // database-exists
  {
    name: 'database-exists: missing database; database rules not evaluated',
    object: request({ rotateCertificates: true }),
    state: [singlestore('other-sdb', { tls: DB_TLS })],
    errors: [['database-exists', 'spec.databaseRef.name: Not found: "sample-sdb": Singlestore demo/sample-sdb does not exist']],
    notEvaluated: ['database-halted', 'database-paused', 'tls-not-enabled', 'database-not-ready', 'no-op'],
  },
  {
    name: 'database-exists: same name in another namespace does not count',
    object: request({ remove: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, namespace: 'prod' })],
    errors: [['database-exists', 'spec.databaseRef.name: Not found: "sample-sdb": Singlestore demo/sample-sdb does not exist']],
    notEvaluated: ['database-halted', 'database-paused', 'tls-not-enabled', 'database-not-ready', 'no-op'],
  },
  {
    name: 'database-exists: namespace defaults to "default"',
    object: request({ remove: true }, {}, { namespace: undefined }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, namespace: 'default' })],
  },
  // database-halted
  {
    name: 'database-halted: spec.halted',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, halted: true })],
    errors: [['database-halted', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is halted (spec.halted is true); resume it before reconfiguring TLS']],
  },
  {
    name: 'database-halted: phase Halted (also not Ready: warned)',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, phase: 'Halted' })],
    errors: [['database-halted', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is halted (its phase is Halted); resume it before reconfiguring TLS']],
    warnings: [['database-not-ready', 'spec.apply: Singlestore demo/sample-sdb is Halted; with apply IfReady the request waits until it is Ready']],
  },
  { name: 'database-halted: halted false passes', object: request({ rotateCertificates: true }), state: [singlestore('sample-sdb', { tls: DB_TLS, halted: false })] },
  // database-paused
  {
    name: 'database-paused: Paused True names who paused it',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/sdbops-restart', message: 'paused by ops-manager' }] })],
    errors: [['database-paused', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is paused (condition Paused is True; reason: SinglestoreOpsRequest demo/sdbops-restart, message: paused by ops-manager); wait until it is resumed']],
  },
  {
    name: 'database-paused: Paused Unknown',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'Unknown', reason: 'kubectl-dba' }] })],
    errors: [['database-paused', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is paused (condition Paused is Unknown; reason: kubectl-dba); wait until it is resumed']],
  },
  { name: 'database-paused: Paused False passes', object: request({ rotateCertificates: true }), state: [singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'False' }] })] },
  // database-paused: a pause an in-flight request explains queues (SPEC 3b, issue 12)
  {
    name: 'database-paused: KubeDB pause (reason Paused) with a Progressing sibling: admitted, op-in-flight warns',
    object: request({ rotateCertificates: true }),
    state: [
      singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'Paused' }] }),
      opsRequest('sdbops-vscale', 'VerticalScaling', 'Progressing'),
    ],
    warnings: [['op-in-flight', 'spec.databaseRef: VerticalScaling request demo/sdbops-vscale is Progressing; this one will wait']],
  },
  {
    name: 'database-paused: KubeDB pause (reason Paused) without an in-flight sibling: denied (stale pause)',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'Paused' }] }), opsRequest('sdbops-vscale', 'VerticalScaling', 'Successful')],
    errors: [['database-paused', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is paused (condition Paused is True; reason: Paused); wait until it is resumed']],
  },
  {
    name: 'database-paused: Paused Unknown with no reason and a Pending sibling: admitted',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'Unknown' }] }), opsRequest('sdbops-restart', 'Restart', 'Pending')],
    warnings: [['op-in-flight', 'spec.databaseRef: Restart request demo/sdbops-restart is Pending; this one will wait']],
  },
  {
    name: 'database-paused: a pause naming an in-flight request: admitted',
    object: request({ rotateCertificates: true }),
    state: [
      singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/sdbops-restart' }] }),
      opsRequest('sdbops-restart', 'Restart', 'Progressing'),
    ],
    warnings: [['op-in-flight', 'spec.databaseRef: Restart request demo/sdbops-restart is Progressing; this one will wait']],
  },
  {
    name: 'database-paused: a pause naming a finished request is stale even with another in flight: denied',
    object: request({ rotateCertificates: true }),
    state: [
      singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/sdbops-old' }] }),
      opsRequest('sdbops-old', 'Restart', 'Failed'),
      opsRequest('sdbops-restart', 'Restart', 'Progressing'),
    ],
    errors: [['database-paused', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is paused (condition Paused is True; reason: SinglestoreOpsRequest demo/sdbops-old); wait until it is resumed']],
    warnings: [['op-in-flight', 'spec.databaseRef: Restart request demo/sdbops-restart is Progressing; this one will wait']],
  },
  {
    name: 'database-paused: paused by a user while another request is in flight: denied (someone else holds it)',
    object: request({ rotateCertificates: true }),
    state: [
      singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'PausedByUser', message: 'paused with kubectl dba pause' }] }),
      opsRequest('sdbops-restart', 'Restart', 'Progressing'),
    ],
    errors: [['database-paused', 'spec.databaseRef: Forbidden: Singlestore demo/sample-sdb is paused (condition Paused is True; reason: PausedByUser, message: paused with kubectl dba pause); wait until it is resumed']],
    warnings: [['op-in-flight', 'spec.databaseRef: Restart request demo/sdbops-restart is Progressing; this one will wait']],
  },
  {
    name: 'database-paused: a pause explained by a Pending TLS sibling: admitted, superseded warns',
    object: request({ rotateCertificates: true }),
    state: [
      singlestore('sample-sdb', { tls: DB_TLS, conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/sdbops-older' }] }),
      opsRequest('sdbops-older', 'ReconfigureTLS', 'Pending'),
    ],
    warnings: [['tls-op-superseded', 'spec.databaseRef: ReconfigureTLS request demo/sdbops-older is Pending; it will be Skipped in favour of this newer one']],
  },
  // tls-op-in-flight / op-in-flight
  {
    name: 'tls-op-in-flight: another ReconfigureTLS Progressing',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-add-tls', 'ReconfigureTLS', 'Progressing')],
    errors: [['tls-op-in-flight', 'spec.databaseRef: Forbidden: SinglestoreOpsRequest demo/sdbops-add-tls (ReconfigureTLS) for Singlestore demo/sample-sdb is Progressing; wait until it finishes']],
  },
  {
    name: 'tls-op-in-flight: WaitingForApproval and Approved deny, one finding per request, sorted by name',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-b', 'ReconfigureTLS', 'Approved'), opsRequest('sdbops-a', 'ReconfigureTLS', 'WaitingForApproval')],
    errors: [
      ['tls-op-in-flight', 'spec.databaseRef: Forbidden: SinglestoreOpsRequest demo/sdbops-a (ReconfigureTLS) for Singlestore demo/sample-sdb is WaitingForApproval; wait until it finishes'],
      ['tls-op-in-flight', 'spec.databaseRef: Forbidden: SinglestoreOpsRequest demo/sdbops-b (ReconfigureTLS) for Singlestore demo/sample-sdb is Approved; wait until it finishes'],
    ],
  },
  // tls-op-superseded: the newest Pending TLS request wins (SPEC 3b, SPEC 5 step 1)
  {
    name: 'tls-op-superseded: a Pending sibling is admitted with a warning naming it (boundary: Pending vs Progressing)',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-older', 'ReconfigureTLS', 'Pending')],
    warnings: [['tls-op-superseded', 'spec.databaseRef: ReconfigureTLS request demo/sdbops-older is Pending; it will be Skipped in favour of this newer one']],
  },
  {
    name: 'tls-op-superseded: phase unset counts as not yet started',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-older', 'ReconfigureTLS', undefined)],
    warnings: [['tls-op-superseded', 'spec.databaseRef: ReconfigureTLS request demo/sdbops-older is not yet started (phase ""); it will be Skipped in favour of this newer one']],
  },
  {
    name: 'tls-op-superseded and tls-op-in-flight: a Pending and a Progressing sibling',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-pending', 'ReconfigureTLS', 'Pending'), opsRequest('sdbops-running', 'ReconfigureTLS', 'Progressing')],
    errors: [['tls-op-in-flight', 'spec.databaseRef: Forbidden: SinglestoreOpsRequest demo/sdbops-running (ReconfigureTLS) for Singlestore demo/sample-sdb is Progressing; wait until it finishes']],
    warnings: [['tls-op-superseded', 'spec.databaseRef: ReconfigureTLS request demo/sdbops-pending is Pending; it will be Skipped in favour of this newer one']],
  },
  {
    name: 'tls-op-superseded: a Pending request of another type is op-in-flight, not superseded',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-restart', 'Restart', 'Pending')],
    warnings: [['op-in-flight', 'spec.databaseRef: Restart request demo/sdbops-restart is Pending; this one will wait']],
  },
  {
    name: 'tls-op-in-flight: terminal phases, other databases, other namespaces and itself do not count',
    object: request({ rotateCertificates: true }),
    state: [
      singlestore('sample-sdb', { tls: DB_TLS }),
      opsRequest('done', 'ReconfigureTLS', 'Successful'),
      opsRequest('failed', 'ReconfigureTLS', 'Failed'),
      opsRequest('skipped', 'ReconfigureTLS', 'Skipped'),
      opsRequest('denied', 'ReconfigureTLS', 'Denied'),
      opsRequest('other-db', 'ReconfigureTLS', 'Progressing', 'other-sdb'),
      opsRequest('other-ns', 'ReconfigureTLS', 'Progressing', 'sample-sdb', 'prod'),
      opsRequest('sdbops-test', 'ReconfigureTLS', 'Pending'),
    ],
  },
  {
    name: 'op-in-flight: another type Pending or Approved warns',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), opsRequest('sdbops-restart', 'Restart', 'Pending'), opsRequest('sdbops-scale', 'HorizontalScaling', 'Approved')],
    warnings: [
      ['op-in-flight', 'spec.databaseRef: Restart request demo/sdbops-restart is Pending; this one will wait'],
      ['op-in-flight', 'spec.databaseRef: HorizontalScaling request demo/sdbops-scale is Approved; this one will wait'],
    ],
  },
  // tls-not-enabled
  {
    name: 'tls-not-enabled: remove on a database without TLS',
    object: request({ remove: true }),
    state: [singlestore('sample-sdb')],
    errors: [['tls-not-enabled', 'spec.tls.remove: Forbidden: TLS is not enabled on Singlestore demo/sample-sdb']],
  },
  {
    name: 'tls-not-enabled: rotate on a database without TLS',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb')],
    errors: [['tls-not-enabled', 'spec.tls.rotateCertificates: Forbidden: TLS is not enabled on Singlestore demo/sample-sdb']],
  },
  {
    name: 'tls-not-enabled: certificates without any issuer',
    object: request({ certificates: [{ alias: 'client', issuerRef: REF }, { alias: 'server' }] }),
    state: [singlestore('sample-sdb'), READY_ISSUER],
    errors: [['tls-not-enabled', 'spec.tls.issuerRef: Required value: TLS is not enabled on Singlestore demo/sample-sdb: an issuerRef is needed to issue its certificates']],
  },
  { name: 'tls-not-enabled: certificates each with its own issuer pass', object: request({ certificates: [{ alias: 'client', issuerRef: REF }] }), state: [singlestore('sample-sdb'), READY_ISSUER] },
  { name: 'tls-not-enabled: issuerRef alone adds TLS', object: request({ issuerRef: REF }), state: [singlestore('sample-sdb'), READY_ISSUER] },
  // issuer-exists / issuer-not-ready
  {
    name: 'issuer-exists: missing Issuer (top level and per certificate)',
    object: request({ issuerRef: { ...REF, name: 'nope' }, certificates: [{ alias: 'client', issuerRef: { ...REF, name: 'gone' } }] }),
    state: [singlestore('sample-sdb', { tls: DB_TLS })],
    errors: [
      ['issuer-exists', 'spec.tls.issuerRef.name: Not found: "nope": Issuer demo/nope does not exist'],
      ['issuer-exists', 'spec.tls.certificates[0].issuerRef.name: Not found: "gone": Issuer demo/gone does not exist'],
    ],
  },
  {
    name: 'issuer-exists: an Issuer in another namespace does not count',
    object: request({ issuerRef: REF }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), issuer('sdb-issuer', 'True', 'Issuer', 'prod')],
    errors: [['issuer-exists', 'spec.tls.issuerRef.name: Not found: "sdb-issuer": Issuer demo/sdb-issuer does not exist']],
    warnings: [['no-op', 'spec.tls.issuerRef: Singlestore demo/sample-sdb already uses Issuer sdb-issuer; this request changes nothing']],
  },
  {
    name: 'issuer-exists: missing ClusterIssuer',
    object: request({ issuerRef: { ...REF, kind: 'ClusterIssuer', name: 'letsencrypt' } }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), READY_ISSUER],
    errors: [['issuer-exists', 'spec.tls.issuerRef.name: Not found: "letsencrypt": ClusterIssuer letsencrypt does not exist']],
  },
  { name: 'issuer-exists: ClusterIssuer found', object: request({ issuerRef: { ...REF, kind: 'ClusterIssuer', name: 'ca' } }), state: [singlestore('sample-sdb', { tls: DB_TLS }), issuer('ca', 'True', 'ClusterIssuer')] },
  {
    name: 'issuer-not-ready: Ready False',
    object: request({ issuerRef: { ...REF, name: 'new-issuer' } }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), issuer('new-issuer', 'False')],
    warnings: [['issuer-not-ready', 'spec.tls.issuerRef.name: Issuer demo/new-issuer is not ready (Ready=False ErrGetKeyPair); certificates wait']],
  },
  {
    name: 'issuer-not-ready: no Ready condition',
    object: request({ issuerRef: { ...REF, kind: 'ClusterIssuer', name: 'ca' } }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), issuer('ca', 'none', 'ClusterIssuer')],
    warnings: [['issuer-not-ready', 'spec.tls.issuerRef.name: ClusterIssuer ca is not ready (no Ready condition); certificates wait']],
  },
  // database-not-ready
  {
    name: 'database-not-ready: IfReady and phase Provisioning',
    object: request({ rotateCertificates: true }),
    state: [singlestore('sample-sdb', { tls: DB_TLS, phase: 'Provisioning' })],
    warnings: [['database-not-ready', 'spec.apply: Singlestore demo/sample-sdb is Provisioning; with apply IfReady the request waits until it is Ready']],
  },
  { name: 'database-not-ready: apply Always does not wait', object: request({ rotateCertificates: true }, { apply: 'Always' }), state: [singlestore('sample-sdb', { tls: DB_TLS, phase: 'Critical' })] },
  // no-op
  {
    name: 'no-op: the database already uses this issuer',
    object: request({ issuerRef: REF }),
    state: [singlestore('sample-sdb', { tls: DB_TLS }), READY_ISSUER],
    warnings: [['no-op', 'spec.tls.issuerRef: Singlestore demo/sample-sdb already uses Issuer sdb-issuer; this request changes nothing']],
  },
  { name: 'no-op: same issuer with certificates is a change', object: request({ issuerRef: REF, certificates: [{ alias: 'client', subject: { organizations: ['x'] } }] }), state: [singlestore('sample-sdb', { tls: DB_TLS }), READY_ISSUER] },
  { name: 'no-op: another kind of the same name is a change', object: request({ issuerRef: { ...REF, kind: 'ClusterIssuer' } }), state: [singlestore('sample-sdb', { tls: DB_TLS }), issuer('sdb-issuer', 'True', 'ClusterIssuer')] },
];

function check(t: Test, r: ReviewResult, c: Case): void {
  t.same(pick(r.errors), c.errors ?? [], 'errors');
  t.same(pick(r.warnings), c.warnings ?? [], 'warnings');
  t.same(r.notEvaluated.map((n) => n.rule), c.notEvaluated ?? [], 'notEvaluated');
}

for (const c of CASES) {
  t.test(c.name, async (t) => {
    check(t, review({ object: c.object, operation: 'CREATE', view: MemoryView.from(c.state) }), c);
  });
}

t.test('without a view every cluster rule is notEvaluated with a reason', async (t) => {
  const r = review({ object: request({ rotateCertificates: true }), operation: 'CREATE' });
  t.same(r.errors, []);
  t.same(
    r.notEvaluated.map((n) => n.rule),
    ['database-exists', 'database-halted', 'database-paused', 'tls-op-in-flight', 'tls-op-superseded', 'op-in-flight', 'tls-not-enabled', 'issuer-exists', 'issuer-not-ready', 'database-not-ready', 'no-op'],
  );
  t.ok(r.notEvaluated.every((n) => n.reason === 'no cluster state was given (no ClusterView); cluster rules were not evaluated'));
});

t.test('several cluster findings are all collected', async (t) => {
  const r = review({
    object: request({ remove: true }),
    operation: 'CREATE',
    view: MemoryView.from([
      singlestore('sample-sdb', { halted: true, phase: 'Halted', conditions: [{ type: 'Paused', status: 'True', reason: 'x' }] }),
      opsRequest('tls-0', 'ReconfigureTLS', 'Progressing'),
      opsRequest('tls-1', 'ReconfigureTLS', 'Pending'),
      opsRequest('scale-1', 'VerticalScaling', 'Progressing'),
    ]),
  });
  // A Pending TLS sibling no longer denies (SPEC 3b: tls-op-superseded warns); a Progressing one does.
  t.same(r.errors.map((f) => f.rule), ['database-halted', 'database-paused', 'tls-op-in-flight', 'tls-not-enabled']);
  t.same(r.warnings.map((f) => f.rule), ['tls-op-superseded', 'op-in-flight', 'database-not-ready']);
});

t.test('warnings stay within 120 characters for typical names', async (t) => {
  const r = review({
    object: request({ issuerRef: { ...REF, name: 'sdb-new-issuer' } }),
    operation: 'CREATE',
    view: MemoryView.from([singlestore('sample-sdb', { tls: DB_TLS, phase: 'Provisioning' }), issuer('sdb-new-issuer', 'False'), opsRequest('sdbops-hscale-aggregators', 'HorizontalScaling', 'Progressing')]),
  });
  t.equal(r.warnings.length, 3);
  for (const m of r.warnings.map(messageOf)) t.ok(m.length <= 120, `${m.length}: ${m}`);
});
