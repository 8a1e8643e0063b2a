// helm lint, helm template with default and non-default values, and values.schema.json.
import t from 'tap';
import { runHelm, template, render, get, find, kinds, CHART, type Obj } from './helm.js';
import { parseServeArgs } from '../../src/config.js';
import { parsePolicy } from '../../src/core/policy-load.js';

const SM = 'monitoring.coreos.com/v1/ServiceMonitor';

t.test('helm lint passes (default and strict)', async (t) => {
  for (const extra of [[], ['--strict'], ['--set', 'certificates.mode=bootstrap']]) {
    const r = runHelm(['lint', CHART, ...extra]);
    t.equal(r.status, 0, `helm lint ${extra.join(' ')}: ${r.stdout}${r.stderr}`);
    t.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

t.test('default values render exactly the expected objects', async (t) => {
  t.strictSame(kinds(render()), [
    'Certificate/sdb-tls-guard-ca',
    'Certificate/sdb-tls-guard-serving',
    'ClusterRole/sdb-tls-guard-admission',
    'ClusterRole/sdb-tls-guard-reconciler',
    'ClusterRoleBinding/sdb-tls-guard-admission',
    'ClusterRoleBinding/sdb-tls-guard-reconciler',
    'ConfigMap/sdb-tls-guard-policy',
    'Deployment/sdb-tls-guard',
    'Issuer/sdb-tls-guard-ca',
    'Issuer/sdb-tls-guard-selfsigned',
    'MutatingWebhookConfiguration/sdb-tls-guard',
    'PodDisruptionBudget/sdb-tls-guard',
    'Role/sdb-tls-guard',
    'RoleBinding/sdb-tls-guard',
    'Service/sdb-tls-guard',
    'ServiceAccount/sdb-tls-guard',
    'ValidatingWebhookConfiguration/sdb-tls-guard',
  ]);
});

t.test('Deployment: replicas, anti-affinity, probes, resources, restricted security', async (t) => {
  const objects = render();
  const d = get(objects, 'Deployment', 'sdb-tls-guard');
  t.equal(d.metadata?.namespace, 'sdb-tls-guard');
  t.equal(d.spec?.replicas, 2);
  t.strictSame(d.spec?.strategy?.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
  const pod = d.spec?.template.spec;
  t.equal(pod?.automountServiceAccountToken, true);
  t.equal(pod?.terminationGracePeriodSeconds, 30);
  t.equal(pod?.serviceAccountName, 'sdb-tls-guard');
  t.strictSame(pod?.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    fsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.strictSame(pod?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, [
    {
      weight: 100,
      podAffinityTerm: {
        topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: d.spec?.selector.matchLabels },
      },
    },
  ]);
  t.strictSame(d.spec?.selector.matchLabels, {
    'app.kubernetes.io/name': 'sdb-tls-guard',
    'app.kubernetes.io/instance': 'sdb-tls-guard',
  });
  t.equal(pod?.containers.length, 1);
  const c = pod?.containers[0];
  t.equal(c?.image, 'ghcr.io/sdb-tls-guard/sdb-tls-guard:0.1.0');
  t.strictSame(c?.args, [
    'serve',
    '--port=8443',
    '--cert=/certs/tls.crt',
    '--key=/certs/tls.key',
    '--policy=/policy/policy.yaml',
    '--reconcile=true',
    '--shutdown-delay=5s',
  ]);
  t.strictSame(c?.env, [
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ]);
  t.strictSame(c?.ports, [{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
  t.strictSame(c?.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.strictSame(c?.readinessProbe?.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' });
  t.strictSame(c?.livenessProbe?.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
  t.strictSame(c?.startupProbe?.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
  t.strictSame(c?.resources, {
    requests: { cpu: '50m', memory: '96Mi' },
    limits: { cpu: '500m', memory: '256Mi' },
  });
  // read-only root: /tmp is the only writable mount; the serving Secret is read-only
  t.strictSame(c?.volumeMounts, [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'policy', mountPath: '/policy', readOnly: true },
    { name: 'certs', mountPath: '/certs', readOnly: true },
  ]);
  t.strictSame(pod?.volumes?.find((v) => v.name === 'certs'), {
    name: 'certs',
    secret: { secretName: 'sdb-tls-guard-tls', defaultMode: 0o440 },
  });
});

t.test('Service 443 -> https (8443), PDB minAvailable 1, ServiceAccount', async (t) => {
  const objects = render();
  const s = get(objects, 'Service', 'sdb-tls-guard');
  t.strictSame(s.spec?.ports, [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
  t.strictSame(s.spec?.selector, get(objects, 'Deployment').spec?.selector.matchLabels);
  const pdb = get(objects, 'PodDisruptionBudget', 'sdb-tls-guard');
  t.equal(pdb.apiVersion, 'policy/v1');
  t.equal(pdb.spec?.minAvailable, 1);
  t.strictSame(pdb.spec?.selector?.matchLabels, s.spec?.selector);
  t.equal(get(objects, 'ServiceAccount', 'sdb-tls-guard').automountServiceAccountToken, true);
});

t.test('a single replica gets no PDB (it would block every drain)', async (t) => {
  const objects = render({ set: ['replicaCount=1'] });
  t.equal(get(objects, 'Deployment').spec?.replicas, 1);
  t.equal(find(objects, 'PodDisruptionBudget'), undefined);
});

t.test('cert-manager mode: CA chain, serving Certificate, cainjector annotation', async (t) => {
  const objects = render();
  t.strictSame(get(objects, 'Issuer', 'sdb-tls-guard-selfsigned').spec, { selfSigned: {} });
  const ca = get(objects, 'Certificate', 'sdb-tls-guard-ca');
  t.equal(ca.spec?.isCA, true);
  t.equal(ca.spec?.secretName, 'sdb-tls-guard-ca');
  t.strictSame(ca.spec?.issuerRef, { group: 'cert-manager.io', kind: 'Issuer', name: 'sdb-tls-guard-selfsigned' });
  t.strictSame(get(objects, 'Issuer', 'sdb-tls-guard-ca').spec, { ca: { secretName: 'sdb-tls-guard-ca' } });
  const serving = get(objects, 'Certificate', 'sdb-tls-guard-serving');
  t.equal(serving.spec?.secretName, 'sdb-tls-guard-tls');
  t.strictSame(serving.spec?.dnsNames, [
    'sdb-tls-guard',
    'sdb-tls-guard.sdb-tls-guard',
    'sdb-tls-guard.sdb-tls-guard.svc',
    'sdb-tls-guard.sdb-tls-guard.svc.cluster.local',
  ]);
  t.equal(serving.spec?.duration, '2160h');
  t.equal(serving.spec?.renewBefore, '720h');
  t.strictSame(serving.spec?.issuerRef, { group: 'cert-manager.io', kind: 'Issuer', name: 'sdb-tls-guard-ca' });
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const) {
    t.equal(
      get(objects, kind).metadata?.annotations?.['cert-manager.io/inject-ca-from'],
      'sdb-tls-guard/sdb-tls-guard-serving',
      kind,
    );
  }
});

t.test('cert-manager mode with an existing ClusterIssuer creates no Issuer', async (t) => {
  const objects = render({
    set: ['certificates.certManager.issuerRef.kind=ClusterIssuer', 'certificates.certManager.issuerRef.name=corp-ca'],
  });
  t.equal(find(objects, 'Issuer'), undefined);
  t.equal(find(objects, 'Certificate', 'sdb-tls-guard-ca'), undefined);
  t.strictSame(get(objects, 'Certificate', 'sdb-tls-guard-serving').spec?.issuerRef, {
    group: 'cert-manager.io',
    kind: 'ClusterIssuer',
    name: 'corp-ca',
  });
});

t.test('bootstrap mode: no cert-manager objects, writable cert dir, bootstrap flags and RBAC', async (t) => {
  const objects = render({ set: ['certificates.mode=bootstrap'] });
  t.equal(find(objects, 'Certificate'), undefined);
  t.equal(find(objects, 'Issuer'), undefined);
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const) {
    t.equal(get(objects, kind).metadata?.annotations, undefined, `${kind}: no cainjector annotation`);
  }
  const c = get(objects, 'Deployment').spec?.template.spec?.containers[0];
  t.strictSame(c?.args, [
    'serve',
    '--port=8443',
    '--cert=/tmp/certs/tls.crt',
    '--key=/tmp/certs/tls.key',
    '--policy=/policy/policy.yaml',
    '--reconcile=true',
    '--shutdown-delay=5s',
    '--bootstrap-certs',
    '--bootstrap-secret=sdb-tls-guard-bootstrap-certs',
    '--webhook-names=sdb-tls-guard,sdb-tls-guard',
    '--service-name=sdb-tls-guard',
  ]);
  t.strictSame(c?.volumeMounts, [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'policy', mountPath: '/policy', readOnly: true },
  ]);
  t.strictSame(get(objects, 'ClusterRole', 'sdb-tls-guard-bootstrap').rules, [
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
      resourceNames: ['sdb-tls-guard'],
      verbs: ['get', 'patch'],
    },
  ]);
});

t.test('reconcile=false: read-only RBAC, no Role', async (t) => {
  const objects = render({ set: ['reconcile=false'] });
  t.equal(find(objects, 'ClusterRole', 'sdb-tls-guard-reconciler'), undefined);
  t.equal(find(objects, 'Role'), undefined);
  t.equal(find(objects, 'RoleBinding'), undefined);
  t.ok(find(objects, 'ClusterRole', 'sdb-tls-guard-admission'));
  const c = get(objects, 'Deployment').spec?.template.spec?.containers[0];
  t.equal(c?.args?.includes('--reconcile=false'), true);
  t.strictSame(get(objects, 'ClusterRole', 'sdb-tls-guard-admission').rules?.flatMap((r) => r.verbs), ['list', 'watch', 'list', 'watch', 'list', 'watch'], 'read-only');
});

t.test('policy from values lands in the ConfigMap and rolls the pods', async (t) => {
  const plain = render();
  t.equal(get(plain, 'ConfigMap', 'sdb-tls-guard-policy').data?.['policy.yaml']?.trim(), '{}');
  const objects = render({ set: ['policy.privateKeyEncoding=PKCS8', 'policy.allowedIssuers[0].kind=ClusterIssuer', 'policy.allowedIssuers[0].name=*'] });
  t.equal(
    get(objects, 'ConfigMap', 'sdb-tls-guard-policy').data?.['policy.yaml'],
    'allowedIssuers:\n- kind: ClusterIssuer\n  name: \'*\'\nprivateKeyEncoding: PKCS8\n',
  );
  t.not(
    get(objects, 'Deployment').spec?.template.metadata?.annotations?.['checksum/policy'],
    get(plain, 'Deployment').spec?.template.metadata?.annotations?.['checksum/policy'],
  );
});

t.test('image by digest, extra args, names from the release', async (t) => {
  const digest = 'sha256:' + 'ab'.repeat(32);
  const objects = render({ release: 'prod', namespace: 'guard', set: [`image.digest=${digest}`, 'extraArgs={--log-level=debug}'] });
  const d = get(objects, 'Deployment', 'prod-sdb-tls-guard');
  const c = d.spec?.template.spec?.containers[0];
  t.equal(c?.image, `ghcr.io/sdb-tls-guard/sdb-tls-guard@${digest}`);
  t.equal(c?.args?.at(-1), '--log-level=debug');
  t.equal(get(objects, 'Service', 'prod-sdb-tls-guard').metadata?.namespace, 'guard');
  const crb = get(objects, 'ClusterRoleBinding', 'prod-sdb-tls-guard-admission');
  t.strictSame(crb.subjects, [{ kind: 'ServiceAccount', name: 'prod-sdb-tls-guard', namespace: 'guard' }]);
});

t.test('NetworkPolicy: off by default; ingress to https from anywhere; optional egress', async (t) => {
  t.equal(find(render(), 'NetworkPolicy'), undefined);
  const np = get(render({ set: ['networkPolicy.enabled=true'] }), 'NetworkPolicy', 'sdb-tls-guard');
  t.strictSame(np.spec?.policyTypes, ['Ingress']);
  t.strictSame(np.spec?.ingress, [{ ports: [{ port: 'https', protocol: 'TCP' }] }]);
  const np2 = get(
    render({ set: ['networkPolicy.enabled=true', 'networkPolicy.egress.enabled=true', 'networkPolicy.from[0].ipBlock.cidr=10.0.0.0/8'] }),
    'NetworkPolicy',
  );
  t.strictSame(np2.spec?.policyTypes, ['Ingress', 'Egress']);
  t.strictSame(np2.spec?.ingress?.[0]?.from, [{ ipBlock: { cidr: '10.0.0.0/8' } }]);
  t.strictSame(np2.spec?.egress, [
    { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
    { ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
  ]);
});

t.test('ServiceMonitor in bootstrap mode trusts the bootstrap CA bundle', async (t) => {
  const sm = get(render({ set: ['serviceMonitor.enabled=true', 'certificates.mode=bootstrap'], apiVersions: [SM] }), 'ServiceMonitor');
  t.strictSame(sm.spec?.endpoints?.[0]?.tlsConfig?.ca, { secret: { name: 'sdb-tls-guard-bootstrap-certs', key: 'ca-bundle.crt' } });
});

t.test('ServiceMonitor only when enabled AND the CRD is served', async (t) => {
  t.equal(find(render({ apiVersions: [SM] }), 'ServiceMonitor'), undefined, 'not enabled');
  const missing = template({ set: ['serviceMonitor.enabled=true'] });
  t.equal(missing.status, 0);
  t.equal(find(missing.objects, 'ServiceMonitor'), undefined, 'enabled but no CRD');
  const sm = get(render({ set: ['serviceMonitor.enabled=true'], apiVersions: [SM] }), 'ServiceMonitor', 'sdb-tls-guard');
  t.strictSame(sm.spec?.endpoints, [
    {
      port: 'https',
      path: '/metrics',
      scheme: 'https',
      interval: '30s',
      scrapeTimeout: '10s',
      tlsConfig: {
        serverName: 'sdb-tls-guard.sdb-tls-guard.svc',
        ca: { secret: { name: 'sdb-tls-guard-tls', key: 'ca.crt' } },
      },
    },
  ]);
});

interface BadCase {
  name: string;
  set: string;
  message: RegExp;
}

const BAD: BadCase[] = [
  { name: 'replicaCount not an integer', set: 'replicaCount=two', message: /at '\/replicaCount': got string, want integer/ },
  { name: 'replicaCount zero', set: 'replicaCount=0', message: /at '\/replicaCount': minimum: got 0, want 1/ },
  { name: 'unknown certificates.mode', set: 'certificates.mode=self-signed', message: /at '\/certificates\/mode': value must be one of 'cert-manager', 'bootstrap'/ },
  { name: 'unknown failurePolicy', set: 'webhook.failurePolicy=Never', message: /at '\/webhook\/failurePolicy': value must be one of 'Fail', 'Ignore'/ },
  { name: 'timeoutSeconds above 30', set: 'webhook.timeoutSeconds=45', message: /at '\/webhook\/timeoutSeconds': maximum: got 45, want 30/ },
  { name: 'misspelt top-level key', set: 'replicas=3', message: /additional properties 'replicas' not allowed/ },
  { name: 'image digest not sha256', set: 'image.digest=latest', message: /at '\/image\/digest'/ },
  { name: 'policy encoding outside the enum', set: 'policy.privateKeyEncoding=DER', message: /at '\/policy\/privateKeyEncoding': value must be one of 'PKCS1', 'PKCS8'/ },
  { name: 'excluded namespace not a DNS label', set: 'webhook.excludeNamespaces={Bad_NS}', message: /at '\/webhook\/excludeNamespaces\/0'/ },
];

t.test('values.schema.json rejects bad values: helm template exits non-zero with the schema message', async (t) => {
  for (const c of BAD) {
    const r = template({ set: [c.set] });
    t.not(r.status, 0, `${c.name}: exit status`);
    t.match(r.stderr, /values don't meet the specifications of the schema/, `${c.name}: schema failure`);
    t.match(r.stderr, c.message, `${c.name}: message`);
  }
});

t.test('the Deployment args are flags the service accepts (parsed by src/config.ts)', async (t) => {
  for (const set of [[], ['certificates.mode=bootstrap'], ['reconcile=false'], ['certificates.mode=bootstrap', 'reconcile=false']]) {
    const objects = render({ release: 'prod', namespace: 'guard', set });
    const args = get(objects, 'Deployment').spec?.template.spec?.containers[0]?.args;
    if (!args) throw new Error('the Deployment container has no args');
    t.equal(args[0], 'serve');
    const parsed = parseServeArgs(args.slice(1), { POD_NAMESPACE: 'guard', POD_NAME: 'prod-sdb-tls-guard-0' });
    t.ok(parsed.config, `${set.join(',') || 'defaults'}: parsed`);
    t.equal(parsed.config?.port, 8443);
    t.equal(parsed.config?.policyFile, '/policy/policy.yaml');
    t.equal(parsed.config?.shutdownDelayMs, 5000, 'shutdown delay 5s');
    t.equal(parsed.config?.reconcile, !set.includes('reconcile=false'));
    if (set.includes('certificates.mode=bootstrap')) {
      t.strictSame(parsed.config?.bootstrap, {
        secretName: 'prod-sdb-tls-guard-bootstrap-certs',
        validatingWebhook: 'prod-sdb-tls-guard',
        mutatingWebhook: 'prod-sdb-tls-guard',
      });
      t.equal(parsed.config?.serviceName, 'prod-sdb-tls-guard');
      // the bootstrap Secret name and the webhook names are the ones RBAC allows
      t.strictSame(get(objects, 'ClusterRole', 'prod-sdb-tls-guard-bootstrap').rules?.[0]?.resourceNames, ['prod-sdb-tls-guard']);
      t.ok(get(objects, 'Role').rules?.some((r) => (r.resourceNames ?? []).includes('prod-sdb-tls-guard-bootstrap-certs')));
      t.ok(find(objects, 'ValidatingWebhookConfiguration', 'prod-sdb-tls-guard'));
      t.ok(find(objects, 'MutatingWebhookConfiguration', 'prod-sdb-tls-guard'));
    } else {
      t.equal(parsed.config?.bootstrap, undefined);
    }
  }
});

/** The policy file of the rendered policy ConfigMap. */
function policyYaml(objects: Obj[]): string {
  const yaml = get(objects, 'ConfigMap').data?.['policy.yaml'];
  if (yaml === undefined) throw new Error('the ConfigMap has no policy.yaml');
  return yaml;
}

t.test('the policy ConfigMap is a policy the service accepts (parsed by src/core/policy-load.ts)', async (t) => {
  t.strictSame(parsePolicy(policyYaml(render()), 'policy.yaml'), {});
  const rich = render({
    set: [
      'policy.allowedIssuers[0].kind=Issuer',
      'policy.allowedIssuers[0].name=sdb-issuer',
      'policy.protectTLS.namespaces={prod}',
      'policy.certificateDuration.min=24h',
      'policy.privateKeyEncoding=PKCS8',
    ],
  });
  t.strictSame(parsePolicy(policyYaml(rich), 'policy.yaml'), {
    allowedIssuers: [{ kind: 'Issuer', name: 'sdb-issuer' }],
    protectTLS: { namespaces: ['prod'] },
    certificateDuration: { min: '24h' },
    privateKeyEncoding: 'PKCS8',
  });
});
