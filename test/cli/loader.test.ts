// loader.ts and state.ts on their own: path spelling, ordering, symlink loops, stdin,
// odd documents, JSON error positions; the view's merge rules.
import t from 'tap';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSources } from '../../src/cli/loader.js';
import { buildView, withNamespace } from '../../src/cli/state.js';

const OPS = (name: string) => `apiVersion: ops.kubedb.com/v1alpha1\nkind: SinglestoreOpsRequest\nmetadata: {name: ${name}}\n`;

function tree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-cli-load-'));
  mkdirSync(path.join(dir, 'm', 'b-sub'), { recursive: true });
  writeFileSync(path.join(dir, 'm', 'c.yaml'), OPS('c'));
  writeFileSync(path.join(dir, 'm', 'a.yml'), OPS('a'));
  writeFileSync(path.join(dir, 'm', 'b-sub', 'x.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
  writeFileSync(path.join(dir, 'm', 'README.md'), '# not read');
  symlinkSync('..', path.join(dir, 'm', 'b-sub', 'loop'));
  return dir;
}

const noStdin = { readStdin: () => Promise.reject(new Error('no stdin in this test')) };

t.test('directories: recursive, sorted, only manifest extensions, the path kept as given, symlink loops cut', async (t) => {
  const dir = tree();
  for (const given of ['m', 'm/', './m']) {
    const r = await loadSources([given], { cwd: dir, ...noStdin });
    t.strictSame(r.errors, [], given);
    const prefix = given.endsWith('/') ? given : `${given}/`;
    t.strictSame(
      r.objects.map((o) => o.source),
      [`${prefix}a.yml#1`, `${prefix}b-sub/x.json#1`, `${prefix}c.yaml#1`],
      `sources for ${given}`,
    );
  }
});

t.test('stdin is read once; a second - is an error', async (t) => {
  let reads = 0;
  const r = await loadSources(['-', '-'], { cwd: '/', readStdin: async () => (reads++, OPS('s')) });
  t.equal(reads, 1);
  t.strictSame(r.objects.map((o) => o.source), ['-#1']);
  t.strictSame(r.errors, ['-: stdin can be given only once']);
});

t.test('odd documents are notes, not objects; a BOM is ignored', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-cli-odd-'));
  writeFileSync(path.join(dir, 'odd.yaml'), `\ufeff${OPS('first')}---\n- a\n---\nplain\n---\nfoo: bar\n---\napiVersion: v1\nkind: List\nitems: [3, {kind: Issuer, metadata: {name: i}}]\n`);
  const r = await loadSources(['odd.yaml'], { cwd: dir, ...noStdin });
  t.strictSame(r.errors, []);
  t.strictSame(r.objects.map((o) => `${o.source} ${String(o.object.kind)}`), ['odd.yaml#1 SinglestoreOpsRequest', 'odd.yaml#5 Issuer']);
  t.strictSame(r.notes, [
    'odd.yaml#2: not a Kubernetes object (a list at top level), skipped',
    'odd.yaml#3: not a Kubernetes object (a string at top level), skipped',
    'odd.yaml#4: not a Kubernetes object (no kind), skipped',
    'odd.yaml#5: items[0] is not an object, skipped',
  ]);
});

t.test('JSON syntax errors carry line:col even when V8 names no position', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-cli-json-'));
  writeFileSync(path.join(dir, 'a.json'), '{\n  "kind": }\n');
  writeFileSync(path.join(dir, 'b.json'), '{\n  "kind": "X",\n}\n');
  writeFileSync(path.join(dir, 'c.json'), '{"kind": "X"');
  const r = await loadSources(['a.json', 'b.json', 'c.json'], { cwd: dir, ...noStdin });
  t.equal(r.errors.length, 3);
  t.equal(r.errors[0], "a.json:2:11: JSON syntax error: Unexpected token '}'", 'position found, message on one line');
  t.match(r.errors[1], /^b\.json:3:1: JSON syntax error: /);
  t.match(r.errors[2], /^c\.json:1:\d+: JSON syntax error: /);
  t.strictSame(r.objects, [], 'nothing from broken files');
});

t.test('a duplicate key is a YAML error with its line', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-cli-dup-'));
  writeFileSync(path.join(dir, 'd.yaml'), 'kind: A\nmetadata: {name: a}\nkind: B\n');
  const r = await loadSources(['d.yaml'], { cwd: dir, ...noStdin });
  t.strictSame(r.errors, ['d.yaml:3:1: YAML syntax error: Map keys must be unique']);
});

t.test('withNamespace: default for namespaced kinds, ClusterIssuers untouched, malformed metadata left to the schema rule', async (t) => {
  t.strictSame(withNamespace({ kind: 'SinglestoreOpsRequest', metadata: { name: 'a' } }), { kind: 'SinglestoreOpsRequest', metadata: { name: 'a', namespace: 'default' } });
  t.strictSame(withNamespace({ kind: 'SinglestoreOpsRequest' }), { kind: 'SinglestoreOpsRequest', metadata: { namespace: 'default' } });
  t.strictSame(withNamespace({ kind: 'ClusterIssuer', metadata: { name: 'c' } }), { kind: 'ClusterIssuer', metadata: { name: 'c' } });
  t.strictSame(withNamespace({ kind: 'SinglestoreOpsRequest', metadata: 'x' }), { kind: 'SinglestoreOpsRequest', metadata: 'x' });
  t.strictSame(withNamespace({ kind: 'Issuer', metadata: { name: 'i', namespace: 'demo' } }), { kind: 'Issuer', metadata: { name: 'i', namespace: 'demo' } });
});

t.test('buildView: inputs replace state objects but keep the state status; other groups are ignored', async (t) => {
  const stateDb = { apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { name: 'db', namespace: 'demo' }, spec: { version: '1' }, status: { phase: 'Ready' } };
  const stateOps = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'old', namespace: 'demo' }, spec: { type: 'Restart', databaseRef: { name: 'db' } }, status: { phase: 'Successful' } };
  const inputDb = { apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { name: 'db', namespace: 'demo' }, spec: { version: '2' } };
  const inputOps = { apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'old', namespace: 'demo' }, spec: { type: 'Restart', databaseRef: { name: 'db' } }, status: { phase: 'Pending' } };
  const foreign = { apiVersion: 'example.com/v1', kind: 'Issuer', metadata: { name: 'i', namespace: 'demo' } };
  const newIssuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'j' } };
  const v = buildView([stateDb, stateOps], [inputDb, inputOps, foreign, newIssuer]);
  t.strictSame(v.getSinglestore('demo', 'db'), { ...inputDb, status: { phase: 'Ready' } }, 'spec from the input, status from the state');
  t.strictSame(v.listOpsRequests('demo', 'db'), [{ ...inputOps, status: { phase: 'Successful' } }], 'the cluster status wins over a status written in the manifest');
  t.equal(v.getIssuer('demo', 'i'), undefined, 'an Issuer of another group is not a cert-manager Issuer');
  t.strictSame(v.getIssuer('default', 'j'), { ...newIssuer, metadata: { name: 'j', namespace: 'default' } }, 'a new input object without a namespace is in default');
});
