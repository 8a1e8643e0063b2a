// src/server/log-destination.ts, the last net of issue 16: a line longer than
// LOG_LINE_LIMIT reaching main's stdout destination (from any component) is replaced by
// a short, valid JSON line with its level, its length and its head (docs/security.md).
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { bufferedLogDestination, cutLogLine, LOG_LINE_LIMIT } from '../../src/server/log-destination.js';

t.test('a line over the limit is replaced; the lines around it are kept as they are', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdb-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'log');
  const dest = bufferedLogDestination(openSync(path, 'w'), { flushMs: 60_000 }) as ReturnType<typeof bufferedLogDestination> & { end(): void };
  t.teardown(() => dest.end());
  const log = pino({ base: null }, dest);
  log.info({ n: 1 }, 'before');
  log.error({ err: `\u001b[31m${'x'.repeat(200_000)}` }, 'huge');
  log.info({ n: 2 }, 'after');
  dest.flushSync();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  t.equal(lines.length, 3);
  for (const l of lines) t.ok(l.length <= LOG_LINE_LIMIT, `${l.length} characters`);
  const [first, cutLine, last] = lines;
  if (first === undefined || cutLine === undefined || last === undefined) throw new Error('not three lines');
  const cut = JSON.parse(cutLine) as Record<string, unknown>;
  t.equal(cut['level'], 50, 'the level is kept');
  t.match(cut['msg'], /^log line cut: 2000\d\d characters, longer than 16384$/);
  t.match(cut['head'], /^\{"level":50/);
  t.equal((JSON.parse(first) as Record<string, unknown>)['msg'], 'before');
  t.equal((JSON.parse(last) as Record<string, unknown>)['msg'], 'after');
});

t.test('cutLogLine gives valid JSON whatever the line', async (t) => {
  for (const line of ['{"level":30,"msg":"x"}', 'not json at all', `{"level":"info",${'"'.repeat(5000)}`, '\ud800'.repeat(3000)]) {
    const out = cutLogLine(line);
    t.ok(out.endsWith('\n'));
    t.doesNotThrow(() => {
      JSON.parse(out);
    });
    t.ok(out.length < 8000);
  }
});
