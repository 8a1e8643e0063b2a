// SPEC 3 scope: UPDATE only spec-immutable, DELETE never blocked, non-ReconfigureTLS only
// schema + tls-ignored.
import t from 'tap';
import { decide, review } from '../../src/core/engine.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { opsRequest, request, singlestore } from './helpers.js';
import { messageOf } from '../support/findings.js';

const IMMUTABLE = 'spec: Forbidden: the spec of a SinglestoreOpsRequest cannot change after creation; create a new request instead';
type Json = Record<string, unknown>;

t.test('UPDATE: a spec change is denied by spec-immutable only', async (t) => {
  const oldObject = request({ rotateCertificates: true });
  const object = request({ remove: true, rotateCertificates: true }); // would also break one-operation
  const r = review({ object, oldObject, operation: 'UPDATE', view: new MemoryView() });
  t.same(r.errors.map((f) => [f.rule, f.field, f.type, messageOf(f)]), [['spec-immutable', 'spec', 'Forbidden', IMMUTABLE]]);
  t.same(r.warnings, []);
  t.same(r.notEvaluated, []);
});

t.test('UPDATE: status and metadata changes always pass, even on a broken object', async (t) => {
  const oldObject = request({ remove: true, rotateCertificates: true, bogus: 1 });
  const object = { ...oldObject, metadata: { ...(oldObject['metadata'] as Json), labels: { a: 'b' } }, status: { phase: 'Progressing', conditions: [{ type: 'ReconfigureTLS', status: 'True' }] } };
  const r = review({ object, oldObject, operation: 'UPDATE' });
  t.same(r, { errors: [], warnings: [], notEvaluated: [] });
});

t.test('UPDATE: key order does not count as a change', async (t) => {
  const oldObject = { spec: { type: 'ReconfigureTLS', databaseRef: { name: 'a' }, tls: { remove: true } } };
  const object = { spec: { tls: { remove: true }, databaseRef: { name: 'a' }, type: 'ReconfigureTLS' } };
  t.same(review({ object, oldObject, operation: 'UPDATE' }).errors, []);
});

t.test('UPDATE: changing the type away from ReconfigureTLS is a spec change', async (t) => {
  const oldObject = request({ remove: true });
  const object = { ...oldObject, spec: { type: 'Restart', databaseRef: { name: 'sample-sdb' } } };
  t.same(review({ object, oldObject, operation: 'UPDATE' }).errors.map((f) => f.rule), ['spec-immutable']);
});

t.test('UPDATE: requests of other types are left to KubeDB', async (t) => {
  const oldObject = opsRequest('r', 'Restart', 'Pending');
  const object = { ...oldObject, spec: { type: 'Restart', databaseRef: { name: 'other' } } };
  t.same(review({ object, oldObject, operation: 'UPDATE' }).errors, []);
});

t.test('DELETE and CONNECT are never blocked', async (t) => {
  const object = request({ remove: true, rotateCertificates: true, bogus: 1 });
  for (const operation of ['DELETE', 'CONNECT'] as const) {
    t.same(review({ object, oldObject: object, operation, view: new MemoryView() }), { errors: [], warnings: [], notEvaluated: [] }, operation);
    t.same(decide({ object, oldObject: object, operation }).patch, [], `${operation}: no patch`);
  }
});

t.test('non-ReconfigureTLS: only schema and tls-ignored', async (t) => {
  // A Restart request for a database that does not exist with a paused view: no cluster rule runs.
  const object = { kind: 'SinglestoreOpsRequest', metadata: { name: 'r', namespace: 'demo' }, spec: { type: 'Restart', databaseRef: { name: 'missing' }, tls: { remove: true, rotateCertificates: true }, timeout: 'bogus' } };
  const d = decide({ object, operation: 'CREATE', view: MemoryView.from([singlestore('x')]) });
  t.same(d.patch, []);
  t.same(d.result.errors, []);
  t.same(d.result.warnings.map((f) => [f.rule, f.field, messageOf(f)]), [['tls-ignored', 'spec.tls', 'spec.tls: ignored: spec.type is "Restart"; only ReconfigureTLS uses spec.tls']]);
  t.same(d.result.notEvaluated, []);
});

t.test('non-ReconfigureTLS: schema still applies (spec.tls is closed)', async (t) => {
  const object = { spec: { type: 'Restart', databaseRef: { name: 'db' }, tls: { sslMode: 'disabled' } } };
  const r = review({ object, operation: 'CREATE' });
  t.same(r.errors.map((f) => [f.rule, messageOf(f)]), [['schema', 'spec.tls.sslMode: Forbidden: unknown field "spec.tls.sslMode"']]);
  t.same(r.warnings, [], 'tls-ignored does not run when schema fails');
});

t.test('non-ReconfigureTLS without tls: nothing', async (t) => {
  t.same(review({ object: { spec: { type: 'Restart', databaseRef: { name: 'db' }, tls: null } }, operation: 'CREATE' }), { errors: [], warnings: [], notEvaluated: [] });
});

t.test('ReconfigureTLS without tls: tls-required only, cluster rules not run', async (t) => {
  const r = review({ object: request(undefined), operation: 'CREATE', view: new MemoryView() });
  t.same(r.errors.map((f) => f.rule), ['tls-required']);
  t.same(r.notEvaluated, []);
});

t.test('UPDATE without oldObject: spec-immutable is notEvaluated, not a blind denial', async (t) => {
  const r = review({ object: request({ remove: true }), operation: 'UPDATE' });
  t.same(r, { errors: [], warnings: [], notEvaluated: [{ rule: 'spec-immutable', reason: 'UPDATE without oldObject: the spec cannot be compared' }] });
});
