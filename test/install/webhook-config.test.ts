// webhook-config/ is the single source of the webhook settings; the chart renders its
// webhook configurations from an exact copy. These tests pin the settings and prove
// the chart cannot drift from the files.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, render, get, type Obj } from './helm.js';

/** A webhook of a webhook-config/ file: plain YAML data, the fields read here. */
interface Webhook {
  name: string;
  clientConfig: { service?: Record<string, unknown>; caBundle?: string; url?: string };
  rules?: { operations?: string[]; resources?: string[] }[];
}

interface WebhookConfiguration extends Obj {
  webhooks?: Webhook[];
}

function loadOne(file: string): WebhookConfiguration {
  const docs = parseAllDocuments(readFileSync(path.join(ROOT, 'webhook-config', file), 'utf8'));
  const [doc] = docs;
  if (docs.length !== 1 || doc === undefined) throw new Error(`${file}: expected exactly one YAML document, got ${docs.length}`);
  return doc.toJS() as WebhookConfiguration;
}

/** The kind of a webhook-config/ file, one the chart renders. */
function kindOf(src: WebhookConfiguration): 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration' {
  const { kind } = src;
  if (kind !== 'ValidatingWebhookConfiguration' && kind !== 'MutatingWebhookConfiguration') {
    throw new Error(`webhook-config/: unexpected kind ${String(kind)}`);
  }
  return kind;
}

const validating = loadOne('validating.yaml');
const mutating = loadOne('mutating.yaml');

const EXPRESSION =
  "(object != null && has(object.spec) && has(object.spec.type) && object.spec.type == 'ReconfigureTLS') || " +
  "(oldObject != null && has(oldObject.spec) && has(oldObject.spec.type) && oldObject.spec.type == 'ReconfigureTLS')";

function expectedWebhook(name: string, urlPath: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    timeoutSeconds: 5,
    matchPolicy: 'Equivalent',
    clientConfig: { service: { name: 'sdb-tls-guard', namespace: 'sdb-tls-guard', path: urlPath, port: 443 } },
    rules: [
      {
        apiGroups: ['ops.kubedb.com'],
        apiVersions: ['v1alpha1'],
        resources: ['singlestoreopsrequests'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
      },
    ],
    namespaceSelector: {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'sdb-tls-guard'] },
      ],
    },
    ...extra,
    matchConditions: [{ name: 'reconfigure-tls-only', expression: EXPRESSION }],
  };
}

t.test('validating.yaml holds exactly the chosen settings', async (t) => {
  t.equal(validating.apiVersion, 'admissionregistration.k8s.io/v1');
  t.equal(validating.kind, 'ValidatingWebhookConfiguration');
  t.equal(validating.metadata?.name, 'sdb-tls-guard');
  t.strictSame(validating.webhooks, [expectedWebhook('validate.sdb-tls-guard.io', '/validate')]);
});

t.test('mutating.yaml holds exactly the chosen settings, reinvocationPolicy Never', async (t) => {
  t.equal(mutating.apiVersion, 'admissionregistration.k8s.io/v1');
  t.equal(mutating.kind, 'MutatingWebhookConfiguration');
  t.equal(mutating.metadata?.name, 'sdb-tls-guard');
  t.strictSame(mutating.webhooks, [
    expectedWebhook('default.sdb-tls-guard.io', '/mutate', { reinvocationPolicy: 'Never' }),
  ]);
});

t.test('neither file registers DELETE, a subresource or a caBundle', async (t) => {
  for (const [file, obj] of [['validating', validating], ['mutating', mutating]] as const) {
    for (const w of obj.webhooks ?? []) {
      for (const r of w.rules ?? []) {
        t.notOk(r.operations?.includes('DELETE'), `${file}: no DELETE`);
        t.notOk(r.operations?.includes('*'), `${file}: no wildcard operation`);
        t.notOk(r.resources?.some((x) => x.includes('/')), `${file}: no subresource`);
      }
      t.equal(w.clientConfig.caBundle, undefined, `${file}: caBundle left to cert-manager/bootstrap`);
      t.equal(w.clientConfig.url, undefined, `${file}: service reference, not url`);
    }
  }
});

t.test('the chart copy is identical (render-webhook-config.sh --check)', async (t) => {
  const r = spawnSync('sh', [path.join(ROOT, 'scripts', 'render-webhook-config.sh'), '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  for (const f of ['validating.yaml', 'mutating.yaml']) {
    t.equal(
      readFileSync(path.join(ROOT, 'charts/sdb-tls-guard/files/webhook-config', f), 'utf8'),
      readFileSync(path.join(ROOT, 'webhook-config', f), 'utf8'),
      f,
    );
  }
});

t.test('helm template with default values renders webhook-config/ unchanged', async (t) => {
  const objects = render();
  for (const src of [validating, mutating]) {
    const kind = kindOf(src);
    const out = get(objects, kind, 'sdb-tls-guard');
    t.equal(out.apiVersion, src.apiVersion);
    t.strictSame(out.webhooks, src.webhooks, `${kind}: webhooks equal webhook-config/`);
    // labels of the source survive; helm's labels are added
    for (const [k, v] of Object.entries(src.metadata?.labels ?? {})) {
      t.equal(out.metadata?.labels?.[k], v, `${kind}: label ${k}`);
    }
    t.equal(out.metadata?.annotations?.['cert-manager.io/inject-ca-from'], 'sdb-tls-guard/sdb-tls-guard-serving');
  }
});

t.test('helm template overrides only the install-specific fields', async (t) => {
  const objects = render({
    release: 'guard',
    namespace: 'ops-guard',
    set: [
      'webhook.failurePolicy=Ignore',
      'webhook.timeoutSeconds=3',
      'webhook.excludeNamespaces={monitoring,kube-system}',
      'certificates.mode=bootstrap',
    ],
  });
  for (const src of [validating, mutating]) {
    const kind = kindOf(src);
    const out = get(objects, kind, 'guard-sdb-tls-guard');
    t.equal(out.metadata?.annotations, undefined, 'no cainjector annotation in bootstrap mode');
    const want = (src.webhooks ?? []).map((w) => ({
      ...w,
      failurePolicy: 'Ignore',
      timeoutSeconds: 3,
      clientConfig: { service: { ...w.clientConfig.service, name: 'guard-sdb-tls-guard', namespace: 'ops-guard' } },
      namespaceSelector: {
        matchExpressions: [
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'NotIn',
            values: ['kube-system', 'ops-guard', 'monitoring'],
          },
        ],
      },
    }));
    t.strictSame(out.webhooks, want, kind);
  }
});
