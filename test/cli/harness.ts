// Runs `check` two ways over the same case table: in-process through runCheck, and as
// the built CLI (`node dist/src/main.js check ...`) in a child process.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCheck } from '../../src/cli/check.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
/** The one-module build of the same program (scripts/bundle.mjs), what the image runs. */
export const BUNDLE_JS = path.join(ROOT, 'dist', 'bundle', 'sdb-tls-guard.mjs');

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** The built entry point to run (default MAIN_JS). */
  entry?: string;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** `check` in this process; argv is what follows `check`. */
export async function runInProcess(argv: string[], opts: RunOptions = {}): Promise<RunOutput> {
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runCheck(argv, { stdin, stdout, stderr, env: opts.env ?? { HOME: '/nonexistent' }, cwd: opts.cwd ?? ROOT });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The built bin as a child process (async, so a fake API server in this process can answer). */
export function runBuilt(argv: string[], opts: RunOptions = {}): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.entry ?? MAIN_JS, 'check', ...argv], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...(opts.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

export function builtExists(): boolean {
  return existsSync(MAIN_JS);
}
