// Child processes of the e2e harness (etcd, kube-apiserver, the webhook) that can never
// outlive the test run:
//  - each runs in its own process group under a tiny `sh` watchdog that kills the child
//    (and removes its scratch directory, if given) as soon as this Node process is gone —
//    even after a SIGKILL of the test runner, which no exit handler can catch;
//  - stop() sends SIGTERM to the whole group, then SIGKILL after a grace period;
//  - every live process is killed on process 'exit', SIGINT and SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { inspect } from 'node:util';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Last `lines` lines of the process's output. */
  tail(lines?: number): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<{ pgid: number; cleanup?: string | undefined }>();
let hooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      killGroup(p.pgid, 'SIGKILL');
      if (p.cleanup) rmSync(p.cleanup, { recursive: true, force: true });
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const p of live) killGroup(p.pgid, 'SIGKILL');
      // Let the 'exit' hook remove the directories; exit with the conventional code.
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

// $1 = parent pid, $2 = directory to remove afterwards ('' for none), $3... = command.
// The child runs in the background; the loop ends when the child ends or the parent is
// gone (then the child gets TERM, and KILL 5 s later). TERM/INT to the group reach the
// child directly, and the trap stops the loop.
const WATCHDOG = `
parent=$1; dir=$2; shift 2
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT HUP
while kill -0 $child 2>/dev/null; do
  if ! kill -0 $parent 2>/dev/null; then
    kill -TERM $child 2>/dev/null; sleep 5; kill -KILL $child 2>/dev/null
    break
  fi
  sleep 1
done
wait $child 2>/dev/null
rc=$?
[ -n "$dir" ] && ! kill -0 $parent 2>/dev/null && rm -rf "$dir"
exit $rc
`;

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Removed by the watchdog when the parent dies without cleaning up. */
  scratchDir?: string;
}

export function startProcess(o: StartOptions): ManagedProcess {
  installExitHooks();
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WATCHDOG, 'watchdog', String(process.pid), o.scratchDir ?? '', o.command, ...o.args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: o.env ?? process.env,
      cwd: o.cwd,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${o.name}: could not start ${o.command}`);
  const pgid = child.pid;
  const entry = { pgid, cleanup: o.scratchDir };
  live.add(entry);
  child.unref();
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(entry);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  let stopping: Promise<void> | undefined;
  const tail = (lines = 40): string => {
    try {
      return readFileSync(o.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  return {
    name: o.name,
    pid: pgid,
    logFile: o.logFile,
    exited,
    tail,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (!live.has(entry)) return;
        killGroup(pgid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pgid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        // Anything left in the group (grandchildren) goes too.
        killGroup(pgid, 'SIGKILL');
      })();
      return stopping;
    },
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : inspect(last)}` : ''}`);
    }
    await sleep(everyMs);
  }
}
