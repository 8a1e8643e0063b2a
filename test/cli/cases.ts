// The CLI case table, run both in-process (check.test.ts) and through the built bin
// (process.test.ts). Expected results are SPEC's (sections 2, 3, 4) for the fixtures
// under test/fixtures/cli and test/fixtures/worked; every case names its exact
// expectations.
import { TYPE_TEXT } from '../../src/core/field/errors.js';
import type { FieldErrorType } from '../../src/core/field/errors.js';
import type { Test } from 'tap';
import type { RunOutput, RunOptions } from './harness.js';

/** The few assertions the table needs (tap's Test has them all). */
export type Assert = Pick<Test, 'equal' | 'strictSame' | 'match' | 'ok'>;

export const F = 'test/fixtures/cli';
export const W = 'test/fixtures/worked';

export const PATCH_APPLY = { op: 'add', path: '/spec/apply', value: 'IfReady' };
export const PATCH_TIMEOUT = { op: 'add', path: '/spec/timeout', value: '10m' };

/** SPEC 4's example: a rotate of the paused database in cases/paused (--state or --cluster). */
export const PAUSED_RESULTS: Expected[] = [
  {
    source: `${F}/cases/paused/ops.yaml#1`,
    namespace: 'demo',
    name: 'sdbops-rotate',
    allowed: false,
    errors: [{ rule: 'database-paused', field: 'spec.databaseRef', type: 'Forbidden' }],
    warnings: [{ rule: 'op-in-flight', field: 'spec.databaseRef' }],
    patch: [PATCH_APPLY, PATCH_TIMEOUT],
    notEvaluated: [],
  },
];
export const PAUSED_SUMMARY = { checked: 1, denied: 1, warned: 1 };

/** The eleven cluster rules of SPEC 3b. */
export const CLUSTER_RULES = [
  'database-exists',
  'database-halted',
  'database-paused',
  'tls-op-in-flight',
  'tls-op-superseded',
  'op-in-flight',
  'tls-not-enabled',
  'issuer-exists',
  'issuer-not-ready',
  'database-not-ready',
  'no-op',
];

/** What a result must be, messages left out (they are checked for their field/type prefix). */
export interface Expected {
  source: string;
  namespace: string;
  name: string;
  allowed: boolean;
  errors: { rule: string; field?: string; type: FieldErrorType }[];
  warnings: { rule: string; field?: string }[];
  patch: unknown[];
  notEvaluated: string[];
}

type Json = Record<string, unknown>;

/** Check one JSON document against SPEC 4's exact shape and the expected results. */
export function checkJson(t: Assert, stdout: string, expected: Expected[], summary: { checked: number; denied: number; warned: number }): void {
  let doc: Json;
  try {
    doc = JSON.parse(stdout) as Json;
  } catch (e) {
    t.ok(false, `stdout is one JSON document: ${(e as Error).message}\n${stdout}`);
    return;
  }
  t.strictSame(Object.keys(doc), ['results', 'summary'], 'top-level keys');
  t.strictSame(doc.summary, summary, 'summary');
  const results = doc.results as Json[];
  t.equal(results.length, expected.length, 'number of results');
  expected.forEach((want, i) => {
    const got = results[i];
    if (!got) return;
    const at = `results[${i}] ${want.source} ${want.name}`;
    t.strictSame(Object.keys(got), ['source', 'namespace', 'name', 'allowed', 'errors', 'warnings', 'patch', 'notEvaluated'], `${at}: keys`);
    t.equal(got.source, want.source, `${at}: source`);
    t.equal(got.namespace, want.namespace, `${at}: namespace`);
    t.equal(got.name, want.name, `${at}: name`);
    t.equal(got.allowed, want.allowed, `${at}: allowed`);
    t.strictSame(got.patch, want.patch, `${at}: patch`);
    t.strictSame([...(got.notEvaluated as string[])].sort(), [...want.notEvaluated].sort(), `${at}: notEvaluated`);
    const errors = got.errors as Json[];
    t.strictSame(
      errors.map((e) => e.rule),
      want.errors.map((e) => e.rule),
      `${at}: error rule ids`,
    );
    errors.forEach((e, j) => {
      const w = want.errors[j];
      t.strictSame(Object.keys(e), ['rule', 'field', 'type', 'message'], `${at}: errors[${j}] keys`);
      if (!w) return;
      t.equal(e.type, w.type, `${at}: errors[${j}].type`);
      if (w.field !== undefined) t.equal(e.field, w.field, `${at}: errors[${j}].field`);
      t.ok(typeof e.message === 'string' && e.message.startsWith(`${String(e.field)}: ${TYPE_TEXT[w.type]}`), `${at}: errors[${j}].message "${String(e.message)}" reads like the API server's`);
    });
    const warnings = got.warnings as Json[];
    t.strictSame(
      warnings.map((w) => w.rule).sort(),
      want.warnings.map((w) => w.rule).sort(),
      `${at}: warning rule ids`,
    );
    warnings.forEach((w, j) => {
      t.strictSame(Object.keys(w), ['rule', 'field', 'message'], `${at}: warnings[${j}] keys`);
      const ww = want.warnings.find((x) => x.rule === w.rule);
      if (ww?.field !== undefined) t.equal(w.field, ww.field, `${at}: warnings[${j}].field`);
      t.ok(typeof w.message === 'string' && w.message.length > 0, `${at}: warnings[${j}].message`);
    });
  });
}

