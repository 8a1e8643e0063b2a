// Where the service's log lines go when it writes to the process's stdout.
//
// One synchronous write(2) per line costs more than the decision itself on a busy
// webhook (BENCHMARKS.md), so lines are gathered in a buffer and written synchronously
// once it holds LOG_BUFFER_BYTES, or every LOG_FLUSH_MS, whichever comes first; the
// buffer is also written at exit (normal exit, a signal handled by main, an uncaught
// exception). What a SIGKILL can lose: at most the last LOG_FLUSH_MS of lines.
//
// The last net under every log line of the process (docs/security.md): a line longer
// than LOG_LINE_LIMIT characters — which no line of the app writes, its request fields
// are cut where they are logged — is replaced by a short line saying so, with its level
// and its head, so no component can write an unbounded line to stdout.
import { pino, type DestinationStream } from 'pino';

/** Bytes gathered before a write (about 10 decision lines). */
export const LOG_BUFFER_BYTES = 4096;
/** Longest time a line waits in the buffer. */
export const LOG_FLUSH_MS = 100;

/** Longest line written as it is (characters); longer ones are replaced (see above). */
export const LOG_LINE_LIMIT = 16384;
const LEVEL_RE = /^\{"level":(\d+|"[a-z]+")/;

/** The short line that stands in for one longer than LOG_LINE_LIMIT. */
export function cutLogLine(line: string): string {
  const level = LEVEL_RE.exec(line)?.[1] ?? '40';
  return `{"level":${level},"msg":"log line cut: ${line.length} characters, longer than ${LOG_LINE_LIMIT}","head":${JSON.stringify(line.slice(0, 1024))}}\n`;
}

export interface BufferedDestination extends DestinationStream {
  flushSync(): void;
}

/** A buffered destination on file descriptor `fd` (main: 1, stdout). */
export function bufferedLogDestination(fd: number, opts: { flushMs?: number } = {}): BufferedDestination {
  const dest = pino.destination({
    dest: fd,
    sync: true,
    minLength: LOG_BUFFER_BYTES,
    periodicFlush: opts.flushMs ?? LOG_FLUSH_MS,
  });
  const write = dest.write.bind(dest);
  dest.write = (line: string): boolean => write(line.length > LOG_LINE_LIMIT ? cutLogLine(line) : line);
  // pino registers an exit flush only for asynchronous destinations; this one is
  // synchronous (writes happen in the caller's tick), so it flushes itself at exit.
  process.once('exit', () => {
    try {
      dest.flushSync();
    } catch {
      // stdout closed: nothing more can be written
    }
  });
  return dest;
}
