// `node scripts/bundle.mjs [DIR]`: the compiled service (DIR/dist/src, from tsc) and the
// dependencies it imports (DIR/node_modules) as ONE ES module,
// DIR/dist/bundle/sdb-tls-guard.mjs: what the container image runs
// (scripts/build-image.sh, Dockerfile: DIR is a tree with only the production
// dependencies, `npm ci --omit=dev`), what `npm start` and the e2e tier run (DIR is the
// repository, default; scripts/ensure-deps.sh makes it after tsc).
//
// What it buys, measured (BENCHMARKS.md "Cache memory"): Node keeps a module record, its
// URL and its source text for every one of the ~3,000 files dist/src and node_modules
// load (2,556 of them are @kubernetes/client-node's generated models); one file of code
// with the whitespace taken out is ~50 MiB less RSS for the same program, idle and with
// 10,000 cached objects. Identifiers are kept (no renaming), so stack traces and class
// names in logs read as in the sources. The bundle holds the same code as dist/src: it is
// made from the very files the tests run.
//
// Next to it (shipped with it in the image):
//   sdb-tls-guard.mjs.LEGAL.txt   the legal comments esbuild found in the code;
//   THIRD-PARTY-NOTICES.txt       each bundled package (name, version, licence) with the
//                                 text of its LICENSE/NOTICE files;
//   packages.json                 the bundled packages, [{name, version, license}] sorted
//                                 (the image build checks them against its SBOM).
// And not shipped: meta.json, esbuild's metafile (every input file and its size).
//
// Only production packages of package-lock.json go in. A dependency's optional require of
// a package that is not one (debug's `require('supports-color')`, in a try block) gets a
// module that throws MODULE_NOT_FOUND, as the require does in the production tree where
// the package is not installed. So the bundle made in the repository (dev packages
// installed) is byte for byte the one made in the image's production tree, and the e2e
// tier tests what ships (test/image/archive.test.ts compares their hashes).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// The shapes read here (JSDoc, so the linter's type-aware rules check their use):
/** @typedef {{ packages: Record<string, { version?: string, dev?: boolean }> }} Lockfile package-lock.json v3 */
/** @typedef {{ name: string, version: string, license?: unknown }} PackageJson the fields read of a package.json */

/** @param {string} p @returns {unknown} */
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
/** @param {string} line */
const say = (line) => process.stderr.write(`bundle: ${line}\n`);

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
if (!existsSync(join(root, 'dist', 'src', 'main.js'))) {
  say(`${join(root, 'dist', 'src', 'main.js')} is missing (compile first: tsc -p tsconfig.json)`);
  process.exit(1);
}
const outdir = join(root, 'dist', 'bundle');
mkdirSync(outdir, { recursive: true });

const lock = /** @type {Lockfile} */ (readJson(join(root, 'package-lock.json')));
const production = new Set(Object.entries(lock.packages).filter(([p, v]) => p !== '' && !v.dev).map(([p]) => p));
/** @type {Set<string>} */
const leftOut = new Set();
/**
 * The innermost node_modules/<name> (or node_modules/@scope/<name>) of a path.
 * @param {string} file
 * @returns {string | undefined}
 */
const packageDir = (file) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)(?:\/|$)/.exec(file)?.[1];
/** @type {import('esbuild').Plugin} */
const productionOnly = {
  name: 'production-packages-only',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      /** @type {unknown} */
      const data = args.pluginData;
      if ((typeof data === 'object' && data !== null && 'resolving' in data) || args.path.startsWith('node:') || args.kind === 'entry-point') return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { resolving: true } });
      if (r.errors.length === 0 && (r.external || r.path === '' || r.namespace !== 'file')) return r;
      const dir = r.errors.length === 0 ? packageDir(relative(root, r.path)) : undefined;
      if (dir === undefined && r.errors.length === 0) return r;
      if (dir !== undefined && production.has(dir)) return r;
      leftOut.add(args.path);
      return { path: args.path, namespace: 'not-a-production-package' };
    });
    b.onLoad({ filter: /.*/, namespace: 'not-a-production-package' }, (args) => ({
      contents: `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}' (not a production dependency; left out of the bundle)`)}); e.code = 'MODULE_NOT_FOUND'; throw e;`,
      loader: 'js',
    }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/main.js'],
  outfile: 'dist/bundle/sdb-tls-guard.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // CommonJS dependencies call require() for Node's own modules; an ES module has none.
  banner: { js: "import { createRequire as __sdbCreateRequire } from 'node:module';\nconst require = __sdbCreateRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [productionOnly],
  // The input is tsc's output: no tsconfig.json applies (the repository's would add
  // "use strict" to every module and make this bundle differ from the image's).
  tsconfigRaw: {},
});
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));

// The packages whose files went in: node_modules/<name>/ or node_modules/@scope/<name>/,
// the innermost node_modules of each input path (a nested copy is its own package).
/** @type {Set<string>} */
const dirs = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const dir = packageDir(input);
  if (dir !== undefined && !input.startsWith('not-a-production-package:')) dirs.add(dir);
}
/** @type {{ name: string, version: string, license: string }[]} */
const packages = [];
/** @type {string[]} */
const notices = [];
for (const dir of [...dirs].sort()) {
  const pkg = /** @type {PackageJson} */ (readJson(join(root, dir, 'package.json')));
  const license = typeof pkg.license === 'string' ? pkg.license : 'UNKNOWN';
  packages.push({ name: pkg.name, version: pkg.version, license });
  const texts = readdirSync(join(root, dir))
    .filter((f) => /^(licen[cs]e|notice|copying)/i.test(f))
    .sort()
    .map((f) => readFileSync(join(root, dir, f), 'utf8').trim());
  notices.push(`${pkg.name}@${pkg.version} (${license})\n\n${texts.length ? texts.join('\n\n') : `No licence file in the package; its package.json says: ${license}.`}`);
}
packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
writeFileSync(join(outdir, 'packages.json'), `${JSON.stringify(packages, null, 2)}\n`);
writeFileSync(join(outdir, 'THIRD-PARTY-NOTICES.txt'), `The sdb-tls-guard bundle contains these packages.\n\n${notices.join(`\n\n${'-'.repeat(78)}\n\n`)}\n`);
const out = result.metafile.outputs['dist/bundle/sdb-tls-guard.mjs'];
say(`${join(outdir, 'sdb-tls-guard.mjs')}, ${out ? (out.bytes / 2 ** 20).toFixed(1) : '?'} MiB from ${Object.keys(result.metafile.inputs).length} files of dist/src and ${packages.length} packages${leftOut.size ? `; left out (not production packages): ${[...leftOut].sort().join(', ')}` : ''}`);
