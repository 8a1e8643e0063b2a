// The lint gate can fail: the project's own eslint.config.js, through ESLint's API with
// type information, reports a snippet that breaks strict rules and passes the same
// snippet written right; and `npm test` runs `npm run lint` and counts its failure.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT } from './helm.js';

// The snippets are linted as files of a throw-away project outside the repository (so
// `npm run lint` never sees them), with the repository's compiler options and its
// eslint.config.js; only the project that types them is swapped for the throw-away one.
const dir = mkdtempSync(path.join(tmpdir(), 'sdb-lint-probe-'));
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true });
});
writeFileSync(
  path.join(dir, 'tsconfig.json'),
  JSON.stringify({ extends: path.join(ROOT, 'tsconfig.json'), compilerOptions: { types: [], rootDir: '.' }, include: ['*.ts'] }),
);

const BAD = `export async function probe(load: () => Promise<string | undefined>, n: number): Promise<string> {
  const v = await load();
  load();
  return \`\${n} items: \${v}\`;
}
`;

const GOOD = `export async function probe(load: () => Promise<string | undefined>, n: number): Promise<string> {
  const v = await load();
  await load();
  return \`\${n} items: \${v ?? 'none'}\`;
}
`;

// Both files are written before the first lint: with CI=true typescript-eslint runs in
// single-run mode and builds the probe project's program once, from the files its include
// matches at that moment; a file written after it is "not found in any of the provided
// project(s)" (CI failed so; `CI=true tap test/install/lint.test.ts` shows it).
const PROBES = { 'bad.ts': BAD, 'good.ts': GOOD } as const;
for (const [name, code] of Object.entries(PROBES)) writeFileSync(path.join(dir, name), code);

const eslint = new ESLint({
  cwd: dir,
  overrideConfigFile: path.join(ROOT, 'eslint.config.js'),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: path.join(dir, 'tsconfig.json'), tsconfigRootDir: dir } } },
});

async function ruleIds(name: keyof typeof PROBES): Promise<string[]> {
  const file = path.join(dir, name);
  const [result] = await eslint.lintFiles([file]);
  if (result === undefined) throw new Error('ESLint returned no result for the probe');
  return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`).sort();
}

t.test('the config reports a floating promise and an undefined in a message, typed', async (t) => {
  t.strictSame(await ruleIds('bad.ts'), ['@typescript-eslint/no-floating-promises', '@typescript-eslint/restrict-template-expressions']);
});

t.test('the same code written right passes (a number in a message is allowed)', async (t) => {
  t.strictSame(await ruleIds('good.ts'), []);
});

t.test('npm test runs the lint step first and counts its failure as one failed', (t) => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.equal(pkg.scripts['lint'], 'eslint --max-warnings=0 .');
  const sh = readFileSync(path.join(ROOT, 'scripts', 'test.sh'), 'utf8');
  const lint = sh.indexOf('npm run --silent lint');
  t.ok(lint > 0 && lint < sh.indexOf('./node_modules/.bin/tap'), 'lint runs before the tap tiers');
  t.match(sh, /"\$logs\/lint\.rc" "\$logs\/unit\.log" "\$logs\/e2e\.log"/, 'the total reads the lint status');
  t.end();
});
