// docs/rules.md must not drift from the engine: it is generated from the rule table and
// example inputs run through the engine (regenerate: npx tsx test/core/gen-rules-doc.ts).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, RULES } from '../../src/core/rules/table.js';
import { RULE_EXAMPLES, defaultExamplePatch, exampleMessages, exampleWarnings, renderRulesDoc } from './rules-doc.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'rules.md');

t.test('docs/rules.md is up to date (npx tsx test/core/gen-rules-doc.ts)', async (t) => {
  t.equal(readFileSync(DOC, 'utf8'), renderRulesDoc());
});

t.test('every rule has an example that makes it fire, with the right verdict', async (t) => {
  t.same(Object.keys(RULE_EXAMPLES).sort(), RULES.map((r) => r.id).sort(), 'one example per rule');
  for (const r of RULES) {
    const msgs = exampleMessages(r.id);
    t.ok(msgs.length >= 1, `${r.id} fires on its example`);
    if (r.verdict === 'warn') for (const m of msgs) t.ok(m.length <= 120, `${r.id} warning within 120 chars: ${m.length}`);
    if (r.alsoWarns) t.ok(exampleWarnings(r.id).length >= 1, `${r.id} also warns on its example`);
  }
  const doc = readFileSync(DOC, 'utf8');
  for (const r of RULES) {
    t.ok(doc.includes(`### \`${r.id}\``), `${r.id} has a section`);
    for (const m of exampleMessages(r.id)) t.ok(doc.includes(`\n${m}\n`), `${r.id} example listed verbatim`);
  }
});

t.test('every default has an example patch', async (t) => {
  t.same(DEFAULTS.map((d) => d.id), ['default-apply', 'default-issuer-group', 'default-timeout']);
  t.same(defaultExamplePatch('default-apply'), ['{"op":"add","path":"/spec/apply","value":"IfReady"}']);
  t.same(defaultExamplePatch('default-timeout'), ['{"op":"add","path":"/spec/timeout","value":"10m"}']);
  t.same(defaultExamplePatch('default-issuer-group'), [
    '{"op":"add","path":"/spec/tls/issuerRef/apiGroup","value":"cert-manager.io"}',
    '{"op":"add","path":"/spec/tls/certificates/0/issuerRef/apiGroup","value":"cert-manager.io"}',
  ]);
});

t.test('the rule table matches SPEC 3 sections and verdicts', async (t) => {
  const bySection = (s: string) => RULES.filter((r) => r.section === s).map((r) => `${r.id}:${r.verdict}`);
  t.same(bySection('3a'), [
    'schema:deny', 'tls-required:deny', 'one-operation:deny', 'issuer-ref:deny', 'certificate-alias:deny', 'certificate-names:deny',
    'certificate-duration:deny', 'timeout:deny', 'database-ref:deny', 'spec-immutable:deny', 'tls-ignored:warn',
  ]);
  t.same(bySection('3b'), [
    'database-exists:deny', 'database-halted:deny', 'database-paused:deny', 'tls-op-in-flight:deny', 'tls-op-superseded:warn', 'op-in-flight:warn',
    'tls-not-enabled:deny', 'issuer-exists:deny', 'issuer-not-ready:warn', 'database-not-ready:warn', 'no-op:warn',
  ]);
  t.same(bySection('3c'), ['allowed-issuers:deny', 'tls-removal-protected:deny', 'certificate-duration-bounds:deny', 'private-key-encoding:deny']);
});
