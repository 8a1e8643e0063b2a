// The RBAC table in docs/security.md and the rules the chart renders must be the same
// set, in every combination of reconcile and certificates.mode.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, isKind, render, type Obj } from './helm.js';
import { parseRbacTable, type RbacRow, type When } from './rbac-table.js';

type Row = RbacRow;

const FULLNAME = 'sdb-tls-guard';
const BOOTSTRAP_SECRET = 'sdb-tls-guard-bootstrap-certs';
const parseTable = (md: string) => parseRbacTable(md, { fullname: FULLNAME, bootstrapSecret: BOOTSTRAP_SECRET });

/** One row per (rule, apiGroup, resource) of every rendered ClusterRole and Role. */
function renderedRows(objects: Obj[]): Omit<Row, 'when'>[] {
  const out: Omit<Row, 'when'>[] = [];
  for (const o of objects) {
    if (!isKind(o, 'ClusterRole', 'Role')) continue;
    for (const r of o.rules ?? []) {
      for (const g of r.apiGroups ?? []) {
        for (const res of r.resources ?? []) {
          out.push({
            role: `${String(o.kind)} ${String(o.metadata?.name)}`,
            group: g,
            resource: res,
            verbs: [...r.verbs].sort(),
            resourceNames: [...(r.resourceNames ?? [])].sort(),
          });
        }
      }
    }
  }
  return out;
}

const key = (r: Omit<Row, 'when'>) => `${r.role} | ${r.group || '(core)'} | ${r.resource} | ${r.verbs.join(',')} | ${r.resourceNames.join(',')}`;

const rows = parseTable(readFileSync(path.join(ROOT, 'docs', 'security.md'), 'utf8'));

t.test('the table parses into rows with reasons', async (t) => {
  t.equal(rows.length, 23);
  t.equal(new Set(rows.map(key)).size, rows.length, 'no duplicate rows');
});

const COMBOS = [
  { reconcile: true, mode: 'cert-manager' },
  { reconcile: false, mode: 'cert-manager' },
  { reconcile: true, mode: 'bootstrap' },
  { reconcile: false, mode: 'bootstrap' },
] as const;

for (const c of COMBOS) {
  t.test(`reconcile=${String(c.reconcile)}, certificates.mode=${c.mode}: rendered rules == table rows`, async (t) => {
    const objects = render({ set: [`reconcile=${String(c.reconcile)}`, `certificates.mode=${c.mode}`] });
    const applies = (w: When) => w === 'always' || (w === 'reconcile' && c.reconcile) || (w === 'bootstrap' && c.mode === 'bootstrap');
    const want = rows.filter((r) => applies(r.when)).map(key).sort();
    const got = renderedRows(objects).map(key).sort();
    t.strictSame(got, want);
  });
}

t.test('no wildcard anywhere and no list/watch on Secrets', async (t) => {
  const objects = render({ set: ['certificates.mode=bootstrap'] });
  const all = renderedRows(objects);
  t.ok(all.length > 0);
  for (const r of all) {
    t.notOk(r.verbs.includes('*') || r.resource.includes('*') || r.group === '*', `no wildcard: ${key(r)}`);
    if (r.resource === 'secrets') t.notOk(r.verbs.includes('list') || r.verbs.includes('watch'), `secrets not enumerable: ${key(r)}`);
  }
});

t.test('Secrets: the reconciler may only delete them; the one readable Secret is the bootstrap Secret', async (t) => {
  const all = renderedRows(render({ set: ['reconcile=true', 'certificates.mode=bootstrap'] })).filter((r) => r.resource === 'secrets');
  t.strictSame(
    all.map((r) => [r.role, r.verbs, r.resourceNames]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [
      ['ClusterRole sdb-tls-guard-reconciler', ['delete'], []],
      ['Role sdb-tls-guard', ['create'], []],
      ['Role sdb-tls-guard', ['get', 'update'], [BOOTSTRAP_SECRET]],
    ],
  );
});

t.test('ops requests: the reconciler reads them one by one; list/watch only through the admission informers', async (t) => {
  const all = renderedRows(render({ set: ['reconcile=true'] })).filter((r) => r.resource === 'singlestoreopsrequests');
  t.strictSame(all.map((r) => [r.role, r.verbs]).sort(), [
    ['ClusterRole sdb-tls-guard-admission', ['list', 'watch']],
    ['ClusterRole sdb-tls-guard-reconciler', ['get']],
  ]);
});

t.test('the parser rejects a row that does not match the chart', async (t) => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'security.md'), 'utf8').replace('| `get`, `patch` | | Fresh read', '| `get`, `patch`, `update` | | Fresh read');
  const tampered = parseTable(doc);
  const objects = render();
  const want = tampered.filter((r) => r.when !== 'bootstrap').map(key).sort();
  t.not(JSON.stringify(renderedRows(objects).map(key).sort()), JSON.stringify(want), 'an extra verb in the doc is a difference');
  t.throws(() => parseTable('# x\n\n## RBAC\n\n| Role | When |\n|---|---|\n'), /unexpected RBAC table columns/);
});
