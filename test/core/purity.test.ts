// DESIGN: the core is pure. No fastify, client-node, node:fs/net/tls, process.env or clock.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// All of src/core (rules, defaults, review, the reconcile planner, cert renewal, names, quoting) and the schemas.
const MINE = ['src/core', 'src/api/schema.ts'];

function files(p: string): string[] {
  const abs = join(ROOT, p);
  if (statSync(abs).isFile()) return [abs];
  return readdirSync(abs).flatMap((n) => files(relative(ROOT, join(abs, n))));
}

const FORBIDDEN: [RegExp, string][] = [
  [/from ['"](node:)?(fs|net|tls|http|https|child_process)(\/promises)?['"]/, 'node I/O module'],
  [/from ['"]fastify/, 'fastify'],
  [/from ['"]@kubernetes\/client-node/, 'client-node'],
  [/process\.env/, 'process.env'],
  [/Date\.now\(|new Date\(/, 'the clock'],
  [/Math\.random\(/, 'randomness'],
];

t.test('engine files stay pure', async (t) => {
  const all = MINE.flatMap(files).filter((f) => f.endsWith('.ts'));
  t.ok(all.length >= 10, `${all.length} files checked`);
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    for (const [re, what] of FORBIDDEN) t.notMatch(text, re, `${relative(ROOT, f)} uses no ${what}`);
  }
});

// Imports run one way: api ← core ← admission, cli, kube ← server, controller ← main.
// metrics.ts (the prom-client registry, no project imports) sits below kube, whose
// informers report their cache sizes; config.ts (flags → Config) sits with main.
const LAYER = new Map<string, number>(Object.entries({ api: 0, core: 1, metrics: 1.5, admission: 2, cli: 2, kube: 2, server: 3, controller: 3, config: 4, main: 4 }));
const layerOf = (rel: string): string => {
  const top = (rel.replace(/^src\//, '').split('/')[0] ?? '').replace(/\.ts$/, '');
  return top;
};

t.test('imports run one way (no import from a higher layer or across server/controller)', async (t) => {
  const all = files('src').filter((f) => f.endsWith('.ts'));
  t.ok(all.length >= 40, `${all.length} files checked`);
  for (const f of all) {
    const rel = relative(ROOT, f);
    const from = layerOf(rel);
    for (const [, spec = ''] of readFileSync(f, 'utf8').matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) {
      const target = relative(ROOT, join(dirname(f), spec)).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      const fromLayer = LAYER.get(from);
      const toLayer = LAYER.get(to);
      if (to === from || fromLayer === undefined || toLayer === undefined) continue;
      const ok = toLayer < fromLayer || (from === 'main' && to === 'config');
      t.ok(ok, `${rel} imports ${target} (${from} → ${to})`);
    }
  }
});
