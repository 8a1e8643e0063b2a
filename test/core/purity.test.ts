// DESIGN: the core is pure. No fastify, client-node, node:fs/net/tls, process.env or clock.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MINE = ['src/core/engine.ts', 'src/core/defaults.ts', 'src/core/review.ts', 'src/core/memory-view.ts', 'src/core/policy-load.ts', 'src/core/rules', 'src/api/schema.ts'];

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
