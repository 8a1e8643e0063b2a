// docs/argocd/health.lua, the ArgoCD health check of SinglestoreOpsRequest, run under
// Lua 5.1 (ArgoCD's interpreter is Lua 5.1-compatible) as ArgoCD runs it: the object as
// the global `obj`, the script's returned table the health. Fixtures: test/fixtures/argocd.
// lua5.1 comes from scripts/ensure-tool.sh; when it cannot be had the test fails.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './helm.js';
import { run } from './tools.js';

const SCRIPT = path.join(ROOT, 'docs', 'argocd', 'health.lua');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'argocd');

/** A Lua 5.1 string literal (bytes above 127 as decimal escapes; Lua 5.1 has no \u). */
function luaString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${b}`;
  }
  return `${out}"`;
}

/** JSON → a Lua table constructor, as ArgoCD hands objects to its scripts (arrays 1-based). */
export function luaValue(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(luaValue).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== null && x !== undefined)
    .map(([k, x]) => `[${luaString(k)}] = ${luaValue(x)}`)
    .join(', ')}}`;
}

interface Health {
  status: string;
  message: string;
}

function health(obj: unknown): Health {
  const script = readFileSync(SCRIPT, 'utf8');
  // The script runs as a function body (it ends with `return hs`), like ArgoCD's.
  const program = `obj = ${luaValue(obj)}\nlocal hs = (function()\n${script}\nend)()\nio.write(tostring(hs.status), "\\n", tostring(hs.message))\n`;
  const r = run('lua5.1', ['-'], { input: program });
  if (r.status !== 0) throw new Error(`lua5.1 failed (${String(r.status)}): ${r.stderr}`);
  const [status = '', ...rest] = r.stdout.split('\n');
  return { status, message: rest.join('\n') };
}

const fixture = (f: string): unknown => parse(readFileSync(path.join(FIXTURES, f), 'utf8'));

const EXPECTED: Record<string, Health> = {
  'successful-rotate.yaml': { status: 'Healthy', message: 'Successfully completed reconfigureTLS for Singlestore' },
  'progressing-restart.yaml': { status: 'Progressing', message: 'Progressing: EvictPod--sample-sdb-aggregator-1: Successfully evicted pod demo/sample-sdb-aggregator-1 (uid 2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f61)' },
  'pending.yaml': { status: 'Progressing', message: 'Pending' },
  'new.yaml': { status: 'Progressing', message: 'waiting for the ops-manager to pick it up' },
  'failed-timeout.yaml': { status: 'Degraded', message: 'step CertificateSynced did not finish within spec.timeout 30s: waiting for Certificates sample-sdb-server-cert, sample-sdb-client-cert to be Ready' },
  'failed-preflight.yaml': { status: 'Degraded', message: 'spec.tls.remove: Forbidden: TLS is not enabled on Singlestore demo/sample-sdb' },
  'kubedb-failed.yaml': { status: 'Degraded', message: 'failed to restart node sample-sdb-aggregator-0: timeout waiting for the pod to be ready' },
  'skipped.yaml': { status: 'Suspended', message: 'Skipped in favour of the newer SinglestoreOpsRequest demo/sdbops-newer' },
  'denied.yaml': { status: 'Degraded', message: 'removing TLS from sample-sdb was not approved by the database owners' },
  'waiting-for-approval.yaml': { status: 'Suspended', message: 'waiting for approval' },
};

t.test('every fixture gets its health', async (t) => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).sort();
  t.strictSame(files, Object.keys(EXPECTED).sort(), 'a expectation for every fixture, a fixture for every expectation');
  for (const f of files) t.strictSame(health(fixture(f)), EXPECTED[f], f);
});

t.test('edge cases: no status, empty conditions, Failed without a Failed condition, odd Skipped messages, unknown phases', async (t) => {
  const base = fixture('new.yaml') as Record<string, unknown>;
  const withStatus = (status: unknown) => ({ ...base, status });
  t.strictSame(health({ ...base, status: undefined }), { status: 'Progressing', message: 'waiting for the ops-manager to pick it up' });
  t.strictSame(health(withStatus({ phase: '', conditions: [] })), { status: 'Progressing', message: 'waiting for the ops-manager to pick it up' });
  t.strictSame(health(withStatus({ phase: 'Progressing' })), { status: 'Progressing', message: 'Progressing' });
  t.strictSame(health(withStatus({ phase: 'Approved' })), { status: 'Progressing', message: 'Approved' });
  t.strictSame(health(withStatus({ phase: 'Failed' })), { status: 'Degraded', message: 'the ops request failed' });
  t.strictSame(
    health(withStatus({ phase: 'Failed', conditions: [{ type: 'UpdatePetSets', status: 'False', lastTransitionTime: '2026-12-01T00:00:01Z', message: 'PetSet demo/sample-sdb-leaf not found' }] })),
    { status: 'Degraded', message: 'PetSet demo/sample-sdb-leaf not found' },
  );
  t.strictSame(
    health(withStatus({ phase: 'Skipped', conditions: [{ type: 'Skipped', status: 'True', reason: 'Skipped', lastTransitionTime: '2026-12-01T00:00:01Z', message: 'a newer request exists: demo/sdbops-b' }] })),
    { status: 'Suspended', message: 'Skipped in favour of the newer SinglestoreOpsRequest demo/sdbops-b' },
  );
  t.strictSame(health(withStatus({ phase: 'Skipped' })), { status: 'Suspended', message: 'Skipped in favour of a newer SinglestoreOpsRequest' });
  t.strictSame(health(withStatus({ phase: 'Denied' })), { status: 'Degraded', message: 'the ops request was denied' });
  t.strictSame(health(withStatus({ phase: 'Exploded' })), { status: 'Unknown', message: 'unknown phase Exploded' });
  // Non-ASCII in a message survives the trip.
  t.strictSame(
    health(withStatus({ phase: 'Failed', conditions: [{ type: 'Failed', status: 'True', reason: 'Failed', lastTransitionTime: '2026-12-01T00:00:01Z', message: 'Zertifikat „server“ fehlt' }] })),
    { status: 'Degraded', message: 'Zertifikat „server“ fehlt' },
  );
});

t.test('the script is a valid ArgoCD health script: sets hs, returns it, uses nothing outside Lua 5.1 base and string', async (t) => {
  const script = readFileSync(SCRIPT, 'utf8');
  t.match(script, /^hs = \{\}$/m, 'hs = {} (ArgoCD’s convention)');
  t.match(script.trimEnd(), /return hs$/, 'ends with return hs');
  t.notMatch(script, /\b(require|os\.|io\.|load|dofile|loadstring)\b/, 'no modules, no I/O');
  const r = run('lua5.1', ['-e', `local f, err = loadstring(${luaString(script)}); if not f then error(err) end`]);
  t.equal(r.status, 0, `compiles under Lua 5.1: ${r.stderr}`);
});

t.test('docs/install.md shows the argocd-cm snippet with this very script', async (t) => {
  const md = readFileSync(path.join(ROOT, 'docs', 'install.md'), 'utf8');
  const m = /```yaml\n(apiVersion: v1\nkind: ConfigMap\nmetadata:\n {2}name: argocd-cm\n[\s\S]*?)```/.exec(md);
  t.ok(m, 'an argocd-cm ConfigMap block');
  const cm = parse(m?.[1] ?? '') as { data?: Record<string, string> };
  const key = 'resource.customizations.health.ops.kubedb.com_SinglestoreOpsRequest';
  t.equal(cm.data?.[key], readFileSync(SCRIPT, 'utf8'), `${key} is docs/argocd/health.lua verbatim`);
});
