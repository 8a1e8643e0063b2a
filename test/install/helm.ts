// Helpers of the chart tests: build (or find) helm through scripts/build-helm.sh and
// render the chart into parsed objects. A helm that cannot be built makes the tests
// FAIL (the error propagates), never skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = path.join(ROOT, 'charts', 'sdb-tls-guard');

let helmPath: string | undefined;

/** Absolute path of a helm binary; builds it on first use. Throws when it cannot. */
export function helm(): string {
  if (helmPath === undefined) {
    const out = execFileSync('sh', [path.join(ROOT, 'scripts', 'build-helm.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 20 * 60 * 1000,
    });
    const p = out.trim().split('\n').pop();
    if (!p) throw new Error('scripts/build-helm.sh printed no helm path');
    helmPath = p;
  }
  return helmPath;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): RunResult {
  const r = spawnSync(helm(), args, { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface RenderOptions {
  release?: string;
  namespace?: string;
  set?: string[];
  apiVersions?: string[];
}

/** `helm template`; returns the exit status, stderr and the parsed objects. */
export function template(opts: RenderOptions = {}): RunResult & { objects: Obj[] } {
  const args = ['template', opts.release ?? 'sdb-tls-guard', CHART, '--namespace', opts.namespace ?? 'sdb-tls-guard'];
  for (const s of opts.set ?? []) args.push('--set', s);
  for (const a of opts.apiVersions ?? []) args.push('--api-versions', a);
  const r = runHelm(args);
  const objects: Obj[] = [];
  if (r.status === 0) {
    for (const doc of parseAllDocuments(r.stdout)) {
      if (doc.errors.length > 0) throw new Error(`helm template printed bad YAML: ${String(doc.errors[0]?.message)}`);
      const v: unknown = doc.toJS();
      if (v !== null && v !== undefined) objects.push(v);
    }
  }
  return { ...r, objects };
}

/** `helm template` that must succeed. */
export function render(opts: RenderOptions = {}): Obj[] {
  const r = template(opts);
  if (r.status !== 0) throw new Error(`helm template failed (${String(r.status)}): ${r.stderr}`);
  return r.objects;
}

export function find(objects: Obj[], kind: string, name?: string): Obj | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
}

export function get(objects: Obj[], kind: string, name?: string): Obj {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`);
  return o;
}

export function kinds(objects: Obj[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
}
