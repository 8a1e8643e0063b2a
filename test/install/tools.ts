// The external tools of the chart tests besides helm: promtool and lua5.1, fetched into
// the project's cache by scripts/ensure-tool.sh. A tool that cannot be had makes the test
// FAIL with the script's reason (the error propagates), never skip.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helm.js';

const found = new Map<string, string>();

export function tool(name: 'promtool' | 'lua5.1'): string {
  let p = found.get(name);
  if (p === undefined) {
    let out: string;
    try {
      out = execFileSync('sh', [path.join(ROOT, 'scripts', 'ensure-tool.sh'), name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 20 * 60 * 1000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${name} is needed and could not be had: ${e.stderr?.trim() || e.message}`, { cause: err });
    }
    p = out.trim().split('\n').pop();
    if (!p) throw new Error(`scripts/ensure-tool.sh ${name} printed no path`);
    found.set(name, p);
  }
  return p;
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(name: 'promtool' | 'lua5.1', args: string[], opts: { cwd?: string; input?: string } = {}): ToolRun {
  const r = spawnSync(tool(name), args, { encoding: 'utf8', cwd: opts.cwd ?? ROOT, timeout: 120_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
