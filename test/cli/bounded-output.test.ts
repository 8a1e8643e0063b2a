// Issue 16 for the CLI: `check` prints findings about manifests a pipeline did not write
// itself. With huge and hostile values in any field of a SinglestoreOpsRequest (and a
// state file holding hostile objects too), every line of the text output and every
// string of the JSON output stays bounded, carries no raw control character, and each
// finding still names its field (docs/security.md).
import t from 'tap';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { FIELD_MAX, MESSAGE_MAX } from '../../src/core/field/quote.js';
import { RULES } from '../../src/core/rules/table.js';
import { runInProcess } from './harness.js';
import { HUGE, hostileString, OBJECT_FIELDS, setAt, workedObject } from '../fuzz/arbitraries.js';

// eslint-disable-next-line no-control-regex -- finding raw control characters in the output is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const NAME_MAX = 253;
/** Every rule id, as a not-evaluated line lists them at the most. */
const RULE_LIST_MAX = RULES.map((r) => r.id).join(', ').length;
/**
 * `-#1: SinglestoreOpsRequest <ns>/<name>: denied: [<rule>] <message>`, or
 * `-#1 <ns>/<name>: N rules not evaluated (<reason>): <rule ids>` (the longer).
 */
const TEXT_LINE_MAX = 16 + 2 * NAME_MAX + 64 + MESSAGE_MAX + RULE_LIST_MAX;
const STATE = 'test/fixtures/worked/state.yaml';

type Rec = Record<string, unknown>;
const ADD_TLS = workedObject('sdbops-add-tls');

function fail(what: string, s: string): never {
  throw new Error(`${what}: ${JSON.stringify(s.slice(0, 200))}`);
}

function checkText(out: string): void {
  for (const line of out.split('\n')) {
    if (line.length > TEXT_LINE_MAX) fail(`a text line of ${line.length} characters, bound ${TEXT_LINE_MAX}`, line);
    if (RAW_CONTROL.test(line)) fail('a raw control character in a text line', line);
    const [, finding] = /: denied: \[[a-z-]+\] (.*)$/.exec(line) ?? /^Warning: .*?: \[[a-z-]+\] (.*)$/.exec(line) ?? [];
    if (finding !== undefined && !/^[^\s:]*: \S/.test(finding)) fail('a finding that names no field', line);
  }
}

function checkJson(out: string): void {
  const report = JSON.parse(out) as { results: Rec[] };
  for (const r of report.results) {
    for (const k of ['namespace', 'name'] as const) {
      const v = r[k] as string;
      if (v.length > NAME_MAX || RAW_CONTROL.test(v)) fail(`result ${k}`, v);
    }
    for (const f of [...(r['errors'] as Rec[]), ...(r['warnings'] as Rec[])]) {
      const field = f['field'] as string;
      const message = f['message'] as string;
      if (field.length > FIELD_MAX || RAW_CONTROL.test(field)) fail('finding field', field);
      if (message.length > MESSAGE_MAX || RAW_CONTROL.test(message)) fail(`finding message of ${message.length}`, message);
      if (field && !message.startsWith(`${field}: `)) fail(`a message that does not start with its field ${field}`, message);
    }
  }
}

function checkStderr(err: string): void {
  for (const line of err.split('\n')) if (line.length > 4096 + 16 || RAW_CONTROL.test(line)) fail('a stderr line', line);
}

t.test('property: hostile values in any field of a manifest keep every line of check output bounded', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.record({ at: fc.constantFrom(...OBJECT_FIELDS), value: hostileString }), { minLength: 1, maxLength: 3 }), fc.constantFrom('json', 'text'), fc.boolean(), async (puts, output, withState) => {
      runs++;
      const obj = structuredClone(ADD_TLS);
      for (const p of puts) setAt(obj, p.at, p.value);
      const res = await runInProcess([...(withState ? ['--state', STATE] : []), '--output', output, '-'], { stdin: JSON.stringify(obj) });
      if (![0, 1, 2].includes(res.code)) throw new Error(`exit ${res.code}`);
      checkStderr(res.stderr);
      if (res.code === 2) return; // could not check (reported on stderr, checked above)
      if (output === 'json') checkJson(res.stdout);
      else checkText(res.stdout);
    }),
    { numRuns: 60 },
  );
  t.equal(runs, 60, '60 cases');
});

t.test('a 70,000-character databaseRef.name and name: text and JSON name the field and cut the value', async (t) => {
  const obj = structuredClone(ADD_TLS);
  setAt(obj, ['spec', 'databaseRef', 'name'], HUGE);
  setAt(obj, ['metadata', 'name'], `\u001b[31m${HUGE}`);
  const state = stringify({ apiVersion: 'v1', kind: 'List', items: [] });
  t.ok(state);
  const json = await runInProcess(['--state', STATE, '--output', 'json', '-'], { stdin: JSON.stringify(obj) });
  t.equal(json.code, 1);
  checkJson(json.stdout);
  const [r] = (JSON.parse(json.stdout) as { results: Rec[] }).results;
  if (!r) throw new Error('no result');
  t.match(r['name'], /^\\u001b\[31mx+… \(\d+ more characters\)$/);
  const errors = r['errors'] as Rec[];
  t.match(errors.find((e) => e['rule'] === 'database-ref')?.['message'], /^spec\.databaseRef\.name: Invalid value: "x+"… \(69744 more characters\): must be no more than 63 characters/);
  t.match(errors.find((e) => e['rule'] === 'database-exists')?.['message'], /^spec\.databaseRef\.name: Not found: "x+"… \(69744 more characters\): Singlestore demo\/x+… \(\d+ more characters\) does not exist$/);
  const text = await runInProcess(['--state', STATE, '-'], { stdin: JSON.stringify(obj) });
  t.equal(text.code, 1);
  checkText(text.stdout);
  t.match(text.stdout, /denied: \[database-ref\] spec\.databaseRef\.name: Invalid value: "x+"… \(69744 more characters\)/);
});

t.test('a long namespace with spaces: the not-evaluated line (reason and rule ids) stays within its bound', async (t) => {
  const obj = structuredClone(ADD_TLS);
  setAt(obj, ['metadata', 'namespace'], 'a '.repeat(2000));
  setAt(obj, ['metadata', 'name'], 'x'.repeat(300));
  const res = await runInProcess(['--state', STATE, '--output', 'text', '-'], { stdin: JSON.stringify(obj) });
  const line = res.stdout.split('\n').find((l) => l.includes('rules not evaluated'));
  t.ok(line !== undefined && line.length > 16 + 2 * NAME_MAX + 64 + MESSAGE_MAX, `the line is longer than a finding's line may be (${String(line?.length)})`);
  t.doesNotThrow(() => checkText(res.stdout));
});
