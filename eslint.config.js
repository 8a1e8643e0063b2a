// `npm run lint`, and the first step of `npm test` (scripts/test.sh): ESLint's recommended
// rules and typescript-eslint's strict and stylistic type-checked sets, with type
// information from tsconfig.json (src, test, bench) through the project service. Files
// outside tsconfig.json (this file, scripts/*.mjs) are typed by the service's default
// project. Every relaxation below carries its reason; a disable comment in the code must
// be used (reportUnusedDisableDirectives) and should say why after `--`.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  // Worth it: most of its findings are one-token autofixes, and prefer-nullish-coalescing
  // and prefer-optional-chain catch `||` defaults that swallow 0 and false.
  tseslint.configs.stylisticTypeChecked,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Counts and sizes go into messages as they are; other non-strings (undefined above
      // all) must still be made text on purpose. (The options replace the strict set's, so
      // all are spelled out: the rule's own defaults allow any, nullish and booleans.)
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowNumber: true, allowRegExp: false },
      ],
      // tap runs and awaits its subtests itself: `t.test(...)` returns tap's
      // PromiseWithSubtest, which its documentation leaves unawaited at the top level.
      // Every other promise must still be awaited or handled.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // `record['key']` on an index signature marks a key that may be absent (the style
      // noPropertyAccessFromIndexSignature enforces); declared properties still use dots.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // A callback written `(l) => log(l)` returns nothing anyone reads; braces would only
      // add noise. Returning a void call from a block body is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `text || fallback` treats an empty string as missing on purpose (an empty env var is
      // unset, an empty message says nothing); `??` is still required for numbers, booleans
      // and objects.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // `const { secretName: _s, ...rest } = o` is how a copy without a key is made.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // @kubernetes/client-node declares its wire models (V1Lease, V1ObjectMeta, ...) as
      // data-only classes; its serializer and its own examples take plain objects, and a
      // literal is what is sent. The rule would ask for `new V1Lease()` and field writes.
      // Its other hits here are https responses' sockets, which are TLSSocket instances.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    // The one override for tests, where the strict set fights tap: tap ends a test when the
    // callback's promise settles, so `async (t) => { ... }` is how a test ends without
    // t.end(), awaiting or not; and a fake of an async port is async so that its throw is a
    // rejection, as the real port's is.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
