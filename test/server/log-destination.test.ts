// src/server/log-destination.ts: main's stdout log is buffered, flushed by size, by time
// and at exit, and loses nothing on an ordinary exit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { pino } from 'pino';
import { bufferedLogDestination, LOG_BUFFER_BYTES, LOG_FLUSH_MS } from '../../src/server/log-destination.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The child imports the TypeScript source through tsx, so it always runs this tree's code.
const SRC = join(ROOT, 'src', 'server', 'log-destination.ts');

function tmpFile(t: { teardown(fn: () => void): void }): { path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sdb-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { path: join(dir, 'log') };
}

t.test('a short line waits for the periodic flush; a full buffer is written at once', async (t) => {
  const { path } = tmpFile(t);
  // The destination owns the descriptor: end() stops its flush timer and closes it.
  const dest = bufferedLogDestination(openSync(path, 'w'), { flushMs: 50 }) as ReturnType<typeof bufferedLogDestination> & { end(): void };
  t.teardown(() => dest.end());
  const log = pino({ base: null }, dest);
  log.info({ n: 1 }, 'first');
  t.equal(readFileSync(path, 'utf8'), '', 'not written yet');
  let text = '';
  for (let i = 0; i < 40 && !text; i++) {
    await sleep(25);
    text = readFileSync(path, 'utf8');
  }
  t.match(text, /"msg":"first"/, 'written by the periodic flush');
  const big = 'x'.repeat(LOG_BUFFER_BYTES);
  log.info({ big }, 'big');
  t.match(readFileSync(path, 'utf8'), /"msg":"big"/, 'a line over the buffer size is written synchronously');
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the test pins the exported constant: its value is what is checked
  t.ok(LOG_FLUSH_MS <= 1000, 'the default flush interval is short');
});

t.test('lines still buffered are written when the process exits', async (t) => {
  const { path } = tmpFile(t);
  const script = `
    import { openSync } from 'node:fs';
    import { pino } from 'pino';
    import { bufferedLogDestination } from ${JSON.stringify(SRC)};
    const log = pino({ base: null }, bufferedLogDestination(openSync(${JSON.stringify(path)}, 'w'), { flushMs: 60000 }));
    for (let i = 0; i < 3; i++) log.info({ i }, 'line');
    if (process.argv.at(-1) === 'throw') setImmediate(() => { throw new Error('boom'); });
    else process.exit(0);
  `;
  for (const mode of ['exit', 'throw']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, mode], { cwd: ROOT, encoding: 'utf8' });
    t.equal(r.status, mode === 'exit' ? 0 : 1, `${mode}: exit status (${r.stderr.slice(0, 200)})`);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    t.equal(lines.length, 3, `${mode}: every buffered line was written`);
  }
});