export interface Case {
  name: string;
  argv: string[];
  opts?: RunOptions;
  code: 0 | 1 | 2;
  verify: (t: Assert, out: RunOutput) => void;
}

const rotateAllowed = (source: string, namespace = 'demo'): Expected => ({
  source,
  namespace,
  name: 'sdbops-rotate',
  allowed: true,
  errors: [],
  warnings: [],
  patch: [PATCH_APPLY, PATCH_TIMEOUT],
  notEvaluated: [],
});

const nothingOnStdout = (t: Assert, out: RunOutput): void => {
  t.equal(out.stdout, '', 'nothing half-reported on stdout');
};

export const CASES: Case[] = [
  {
    name: 'exit 0: a worked request allowed against its state (json)',
    argv: ['--output', 'json', '--state', `${W}/state-tls.yaml`, `${W}/rotate.yaml`],
    code: 0,
    verify: (t, out) => checkJson(t, out.stdout, [rotateAllowed(`${W}/rotate.yaml#1`)], { checked: 1, denied: 0, warned: 0 }),
  },
  {
    name: 'exit 0: text output of an allowed request names the patch',
    argv: ['--state', `${W}/state-tls.yaml`, `${W}/rotate.yaml`],
    code: 0,
    verify: (t, out) =>
      t.equal(
        out.stdout,
        `${W}/rotate.yaml#1: SinglestoreOpsRequest demo/sdbops-rotate: allowed (2 defaults: add /spec/apply="IfReady", add /spec/timeout="10m")\n` +
          '1 SinglestoreOpsRequest checked: 1 allowed, 0 denied, 0 with warnings\n',
      ),
  },
  {
    name: "exit 1: SPEC 4's example, a rotate on a paused database (json)",
    argv: ['-o', 'json', '--state', `${F}/cases/paused/state.yaml`, `${F}/cases/paused/ops.yaml`],
    code: 1,
    verify: (t, out) =>
      checkJson(
        t,
        out.stdout,
        PAUSED_RESULTS,
        PAUSED_SUMMARY,
      ),
  },
  {
    name: 'exit 1: text output, one line per finding with source and rule id',
    argv: ['--state', `${F}/cases/paused/state.yaml`, `${F}/cases/paused/ops.yaml`],
    code: 1,
    verify: (t, out) => {
      const lines = out.stdout.split('\n');
      t.equal(lines.length, 4, 'three lines and the final newline');
      t.ok(lines[0]?.startsWith(`${F}/cases/paused/ops.yaml#1: SinglestoreOpsRequest demo/sdbops-rotate: denied: [database-paused] spec.databaseRef: Forbidden: `), lines[0] ?? '');
      t.ok(lines[1]?.startsWith(`Warning: ${F}/cases/paused/ops.yaml#1: SinglestoreOpsRequest demo/sdbops-rotate: [op-in-flight] spec.databaseRef: `), lines[1] ?? '');
      t.equal(lines[2], '1 SinglestoreOpsRequest checked: 0 allowed, 1 denied, 1 with warnings');
      t.equal(lines[3], '');
    },
  },
  {
    name: 'no state: cluster rules are listed in notEvaluated, never passed (json)',
    argv: ['--output=json', `${W}/rotate.yaml`],
    code: 0,
    verify: (t, out) => checkJson(t, out.stdout, [{ ...rotateAllowed(`${W}/rotate.yaml#1`), notEvaluated: CLUSTER_RULES }], { checked: 1, denied: 0, warned: 0 }),
  },
  {
    name: 'no state: the text output says so on a line of its own and in the summary',
    argv: [`${W}/rotate.yaml`],
    code: 0,
    verify: (t, out) =>
      t.equal(
        out.stdout,
        `${W}/rotate.yaml#1: SinglestoreOpsRequest demo/sdbops-rotate: allowed (2 defaults: add /spec/apply="IfReady", add /spec/timeout="10m")\n` +
          `${W}/rotate.yaml#1 demo/sdbops-rotate: 11 cluster rules not evaluated (no --state or --cluster)\n` +
          '1 SinglestoreOpsRequest checked: 1 allowed, 0 denied, 0 with warnings; cluster rules NOT evaluated (give --state or --cluster)\n',
      ),
  },
  {
    name: 'stdin: - reads a manifest, source -#1',
    argv: ['--output', 'json', '--state', `${W}/state-tls.yaml`, '-'],
    opts: { stdin: 'apiVersion: ops.kubedb.com/v1alpha1\nkind: SinglestoreOpsRequest\nmetadata:\n  name: sdbops-rotate\n  namespace: demo\nspec:\n  type: ReconfigureTLS\n  databaseRef:\n    name: sample-sdb\n  tls:\n    rotateCertificates: true\n' },
    code: 0,
    verify: (t, out) => checkJson(t, out.stdout, [rotateAllowed('-#1')], { checked: 1, denied: 0, warned: 0 }),
  },
  {
    name: 'stdin: multi-document YAML counts documents from 1',
    argv: ['--output', 'json', '-'],
    opts: {
      stdin:
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n# only a comment\n---\n' +
        'apiVersion: ops.kubedb.com/v1alpha1\nkind: SinglestoreOpsRequest\nmetadata: {name: sdbops-rotate, namespace: demo}\nspec: {type: ReconfigureTLS, databaseRef: {name: sample-sdb}, tls: {rotateCertificates: true}}\n',
    },
    code: 0,
    verify: (t, out) => checkJson(t, out.stdout, [{ ...rotateAllowed('-#3'), notEvaluated: CLUSTER_RULES }], { checked: 1, denied: 0, warned: 0 }),
  },
  {
    name: 'the same request twice: both checked, a note names both sources',
    argv: ['--output', 'json', '-'],
    opts: {
      stdin:
        'apiVersion: ops.kubedb.com/v1alpha1\nkind: SinglestoreOpsRequest\nmetadata: {name: a}\nspec: {type: Restart, databaseRef: {name: x}}\n---\n' +
        'apiVersion: ops.kubedb.com/v1alpha1\nkind: SinglestoreOpsRequest\nmetadata: {name: a}\nspec: {type: Restart, databaseRef: {name: x}}\n',
    },
    code: 0,
    verify: (t, out) => {
      const restart = (source: string): Expected => ({ source, namespace: 'default', name: 'a', allowed: true, errors: [], warnings: [], patch: [], notEvaluated: [] });
      checkJson(t, out.stdout, [restart('-#1'), restart('-#2')], { checked: 2, denied: 0, warned: 0 });
      t.equal(out.stderr, 'note: -#2: SinglestoreOpsRequest default/a also appears in -#1; the last one is what the cluster will hold\n');
    },
  },
  {
    name: 'List input: kind List and a typed *List (items without kind), sorted files, List items share the List document index',
    argv: ['--output', 'json', `${F}/list`],
    code: 0,
    verify: (t, out) =>
      checkJson(
        t,
        out.stdout,
        [
          { ...rotateAllowed(`${F}/list/ops-list.yaml#1`), notEvaluated: CLUSTER_RULES },
          { source: `${F}/list/ops-list.yaml#1`, namespace: 'demo', name: 'sdbops-remove', allowed: true, errors: [], warnings: [], patch: [PATCH_APPLY, PATCH_TIMEOUT], notEvaluated: CLUSTER_RULES },
          { source: `${F}/list/typed-list.json#1`, namespace: 'staging', name: 'sdbops-update-tls', allowed: true, errors: [], warnings: [], patch: [PATCH_APPLY, PATCH_TIMEOUT], notEvaluated: CLUSTER_RULES },
        ],
        { checked: 3, denied: 0, warned: 0 },
      ),
  },
  {
    // SPEC 3b (issue 12): a not-yet-started TLS sibling no longer denies; the newest runs
    // and the older one is Skipped, so each is admitted with tls-op-superseded naming the other.
    name: 'List input with state: two TLS requests for one database in one apply supersede each other',
    argv: ['--output', 'json', '--state', `${W}/state-tls.yaml`, `${F}/list/ops-list.yaml`],
    code: 0,
    verify: (t, out) =>
      checkJson(
        t,
        out.stdout,
        [
          { source: `${F}/list/ops-list.yaml#1`, namespace: 'demo', name: 'sdbops-rotate', allowed: true, errors: [], warnings: [{ rule: 'tls-op-superseded', field: 'spec.databaseRef' }], patch: [PATCH_APPLY, PATCH_TIMEOUT], notEvaluated: [] },
          { source: `${F}/list/ops-list.yaml#1`, namespace: 'demo', name: 'sdbops-remove', allowed: true, errors: [], warnings: [{ rule: 'tls-op-superseded', field: 'spec.databaseRef' }], patch: [PATCH_APPLY, PATCH_TIMEOUT], notEvaluated: [] },
        ],
        { checked: 2, denied: 0, warned: 2 },
      ),
  },
  {
    name: 'JSON input without a namespace lands in default, like kubectl apply',
    argv: ['--output', 'json', '--state', `${F}/json/state-default-ns.yaml`, `${F}/json/rotate.json`],
    code: 0,
    verify: (t, out) => checkJson(t, out.stdout, [rotateAllowed(`${F}/json/rotate.json#1`, 'default')], { checked: 1, denied: 0, warned: 0 }),
  },
  {
    name: 'state merging: the manifests (database, new Issuer, request, finished request) checked as the cluster will hold them',
    argv: ['--output', 'json', '--state', `${F}/merge/state`, `${F}/merge/manifests`],
    code: 0,
    verify: (t, out) =>
      checkJson(
        t,
        out.stdout,
        [
          {
            source: `${F}/merge/manifests/20-ops.yaml#1`,
            namespace: 'demo',
            name: 'sdbops-add-tls',
            allowed: true,
            errors: [],
            // the Issuer is applied in the same go: it exists but is not Ready yet; the
            // finished Restart keeps the cluster's status (Successful): no op-in-flight
            warnings: [{ rule: 'issuer-not-ready', field: 'spec.tls.issuerRef.name' }],
            patch: [PATCH_APPLY, PATCH_TIMEOUT],
            notEvaluated: [],
          },
          { source: `${F}/merge/manifests/old/restart.yaml#1`, namespace: 'demo', name: 'sdbops-restart-old', allowed: true, errors: [], warnings: [], patch: [], notEvaluated: [] },
        ],
        { checked: 2, denied: 0, warned: 1 },
      ),
  },
  {
    name: 'state merging: without the Issuer from the manifests the request is denied',
    argv: ['--output', 'json', '--state', `${F}/merge/state`, `${F}/merge/manifests/20-ops.yaml`],
    code: 1,
    verify: (t, out) =>
      checkJson(
        t,
        out.stdout,
        [
          {
            source: `${F}/merge/manifests/20-ops.yaml#1`,
            namespace: 'demo',
            name: 'sdbops-add-tls',
            allowed: false,
            errors: [{ rule: 'issuer-exists', field: 'spec.tls.issuerRef.name', type: 'NotFound' }],
            warnings: [],
            patch: [PATCH_APPLY, PATCH_TIMEOUT],
            notEvaluated: [],
          },
        ],
        { checked: 1, denied: 1, warned: 0 },
      ),
  },
  {
    name: 'state merging: an empty state directory, the manifests alone make the view',
    argv: ['--output', 'json', '--state', `${F}/empty`, `${F}/merge/manifests`],
    code: 0,
    verify: (t, out) => {
      checkJson(
        t,
        out.stdout,
        [
          {
            source: `${F}/merge/manifests/20-ops.yaml#1`,
            namespace: 'demo',
            name: 'sdbops-add-tls',
            allowed: true,
            errors: [],
            // a new database is not Ready; the Restart request (no status) is pending
            warnings: [{ rule: 'database-not-ready', field: 'spec.apply' }, { rule: 'issuer-not-ready', field: 'spec.tls.issuerRef.name' }, { rule: 'op-in-flight', field: 'spec.databaseRef' }],
            patch: [PATCH_APPLY, PATCH_TIMEOUT],
            notEvaluated: [],
          },
          { source: `${F}/merge/manifests/old/restart.yaml#1`, namespace: 'demo', name: 'sdbops-restart-old', allowed: true, errors: [], warnings: [], patch: [], notEvaluated: [] },
        ],
        { checked: 2, denied: 0, warned: 1 },
      );
      t.match(out.stderr, `note: --state ${F}/empty: directory holds no *.yaml, *.yml or *.json file`);
    },
  },
  {
    name: 'policy: allowedIssuers denies an Issuer the policy does not list',
    argv: ['--output', 'json', '--state', `${W}/state.yaml`, '--policy', `${F}/policy/policy.yaml`, `${W}/add-tls.yaml`],
    code: 1,
    verify: (t, out) =>
      checkJson(
        t,
        out.stdout,
        [
          {
            source: `${W}/add-tls.yaml#1`,
            namespace: 'demo',
            name: 'sdbops-add-tls',
            allowed: false,
            errors: [{ rule: 'allowed-issuers', type: 'NotSupported' }],
            warnings: [],
            patch: [PATCH_APPLY, PATCH_TIMEOUT],
            notEvaluated: [],
          },
        ],
        { checked: 1, denied: 1, warned: 0 },
      ),
  },
  {
    name: '--default-timeout sets the value the default-timeout default writes',
    argv: ['--output', 'json', '--default-timeout', '15m', '--state', `${W}/state-tls.yaml`, `${W}/rotate.yaml`],
    code: 0,
    verify: (t, out) =>
      checkJson(t, out.stdout, [{ ...rotateAllowed(`${W}/rotate.yaml#1`), patch: [PATCH_APPLY, { ...PATCH_TIMEOUT, value: '15m' }] }], { checked: 1, denied: 0, warned: 0 }),
  },
  {
    name: 'no SinglestoreOpsRequest in the inputs: exit 0, empty results, a note on stderr',
    argv: ['--output', 'json', `${F}/nothing`],
    code: 0,
    verify: (t, out) => {
      t.strictSame(JSON.parse(out.stdout), { results: [], summary: { checked: 0, denied: 0, warned: 0 } });
      t.match(out.stderr, `note: no SinglestoreOpsRequest found in ${F}/nothing: nothing to check`);
    },
  },
  {
    name: 'exit 2: an unreadable path is named',
    argv: ['--state', `${W}/state.yaml`, `${F}/no-such-dir/ops.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.equal(out.stderr, `error: ${F}/no-such-dir/ops.yaml: cannot read: no such file or directory\n`);
    },
  },
  {
    name: 'exit 2: an unreadable --state path is named',
    argv: ['--state', `${F}/missing-state.yaml`, `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.equal(out.stderr, `error: --state ${F}/missing-state.yaml: cannot read: no such file or directory\n`);
    },
  },
  {
    name: 'exit 2: YAML and JSON syntax errors name file and line; the good file beside them is not reported',
    argv: [`${F}/bad-yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      const lines = out.stderr.trimEnd().split('\n');
      t.equal(lines.length, 2, 'one line per broken file');
      t.match(lines[0], new RegExp(`^error: ${F}/bad-yaml/b-bad\\.yaml:8:3: YAML syntax error: `));
      t.match(lines[1], new RegExp(`^error: ${F}/bad-yaml/broken\\.json:4:\\d+: JSON syntax error: `));
    },
  },
  {
    name: 'exit 2: a bad policy names the policy file',
    argv: ['--policy', `${F}/policy/bad-policy.yaml`, `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.match(out.stderr, /^error: bad policy: /);
      t.match(out.stderr, `${F}/policy/bad-policy.yaml`);
      t.match(out.stderr, 'allowedIssuers');
    },
  },
  {
    name: 'exit 2: a missing policy file is named',
    argv: ['--policy', `${F}/policy/none.yaml`, `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.equal(out.stderr, `error: --policy ${F}/policy/none.yaml: cannot read: no such file or directory\n`);
    },
  },
  {
    name: 'exit 2: an unknown flag',
    argv: ['--frobnicate', `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.match(out.stderr, /^error: Unknown option '--frobnicate'/);
      t.match(out.stderr, 'run "sdb-tls-guard check --help" for usage');
    },
  },
  {
    name: 'exit 2: --output outside text|json',
    argv: ['--output', 'yaml', `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.match(out.stderr, 'error: --output "yaml": supported values: "text", "json"');
    },
  },
  {
    name: 'exit 2: no inputs',
    argv: ['--state', `${W}/state.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.match(out.stderr, 'error: no inputs: give files, directories or - for stdin');
    },
  },
  {
    name: 'exit 2: --kubeconfig without --cluster',
    argv: ['--kubeconfig', '/tmp/kc', `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.match(out.stderr, 'error: --kubeconfig is only used with --cluster');
    },
  },
  {
    name: 'exit 2: a --default-timeout the timeout rule rejects',
    argv: ['--default-timeout', '0s', `${W}/rotate.yaml`],
    code: 2,
    verify: (t, out) => {
      nothingOnStdout(t, out);
      t.match(out.stderr, /^error: --default-timeout 0s: spec\.timeout: Invalid value: "0s"/);
    },
  },
  {
    name: '--help prints usage and exits 0',
    argv: ['--help'],
    code: 0,
    verify: (t, out) => {
      t.match(out.stdout, /^Usage: sdb-tls-guard check \[flags\] PATH\|-\.\.\./);
      t.equal(out.stderr, '');
    },
  },
];
