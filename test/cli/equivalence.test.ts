// The proof of issue 3's "done when": for every fixture of the shared set (the docs'
// five worked requests and the CLI's own denial cases), `check` gives the same verdict,
// rule ids, findings and patch as the webhook's real /mutate and /validate routes
// (buildApp + inject) give for the same object and the same cluster state. The webhook
// side is driven like the API server drives it: mutate, apply the patch, validate the
// mutated object.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { aggregate } from '../../src/core/field/errors.js';
import { MemoryView } from '../../src/core/memory-view.js';
import { parsePolicy } from '../../src/core/policy-load.js';
import { createMetrics } from '../../src/metrics.js';
import { buildApp } from '../../src/server/app.js';
import { F, W } from './cases.js';
import { ROOT, runInProcess } from './harness.js';

type Obj = Record<string, unknown>;

interface EqCase {
  name: string;
  request: string;
  state: string;
  policy?: string;
  /** SPEC's verdict for the case with its state, as a guard that the set covers both. */
  allowed: boolean;
  denyRules: string[];
}

const SET: EqCase[] = [
  { name: 'worked: add TLS', request: `${W}/add-tls.yaml`, state: `${W}/state.yaml`, allowed: true, denyRules: [] },
  { name: 'worked: rotate', request: `${W}/rotate.yaml`, state: `${W}/state-tls.yaml`, allowed: true, denyRules: [] },
  { name: 'worked: update', request: `${W}/update.yaml`, state: `${W}/state-tls.yaml`, allowed: true, denyRules: [] },
  { name: 'worked: change issuer', request: `${W}/change-issuer.yaml`, state: `${W}/state-tls.yaml`, allowed: true, denyRules: [] },
  { name: 'worked: remove', request: `${W}/remove.yaml`, state: `${W}/state-tls.yaml`, allowed: true, denyRules: [] },
  { name: 'worked: remove on a database without TLS', request: `${W}/remove.yaml`, state: `${W}/state.yaml`, allowed: false, denyRules: ['tls-not-enabled'] },
  { name: 'paused database', request: `${F}/cases/paused/ops.yaml`, state: `${F}/cases/paused/state.yaml`, allowed: false, denyRules: ['database-paused'] },
  { name: 'TLS not enabled', request: `${F}/cases/tls-not-enabled/ops.yaml`, state: `${F}/cases/tls-not-enabled/state.yaml`, allowed: false, denyRules: ['tls-not-enabled'] },
  { name: 'database missing', request: `${F}/cases/missing-db/ops.yaml`, state: `${F}/cases/missing-db/state.yaml`, allowed: false, denyRules: ['database-exists'] },
  { name: 'TLS request in flight', request: `${F}/cases/tls-in-flight/ops.yaml`, state: `${F}/cases/tls-in-flight/state.yaml`, allowed: false, denyRules: ['tls-op-in-flight'] },
  { name: 'older TLS request still Pending (superseded)', request: `${F}/cases/tls-superseded/ops.yaml`, state: `${F}/cases/tls-superseded/state.yaml`, allowed: true, denyRules: [] },
  { name: 'paused by an in-flight VerticalScaling (queued)', request: `${F}/cases/paused-queued/ops.yaml`, state: `${F}/cases/paused-queued/state.yaml`, allowed: true, denyRules: [] },
  { name: 'halted database', request: `${F}/cases/halted/ops.yaml`, state: `${F}/cases/halted/state.yaml`, allowed: false, denyRules: ['database-halted'] },
  { name: 'issuer missing', request: `${F}/cases/issuer-missing/ops.yaml`, state: `${F}/cases/issuer-missing/state.yaml`, allowed: false, denyRules: ['issuer-exists'] },
  { name: 'static mistakes', request: `${F}/cases/static-bad/ops.yaml`, state: `${F}/cases/static-bad/state.yaml`, allowed: false, denyRules: ['certificate-alias', 'certificate-duration'] },
  { name: 'two operations', request: `${F}/cases/two-ops/ops.yaml`, state: `${F}/cases/two-ops/state.yaml`, allowed: false, denyRules: ['one-operation'] },
  { name: 'schema', request: `${F}/cases/schema/ops.yaml`, state: `${F}/cases/schema/state.yaml`, allowed: false, denyRules: ['schema'] },
  { name: 'not a TLS request', request: `${F}/cases/not-tls/ops.yaml`, state: `${F}/cases/not-tls/state.yaml`, allowed: true, denyRules: [] },
  { name: 'issuer apiGroup defaulted', request: `${F}/cases/default-group/ops.yaml`, state: `${F}/cases/default-group/state.yaml`, allowed: true, denyRules: [] },
  { name: 'policy: allowed issuers', request: `${W}/add-tls.yaml`, state: `${W}/state.yaml`, policy: `${F}/policy/policy.yaml`, allowed: false, denyRules: ['allowed-issuers'] },
];

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(path.join(ROOT, file), 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

/** The API server's side of a JSON Patch: only `add` is ever sent by the defaulter. */
function applyAdds(obj: Obj, patch: { op: string; path: string; value?: unknown }[]): Obj {
  const copy = structuredClone(obj);
  for (const op of patch) {
    if (op.op !== 'add') throw new Error(`unexpected patch op ${op.op}`);
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let cur: unknown = copy;
    for (const p of parts.slice(0, -1)) cur = Array.isArray(cur) ? cur[Number(p)] : (cur as Obj)[p];
    const last = parts.at(-1);
    if (last === undefined) throw new Error(`patch path ${op.path} names no member`);
    if (Array.isArray(cur)) cur.splice(last === '-' ? cur.length : Number(last), 0, op.value);
    else (cur as Obj)[last] = op.value;
  }
  return copy;
}

const ids = (csv: string | undefined): string[] => (csv ? csv.split(',') : []);
const unique = (xs: string[]): string[] => [...new Set(xs)];

/** What is read of an AdmissionReview's response. */
interface Answer {
  allowed: boolean;
  patch?: string;
  auditAnnotations?: Record<string, string>;
  status?: { message?: string; details?: { causes?: { field: string; message: string }[] } };
  warnings?: string[];
}

interface Webhook {
  allowed: boolean;
  patch: unknown[];
  denyRules: string[];
  warnRules: string[];
  notEvaluated: string[];
  causes: { field: string; message: string }[];
  statusMessage: string | undefined;
  warnings: string[];
}

async function webhook(c: EqCase, withState: boolean): Promise<Webhook> {
  const policy = c.policy ? parsePolicy(readFileSync(path.join(ROOT, c.policy), 'utf8'), c.policy) : undefined;
  const app = buildApp({ metrics: createMetrics(), ...(withState ? { view: MemoryView.from(load(c.state)) } : {}), ...(policy ? { policy } : {}) });
  try {
    const [object] = load(c.request);
    if (!object) throw new Error(`${c.request}: no object`);
    const ns = ((object.metadata as Obj | undefined)?.namespace as string | undefined) ?? 'default';
    const review = (uid: string, obj: Obj) => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' },
        resource: { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' },
        name: (obj.metadata as Obj).name,
        namespace: ns,
        operation: 'CREATE',
        userInfo: { username: 'ci' },
        object: obj,
        dryRun: false,
      },
    });
    const post = async (url: string, body: unknown) => {
      const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode} ${res.body}`);
      return (JSON.parse(res.body) as { response: Answer }).response;
    };
    const mutated = await post('/mutate', review('m-1', object));
    const patch = mutated.patch ? (JSON.parse(Buffer.from(mutated.patch, 'base64').toString('utf8')) as { op: string; path: string; value?: unknown }[]) : [];
    const validated = await post('/validate', review('v-1', applyAdds(object, patch)));
    const audit = validated.auditAnnotations ?? {};
    return {
      allowed: validated.allowed,
      patch,
      denyRules: ids(audit['denied-by']),
      warnRules: ids(audit['warned-by']),
      notEvaluated: ids(audit['not-evaluated']),
      causes: (validated.status?.details?.causes ?? []).map((c) => ({ field: c.field, message: c.message })),
      statusMessage: validated.status?.message,
      warnings: validated.warnings ?? [],
    };
  } finally {
    await app.close();
  }
}

interface CliResult {
  allowed: boolean;
  patch: unknown[];
  errors: { rule: string; field: string; message: string }[];
  warnings: { rule: string; message: string }[];
  notEvaluated: string[];
}

for (const c of SET) {
  for (const withState of [true, false]) {
    t.test(`${c.name} (${withState ? `state ${c.state}` : 'no state'})`, async (t) => {
      const argv = ['-o', 'json', ...(withState ? ['--state', c.state] : []), ...(c.policy ? ['--policy', c.policy] : []), c.request];
      const out = await runInProcess(argv);
      const doc = JSON.parse(out.stdout) as { results: CliResult[] };
      t.equal(doc.results.length, 1, 'one request checked');
      const [cli] = doc.results;
      if (!cli) throw new Error('no result');
      const hook = await webhook(c, withState);

      t.equal(cli.allowed, hook.allowed, 'same verdict');
      t.equal(out.code, hook.allowed ? 0 : 1, 'exit status follows the verdict');
      t.strictSame(cli.patch, hook.patch, 'same patch as /mutate');
      t.strictSame(unique(cli.errors.map((e) => e.rule)), hook.denyRules, 'same denying rule ids');
      t.strictSame(unique(cli.warnings.map((w) => w.rule)), hook.warnRules, 'same warning rule ids');
      t.strictSame(cli.notEvaluated, hook.notEvaluated, 'same notEvaluated');
      t.strictSame(
        cli.errors.map((e) => ({ field: e.field, message: e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message })),
        hook.causes,
        'same findings as status.details.causes',
      );
      const errorMessage = (i: number): string => {
        const e = cli.errors[i];
        if (!e) throw new Error(`asked for error ${i} of ${cli.errors.length}`);
        return e.message;
      };
      t.equal(cli.errors.length ? aggregate(cli.errors.length, errorMessage) : undefined, hook.statusMessage, 'same denial message');
      t.strictSame(cli.warnings.map((w) => w.message), hook.warnings, 'same warnings');
      if (withState) {
        // and both match SPEC's verdict for the case
        t.equal(cli.allowed, c.allowed, 'SPEC verdict');
        t.strictSame(unique(cli.errors.map((e) => e.rule)), c.denyRules, 'SPEC rule ids');
      }
    });
  }
}
