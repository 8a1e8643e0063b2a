// Input files nested far deeper than any call stack: Lists of Lists 100,000 deep are
// read by the CLI's loader and by MemoryView (--state) without a stack overflow, in
// document order, with the usual notes for items that are not objects.
import t from 'tap';
import { parseText, type LoadResult } from '../../src/cli/loader.js';
import { MemoryView } from '../../src/core/memory-view.js';

const DEPTH = 100_000;

const ops = (name: string, db = 'sample-sdb') => ({
  apiVersion: 'ops.kubedb.com/v1alpha1',
  kind: 'SinglestoreOpsRequest',
  metadata: { name, namespace: 'demo' },
  spec: { type: 'ReconfigureTLS', databaseRef: { name: db }, tls: { rotateCertificates: true } },
});

/** {kind: List, items: [first, {kind: List, items: [... innermost]}, 7, last]} DEPTH deep. */
function nestedLists(innermost: unknown): Record<string, unknown> {
  let v: Record<string, unknown> = { kind: 'List', items: [innermost] };
  for (let i = 1; i < DEPTH; i++) v = { kind: 'List', items: [v] };
  return { kind: 'List', items: [ops('first'), v, 7, ops('last')] };
}

/** The same as JSON text, built by concatenation (JSON.stringify itself recurses). */
function nestedListsText(innermost: unknown, listKind = 'List'): string {
  const open = '{"kind":"List","items":['.repeat(DEPTH - 1) + `{"kind":${JSON.stringify(listKind)},"items":[`;
  const inner = `${open}${JSON.stringify(innermost)}${']}'.repeat(DEPTH)}`;
  return `{"kind":"List","items":[${JSON.stringify(ops('first'))},${inner},7,${JSON.stringify(ops('last'))}]}`;
}

t.test('loader: a JSON file of Lists nested 100,000 deep', async (t) => {
  const out: LoadResult = { objects: [], errors: [], notes: [] };
  parseText(nestedListsText(ops('deep')), 'deep.json', true, out);
  t.strictSame(out.errors, []);
  t.strictSame(out.objects.map((o) => [o.source, (o.object.metadata as { name: string }).name]), [
    ['deep.json#1', 'first'],
    ['deep.json#1', 'deep'],
    ['deep.json#1', 'last'],
  ], 'every object, in document order');
  t.strictSame(out.notes, ['deep.json#1: items[2] is not an object, skipped']);
});

t.test('loader: a typed FooList gives its kind to items without one, at any depth', async (t) => {
  const out: LoadResult = { objects: [], errors: [], notes: [] };
  const { kind: _k, ...noKind } = ops('typed');
  parseText(nestedListsText(noKind, 'SinglestoreOpsRequestList'), 'typed.json', true, out);
  t.strictSame(out.objects.map((o) => [o.object.kind, (o.object.metadata as { name: string }).name]), [
    ['SinglestoreOpsRequest', 'first'],
    ['SinglestoreOpsRequest', 'typed'],
    ['SinglestoreOpsRequest', 'last'],
  ]);
});

t.test('MemoryView.add: Lists nested 100,000 deep, later duplicates win', async (t) => {
  const view = new MemoryView();
  const changed = { ...ops('first'), status: { phase: 'Progressing' } };
  t.equal(view.add({ kind: 'List', items: [nestedLists(ops('deep')), changed] }), true);
  t.strictSame(view.listOpsRequests('demo', 'sample-sdb').map((r) => [r.metadata?.name, r.status?.phase]).sort(), [
    ['deep', undefined],
    ['first', 'Progressing'],
    ['last', undefined],
  ]);
  t.equal(view.add({ kind: 'List', items: [] }), false, 'an empty List adds nothing');
  t.equal(view.add({ kind: 'List', items: [{ kind: 'ConfigMap', metadata: { name: 'x' } }] }), false, 'other kinds are not taken');
});
