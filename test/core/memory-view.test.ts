import t from 'tap';
import { MemoryView } from '../../src/core/memory-view.js';
import { issuer, opsRequest, singlestore } from './helpers.js';

t.test('MemoryView indexes by kind, namespace and database', async (t) => {
  const db = singlestore('sample-sdb');
  const dbProd = singlestore('sample-sdb', { namespace: 'prod' });
  const r1 = opsRequest('r1', 'ReconfigureTLS', 'Pending');
  const r2 = opsRequest('r2', 'Restart', 'Progressing');
  const r3 = opsRequest('r3', 'Restart', 'Progressing', 'other');
  const iss = issuer('sdb-issuer');
  const ciss = issuer('ca', 'True', 'ClusterIssuer');
  const v = MemoryView.from([db, dbProd, r1, r2, r3, iss, ciss, { kind: 'ConfigMap', metadata: { name: 'x' } }, null, 'junk']);
  t.equal(v.getSinglestore('demo', 'sample-sdb'), db);
  t.equal(v.getSinglestore('prod', 'sample-sdb'), dbProd);
  t.equal(v.getSinglestore('demo', 'nope'), undefined);
  t.same(v.listOpsRequests('demo', 'sample-sdb'), [r1, r2]);
  t.same(v.listOpsRequests('demo', 'other'), [r3]);
  t.same(v.listOpsRequests('prod', 'sample-sdb'), []);
  t.equal(v.getIssuer('demo', 'sdb-issuer'), iss);
  t.equal(v.getIssuer('prod', 'sdb-issuer'), undefined);
  t.equal(v.getClusterIssuer('ca'), ciss);
  t.equal(v.getClusterIssuer('sdb-issuer'), undefined);
  t.same(v.size(), { singlestores: 2, opsRequests: 3, issuers: 1, clusterIssuers: 1 });
});

t.test('MemoryView: add replaces, remove deletes, a moved request is re-filed', async (t) => {
  const v = new MemoryView();
  t.equal(v.add(opsRequest('r1', 'ReconfigureTLS', 'Pending')), true);
  const moved = opsRequest('r1', 'ReconfigureTLS', 'Progressing', 'other');
  v.add(moved);
  t.same(v.listOpsRequests('demo', 'sample-sdb'), []);
  t.same(v.listOpsRequests('demo', 'other'), [moved]);
  t.equal(v.remove(moved), true);
  t.equal(v.remove(moved), false);
  t.same(v.listOpsRequests('demo', 'other'), []);
  const db = singlestore('a');
  v.add(db);
  t.equal(v.remove({ kind: 'Singlestore', metadata: { name: 'a', namespace: 'demo' } }), true);
  t.equal(v.getSinglestore('demo', 'a'), undefined);
  t.equal(v.add({ kind: 'Singlestore', metadata: {} }), false, 'no name: ignored');
});

t.test('MemoryView: a missing namespace means default; a List adds its items', async (t) => {
  const v = new MemoryView();
  t.equal(v.add({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Singlestore', metadata: { name: 'a' } }, { kind: 'Issuer', metadata: { name: 'i' } }] }), true);
  t.ok(v.getSinglestore('default', 'a'));
  t.ok(v.getIssuer('default', 'i'));
});
