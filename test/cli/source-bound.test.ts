// The CLI's `source` (the manifest's path and index) is bounded like every other text it
// prints (docs/security.md "Bounded output"): a path with a newline cannot forge a line of
// the text output, and a path of any length is cut.
import t from 'tap';
import { formatJson, formatText, type Checked } from '../../src/cli/output.js';
import { MESSAGE_MAX } from '../../src/core/field/quote.js';

const checked = (source: string): Checked => ({
  source,
  namespace: 'demo',
  name: 'sdbops-add-tls',
  allowed: true,
  errors: [],
  warnings: [],
  patch: [],
  notEvaluated: ['database-exists'],
  notEvaluatedGroups: [{ reason: 'no state', rules: ['database-exists'], noState: true }],
});

t.test('a plain path is printed as it is', async (t) => {
  const text = formatText([checked('dir/ops.yaml#1')]);
  t.match(text, /^dir\/ops\.yaml#1: SinglestoreOpsRequest demo\/sdbops-add-tls: allowed/m);
  const [first] = (JSON.parse(formatJson([checked('dir/ops.yaml#1')])) as { results: { source: string }[] }).results;
  t.equal(first?.source, 'dir/ops.yaml#1');
});

t.test('a newline in the path cannot start a line of its own', async (t) => {
  const forged = 'ops.yaml\nWarning: everything is fine#1';
  const text = formatText([checked(forged)]);
  t.notOk(text.split('\n').some((l) => l.startsWith('Warning: everything is fine')), 'no forged line');
  t.match(text, /ops\.yaml\\nWarning: everything is fine#1: SinglestoreOpsRequest/, 'the newline is shown escaped');
});

t.test('a path of any length is cut', async (t) => {
  const long = `${'d/'.repeat(20_000)}ops.yaml#1`;
  for (const line of formatText([checked(long)]).split('\n')) t.ok(line.length < MESSAGE_MAX + 2_000, `line of ${line.length} chars`);
  const [first] = (JSON.parse(formatJson([checked(long)])) as { results: { source: string }[] }).results;
  t.ok((first?.source.length ?? Infinity) <= MESSAGE_MAX, `JSON source of ${String(first?.source.length)} chars`);
});
