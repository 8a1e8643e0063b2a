// The RBAC table of docs/security.md, parsed (shared by test/install/rbac.test.ts and
// the e2e tier, which checks every row against a real RBAC authorizer).

export type When = 'always' | 'reconcile' | 'bootstrap';

export interface RbacRow {
  /** "ClusterRole <name>" or "Role <name>", with <fullname> expanded. */
  role: string;
  when: When;
  group: string;
  resource: string;
  verbs: string[];
  resourceNames: string[];
}

const unquote = (s: string) => s.replace(/`/g, '').trim();

/** Rows of the table in the "## RBAC" section; `<fullname>` and `<bootstrap secret>`
 *  are replaced by the given names. */
export function parseRbacTable(markdown: string, names: { fullname: string; bootstrapSecret: string }): RbacRow[] {
  const expand = (s: string) => s.replace(/<fullname>/g, names.fullname).replace(/<bootstrap secret>/g, names.bootstrapSecret);
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
    const [role, when, group, resource, verbs, rnames, why] = c as [string, string, string, string, string, string, string];
    if (why.length < 10) throw new Error(`RBAC row without a reason: ${line}`);
    const w = unquote(when);
    let parsedWhen: When;
    if (w === 'always') parsedWhen = 'always';
    else if (w === 'reconcile: true') parsedWhen = 'reconcile';
    else if (w === 'certificates.mode: bootstrap') parsedWhen = 'bootstrap';
    else throw new Error(`unknown When "${w}" in: ${line}`);
    return {
      role: expand(unquote(role)),
      when: parsedWhen,
      group: group.startsWith('`""`') ? '' : unquote(group),
      resource: unquote(resource),
      verbs: unquote(verbs).split(',').map((v) => v.trim()).filter(Boolean).sort(),
      resourceNames: unquote(rnames) === '' ? [] : unquote(expand(rnames)).split(',').map((v) => v.trim()).sort(),
    };
  });
}
