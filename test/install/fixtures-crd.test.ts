// Every cluster object the fixtures hold (Singlestores, Issuers, ClusterIssuers, and the
// worked ops requests) is valid under the PUBLISHED CRDs of ../shared/crds — what the
// real API server would accept (issue 11: e.g. Singlestores carry licenseSecret, every
// condition its lastTransitionTime). The CLI's deliberately bad ops requests are not
// cluster state and are left out.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import t from 'tap';
import { parseAllDocuments } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CRDS = process.env['SDB_CRD_DIR'] || join(ROOT, '..', 'shared', 'crds');

interface Obj { apiVersion?: string; kind?: string; metadata?: { name?: string }; [k: string]: unknown }

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as Obj | null)
    .filter((d): d is Obj => d !== null && typeof d === 'object');
}

// One validator per apiVersion/kind, from the served version's openAPIV3Schema.
// useDefaults: the API server applies the CRD defaults before it validates.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: true });
const validators = new Map<string, ValidateFunction>();
for (const f of readdirSync(CRDS).filter((n) => n.endsWith('.yaml'))) {
  for (const crd of docs(join(CRDS, f))) {
    const spec = crd['spec'] as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: object } }[] };
    for (const v of spec.versions.filter((x) => x.served)) validators.set(`${spec.group}/${v.name}/${spec.names.kind}`, ajv.compile(v.schema.openAPIV3Schema));
  }
}

const STATE_KINDS = new Set(['Singlestore', 'Issuer', 'ClusterIssuer']);
const objects: { where: string; obj: Obj }[] = [];
for (const file of yamlFiles(join(ROOT, 'test/fixtures'))) {
  const rel = relative(ROOT, file);
  const worked = rel.startsWith('test/fixtures/worked/');
  docs(file).forEach((doc, i) => {
    // A `kind: List` (what kubectl get -o yaml prints) holds its objects under items.
    const list = doc.kind === 'List' ? ((doc['items'] ?? []) as Obj[]).map((o, j) => ({ where: `${rel}#${i + 1}.items[${j}]`, obj: o })) : [{ where: `${rel}#${i + 1}`, obj: doc }];
    for (const { where, obj } of list) if (STATE_KINDS.has(obj.kind ?? '') || (worked && obj.kind === 'SinglestoreOpsRequest')) objects.push({ where, obj });
  });
}

t.test('the published CRDs were loaded', async (t) => {
  for (const k of ['kubedb.com/v1alpha2/Singlestore', 'ops.kubedb.com/v1alpha1/SinglestoreOpsRequest', 'cert-manager.io/v1/Issuer', 'cert-manager.io/v1/ClusterIssuer']) t.ok(validators.has(k), k);
  t.ok(objects.length >= 20, `${objects.length} fixture objects to check`);
});

t.test('every fixture cluster object is valid under its published CRD', async (t) => {
  for (const { where, obj } of objects) {
    const v = validators.get(`${String(obj.apiVersion)}/${String(obj.kind)}`);
    if (!v) {
      t.fail(`${where}: no CRD for ${String(obj.apiVersion)} ${String(obj.kind)}`);
      continue;
    }
    const ok = v(structuredClone(obj));
    t.ok(ok, `${where} (${String(obj.kind)} ${String(obj.metadata?.name)}) ${ok ? 'is valid' : `: ${ajv.errorsText(v.errors)}`}`);
  }
});

t.test('the check can fail: a Singlestore without licenseSecret and a condition without lastTransitionTime are refused', async (t) => {
  const v = validators.get('kubedb.com/v1alpha2/Singlestore');
  if (!v) throw new Error('no validator for kubedb.com/v1alpha2/Singlestore');
  t.notOk(v({ apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { name: 'x' }, spec: { version: '8.7.10' } }), 'no licenseSecret');
  t.notOk(v({ apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', metadata: { name: 'x' }, spec: { version: '8.7.10', licenseSecret: { name: 'l' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }), 'no lastTransitionTime');
});
