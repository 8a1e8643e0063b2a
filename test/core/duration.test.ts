import t from 'tap';
import { formatGoDuration, parseGoDuration } from '../../src/core/rules/duration.js';

const H = 3_600_000_000_000n;
const M = 60_000_000_000n;
const S = 1_000_000_000n;

const VALID: [string, bigint][] = [
  ['0', 0n],
  ['-0', 0n],
  ['+0', 0n],
  ['1h', H],
  ['90m', 90n * M],
  ['2160h', 2160n * H],
  ['1h30m', H + 30n * M],
  ['1.5h', H + 30n * M],
  ['.5h', 30n * M],
  ['1.h', H],
  ['300ms', 300_000_000n],
  ['4m59s', 4n * M + 59n * S],
  ['1us', 1000n],
  ['1µs', 1000n],
  ['1μs', 1000n],
  ['7ns', 7n],
  ['-1h', -H],
  ['+5m', 5n * M],
  ['1h1h', 2n * H],
  ['0.000000001s', 1n],
  ['2562047h47m16.854775807s', (1n << 63n) - 1n],
];

const INVALID: [string, string][] = [
  ['', 'time: invalid duration ""'],
  ['1', 'time: missing unit in duration "1"'],
  ['10', 'time: missing unit in duration "10"'],
  ['1d', 'time: unknown unit "d" in duration "1d"'],
  ['1H', 'time: unknown unit "H" in duration "1H"'],
  ['h', 'time: invalid duration "h"'],
  ['.h', 'time: invalid duration ".h"'],
  ['-', 'time: invalid duration "-"'],
  ['1h ', 'time: unknown unit "h " in duration "1h "'],
  [' 1h', 'time: invalid duration " 1h"'],
  ['1h-1m', 'time: unknown unit "h-" in duration "1h-1m"'],
  ['2562048h', 'time: invalid duration "2562048h"'],
];

t.test('parseGoDuration accepts what Go accepts', async (t) => {
  for (const [text, ns] of VALID) t.same(parseGoDuration(text), { ok: true, ns }, text);
});

t.test('parseGoDuration rejects with Go\'s wording', async (t) => {
  for (const [text, error] of INVALID) t.same(parseGoDuration(text), { ok: false, error }, JSON.stringify(text));
});

t.test('formatGoDuration prints like Duration.String()', async (t) => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [H, '1h0m0s'],
    [5n * M, '5m0s'],
    [90n * M, '1h30m0s'],
    [300_000_000n, '300ms'],
    [1500n, '1.5µs'],
    [7n, '7ns'],
    [-H, '-1h0m0s'],
    [S + 500_000_000n, '1.5s'],
  ];
  for (const [ns, text] of cases) t.equal(formatGoDuration(ns), text, text);
});
