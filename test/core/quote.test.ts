// src/core/field/quote.ts: how an untrusted value is shown (issue 16, docs/security.md).
import t from 'tap';
import fc from 'fast-check';
import { boundText, boundValue, moreText, quote, quoteString, QUOTE_MAX, RUN_MAX } from '../../src/core/field/quote.js';

// eslint-disable-next-line no-control-regex -- finding raw control characters in the output is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

t.test('a short value is shown exactly as JSON.stringify shows it (the fast path)', async (t) => {
  for (const s of ['', 'srv', 'sample-sdb', 'a"b', 'back\\slash', '💥', 'x'.repeat(QUOTE_MAX), 'tab\there', 'nl\n']) {
    t.equal(quote(s), JSON.stringify(s), JSON.stringify(s));
  }
  t.equal(quote(0), '0');
  t.equal(quote(1.5), '1.5');
  t.equal(quote(true), 'true');
  t.equal(quote(null), 'null');
  t.equal(quote(undefined), 'null');
});

t.test('a long string is cut after QUOTE_MAX characters with "… (N more characters)"', async (t) => {
  const q = quote('x'.repeat(70_000));
  t.equal(q, `"${'x'.repeat(QUOTE_MAX)}"${moreText(70_000 - QUOTE_MAX)}`);
  t.match(q, /… \(69744 more characters\)$/);
  t.equal(quote('x'.repeat(QUOTE_MAX + 1)), `"${'x'.repeat(QUOTE_MAX)}"… (1 more character)`);
});

t.test('control, invisible and bidi characters are escaped; escapes count against the limit', async (t) => {
  t.equal(quote('\u001b[31mred'), '"\\u001b[31mred"');
  t.equal(quote('\u007f\u0085\u2028\u202e\u2066'), '"\\u007f\\u0085\\u2028\\u202e\\u2066"');
  const q = quote('\u0000'.repeat(1000));
  t.ok(q.length <= QUOTE_MAX + 2 + moreText(1000).length, `${q.length} characters`);
  t.notMatch(q, RAW_CONTROL);
  t.match(q, /^"(\\u0000)+"… \(\d+ more characters\)$/);
});

t.test('a surrogate pair is never split; a lone surrogate is escaped', async (t) => {
  const q = quote('💥'.repeat(1000));
  const head = JSON.parse(q.slice(0, q.lastIndexOf('"') + 1)) as string;
  t.equal(head, '💥'.repeat(head.length / 2), 'whole pairs only');
  t.equal(quote('a\ud800b'), JSON.stringify('a\ud800b'));
  t.notMatch(quoteString('\ud800'.repeat(500)), /[\ud800-\udfff]/);
});

t.test('objects and arrays are summarised by type and size, never dumped', async (t) => {
  t.equal(quote([]), '<array of 0 items>');
  t.equal(quote(['a']), '<array of 1 item>');
  t.equal(quote(new Array(200_000).fill('x'.repeat(100))), '<array of 200000 items>');
  t.equal(quote({ a: 1, b: 2 }), '<object with 2 keys>');
  t.equal(quote({ a: 1 }), '<object with 1 key>');
  let deep: unknown = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  t.equal(quote(deep), '<array of 1 item>');
});

t.test('boundText: free text unchanged when short, escaped, long runs cut in place, total cut', async (t) => {
  t.equal(boundText('Singlestore demo/sample-sdb does not exist', 1024), 'Singlestore demo/sample-sdb does not exist');
  t.equal(boundText('a\nb', 1024), 'a\\nb');
  const long = `Singlestore demo/${'a'.repeat(70_000)} does not exist`;
  const b = boundText(long, 1024);
  t.ok(b.length <= 1024, `${b.length}`);
  t.match(b, /^Singlestore demo\/a+… \(\d+ more characters\) does not exist$/, 'the rest of the message is kept');
  const spaced = 'a '.repeat(35_000);
  t.ok(boundText(spaced, 500).length <= 500);
  t.match(boundText(spaced, 500), /… \(\d+ more characters\)$/);
  t.equal(boundText('x'.repeat(RUN_MAX), 4096), 'x'.repeat(RUN_MAX), 'a run of RUN_MAX is kept');
  t.equal(boundValue({ a: 1 }), '<object with 1 key>');
  t.equal(boundValue('x'.repeat(10), 256), 'x'.repeat(10));
});

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\n', '\u001b', '[', '"', '\\', ' ', 'x', '💥', '\ud800', '\u202e', '\u0085'), maxLength: 2000 }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 20_000 })).map(([s, n]) => s.repeat(n)),
);

t.test('property: quote and boundText stay within their bounds and escape every control character', async (t) => {
  fc.assert(
    fc.property(hostile, fc.integer({ min: 40, max: 2000 }), (s, max) => {
      const q = quote(s);
      if (q.length > QUOTE_MAX + 2 + moreText(s.length).length) throw new Error(`quote: ${q.length} characters`);
      if (RAW_CONTROL.test(q)) throw new Error('quote: a raw control character');
      const b = boundText(s, max);
      if (b.length > max) throw new Error(`boundText(${max}): ${b.length} characters`);
      if (RAW_CONTROL.test(b)) throw new Error('boundText: a raw control character');
      if (s.length <= Math.min(max, RUN_MAX) && !RAW_CONTROL.test(s) && b !== s) throw new Error('boundText changed a short clean text');
      if (boundText(b, max) !== b) throw new Error('boundText is not idempotent');
      if (boundText(q, max + 64) !== q && q.length <= max + 64) throw new Error('boundText changed a quoted value');
    }),
    { numRuns: 500 },
  );
  t.pass('500 cases');
});

t.test('boundText with a lead cuts a text as the whole line would be cut (a cause message and its field)', async (t) => {
  const pathUnit = fc.constantFrom('a', 'z', '.', '[', ']', '0', '9', '-');
  fc.assert(
    fc.property(fc.string({ unit: pathUnit, maxLength: 256 }), hostile, fc.integer({ min: 300, max: 5000 }), (field, s, max) => {
      const lead = field === '' ? '' : `${field}: `;
      const alone = boundText(s, max, RUN_MAX, lead.length);
      const whole = boundText(lead + s, max);
      if (lead + alone !== whole) throw new Error(`lead ${lead.length}: ${JSON.stringify((lead + alone).slice(-80))} != ${JSON.stringify(whole.slice(-80))}`);
    }),
    { numRuns: 500 },
  );
  // The line's length has one more digit than the text's: the suffix is sized for the line.
  const lead = 'spec.tls.certificates[0].dnsNames[7]: ';
  const s = 'word '.repeat(Math.ceil((10_000 - lead.length) / 5));
  t.ok(s.length < 10_000 && lead.length + s.length >= 10_000, 'the case straddles 10,000');
  t.equal(lead + boundText(s, 1024, RUN_MAX, lead.length), boundText(lead + s, 1024));
  t.equal(boundText('short', 1024, RUN_MAX, lead.length), 'short', 'a short text is returned as it is');
});
