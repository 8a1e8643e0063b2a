// The RBAC table in docs/security.md and the rules the chart renders must be the same
// set, in every combination of reconcile and certificates.mode.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, render, type Obj } from './helm.js';

type When = 'always' | 'reconcile' | 'bootstrap';

interface Row {
  role: string; // e.g. "ClusterRole sdb-tls-guard-admission"
  when: When;
  group: string;
  resource: string;
  verbs: string[];
  resourceNames: string[];
}

const FULLNAME = 'sdb-tls-guard';
const BOOTSTRAP_SECRET = 'sdb-tls-guard-bootstrap-certs';

const unquote = (s: string) => s.replace(/`/g, '').trim();
const expand = (s: string) => s.replace(/<fullname>/g, FULLNAME).replace(/<bootstrap secret>/g, BOOTSTRAP_SECRET);

/** Rows of the table in the "## RBAC" section of docs/security.md. */
export function parseTable(markdown: string): Row[] {
  const start = markdown.indexOf('\n## RBAC\n');
  if (start === -1) throw new Error('docs/security.md has no "## RBAC" section');
  const rest = markdown.slice(start + 1);
  const next = rest.indexOf('\n## ', 3);
  const section = next === -1 ? rest : rest.slice(0, next);
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const [header, sep, ...body] = lines;
  if (!header || !sep) throw new Error('no table in the RBAC section');
  const cols = header.split('|').slice(1, -1).map((c) => c.trim());
  if (cols.join(',') !== 'Role,When,API group,Resource,Verbs,Resource names,Why') throw new Error(`unexpected RBAC table columns: ${cols.join(', ')}`);
  return body.map((line) => {
    const c = line.split('|').slice(1, -1).map((x) => x.trim());
    if (c.length !== 7) throw new Error(`RBAC table row with ${c.length} cells: ${line}`);
    const [role, when, group, resource, verbs, names, why] = c as [string, string, string, string, string, string, string];
    if (why.length < 10) throw new Error(`RBAC row without a reason: ${line}`);
    const w = unquote(when);
    return {
      role: expand(unquote(role)),
      when: w === 'always' ? 'always' : w === 'reconcile: true' ? 'reconcile' : w === 'certificates.mode: bootstrap' ? 'bootstrap' : (() => { throw new Error(`unknown When "${w}"`); })(),
      group: /^`""`/.test(group) ? '' : unquote(group),
      resource: unquote(resource),
      verbs: unquote(verbs).split(',').map((v) => v.trim()).filter(Boolean).sort(),
      resourceNames: unquote(names) === '' ? [] : unquote(expand(names)).split(',').map((v) => v.trim()).sort(),
    };
  });
}

/** One row per (rule, apiGroup, resource) of every rendered ClusterRole and Role. */
function renderedRows(objects: Obj[]): Omit<Row, 'when'>[] {
  const out: Omit<Row, 'when'>[] = [];
  for (const o of objects) {
    if (o.kind !== 'ClusterRole' && o.kind !== 'Role') continue;
    for (const r of o.rules as Obj[]) {
      for (const g of r.apiGroups as string[]) {
        for (const res of r.resources as string[]) {
          out.push({
            role: `${o.kind} ${o.metadata.name}`,
            group: g,
            resource: res,
            verbs: [...(r.verbs as string[])].sort(),
            resourceNames: [...((r.resourceNames as string[] | undefined) ?? [])].sort(),
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
  t.test(`reconcile=${c.reconcile}, certificates.mode=${c.mode}: rendered rules == table rows`, async (t) => {
    const objects = render({ set: [`reconcile=${c.reconcile}`, `certificates.mode=${c.mode}`] });
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

t.test('the parser rejects a row that does not match the chart', async (t) => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'security.md'), 'utf8').replace('| `get`, `patch` | | Fresh read', '| `get`, `patch`, `update` | | Fresh read');
  const tampered = parseTable(doc);
  const objects = render();
  const want = tampered.filter((r) => r.when !== 'bootstrap').map(key).sort();
  t.not(JSON.stringify(renderedRows(objects).map(key).sort()), JSON.stringify(want), 'an extra verb in the doc is a difference');
  t.throws(() => parseTable('# x\n\n## RBAC\n\n| Role | When |\n|---|---|\n'), /unexpected RBAC table columns/);
});
