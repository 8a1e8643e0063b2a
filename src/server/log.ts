// Where the JSON log lines go. The process's own stdout is written through an
// asynchronous pino destination (sonic-boom): a line is queued and written by the event
// loop, and lines logged while a write is in flight go out together in one write.
// Writing every decision line with its own synchronous write(2) on stdout cost about as
// much server CPU as the engine's review (BENCHMARKS.md). Lines still queued are written
// synchronously when the process exits (pino flushes its destinations on exit); only a
// SIGKILL can lose the last few. Any other stream (tests capture stdout) is used as is.
import { pino, type DestinationStream } from 'pino';

export function logDestination(stdout: NodeJS.WritableStream): DestinationStream | NodeJS.WritableStream {
  if (stdout === process.stdout) return pino.destination({ dest: 1, sync: false });
  return stdout;
}
