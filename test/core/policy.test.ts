// SPEC 3c: policy rules, each only when the policy enables it; parsePolicy.
import t from 'tap';
import { review } from '../../src/core/engine.js';
import type { Finding } from '../../src/core/findings.js';
import { MemoryView } from '../../src/core/memory-view.js';
import type { Policy } from '../../src/core/policy.js';
import { PolicyError, parsePolicy } from '../../src/core/policy-load.js';
import { issuer, request, singlestore } from './helpers.js';
import { messageOf } from '../support/findings.js';

const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };
const DB_TLS = { issuerRef: REF };
const STATE = [singlestore('sample-sdb', { tls: DB_TLS, labels: { tier: 'prod' } }), issuer('sdb-issuer'), issuer('other'), issuer('ca', 'True', 'ClusterIssuer')];
const pick = (fs: readonly Finding[]): [string, string][] => fs.map((f) => [f.rule, messageOf(f)]);

interface Case {
  name: string;
  object: unknown;
  policy: Policy;
  errors?: [Finding['rule'], string][];
  notEvaluated?: string[];
  noView?: boolean;
}

const CASES: Case[] = [
  { name: 'allowed-issuers: listed issuer passes', object: request({ issuerRef: { ...REF, name: 'other' } }), policy: { allowedIssuers: [{ kind: 'Issuer', name: 'other' }] } },
  { name: 'allowed-issuers: name * matches any name of that kind', object: request({ issuerRef: { ...REF, kind: 'ClusterIssuer', name: 'ca' } }), policy: { allowedIssuers: [{ kind: 'ClusterIssuer', name: '*' }] } },
  {
    name: 'allowed-issuers: unlisted issuer (top level and per certificate)',
    object: request({ issuerRef: { ...REF, name: 'other' }, certificates: [{ alias: 'client', issuerRef: { ...REF, kind: 'ClusterIssuer', name: 'ca' } }] }),
    policy: { allowedIssuers: [{ kind: 'Issuer', name: 'sdb-issuer' }] },
    errors: [
      ['allowed-issuers', 'spec.tls.issuerRef: Unsupported value: "Issuer/other": supported values: "Issuer/sdb-issuer"'],
      ['allowed-issuers', 'spec.tls.certificates[0].issuerRef: Unsupported value: "ClusterIssuer/ca": supported values: "Issuer/sdb-issuer"'],
    ],
  },
  { name: 'allowed-issuers: requests without issuerRef are not judged', object: request({ rotateCertificates: true }), policy: { allowedIssuers: [] } },
  {
    name: 'tls-removal-protected: protected namespace',
    object: request({ remove: true }),
    policy: { protectTLS: { namespaces: ['demo'] } },
    errors: [['tls-removal-protected', 'spec.tls.remove: Forbidden: policy protectTLS forbids removing TLS from Singlestore demo/sample-sdb (namespace demo is protected)']],
  },
  { name: 'tls-removal-protected: other namespace passes', object: request({ remove: true }), policy: { protectTLS: { namespaces: ['prod'] } } },
  {
    name: 'tls-removal-protected: matching labels',
    object: request({ remove: true }),
    policy: { protectTLS: { databaseSelector: { matchLabels: { tier: 'prod' } } } },
    errors: [['tls-removal-protected', 'spec.tls.remove: Forbidden: policy protectTLS forbids removing TLS from Singlestore demo/sample-sdb (its labels match tier=prod)']],
  },
  { name: 'tls-removal-protected: labels not matching pass', object: request({ remove: true }), policy: { protectTLS: { databaseSelector: { matchLabels: { tier: 'dev' } } } } },
  { name: 'tls-removal-protected: rotate is not removal', object: request({ rotateCertificates: true }), policy: { protectTLS: {} } },
  {
    name: 'tls-removal-protected: no selector protects every database',
    object: request({ remove: true }),
    policy: { protectTLS: {} },
    errors: [['tls-removal-protected', 'spec.tls.remove: Forbidden: policy protectTLS forbids removing TLS from Singlestore demo/sample-sdb (every database is protected)']],
  },
  {
    name: 'tls-removal-protected: a selector without a view is notEvaluated',
    object: request({ remove: true }),
    policy: { protectTLS: { databaseSelector: { matchLabels: { tier: 'prod' } } } },
    noView: true,
    notEvaluated: ['database-exists', 'database-halted', 'database-paused', 'tls-op-in-flight', 'tls-op-superseded', 'op-in-flight', 'tls-not-enabled', 'issuer-exists', 'issuer-not-ready', 'database-not-ready', 'no-op', 'tls-removal-protected'],
  },
  {
    name: 'tls-removal-protected: namespaces only needs no view',
    object: request({ remove: true }),
    policy: { protectTLS: { namespaces: ['demo'] } },
    noView: true,
    errors: [['tls-removal-protected', 'spec.tls.remove: Forbidden: policy protectTLS forbids removing TLS from Singlestore demo/sample-sdb (namespace demo is protected)']],
    notEvaluated: ['database-exists', 'database-halted', 'database-paused', 'tls-op-in-flight', 'tls-op-superseded', 'op-in-flight', 'tls-not-enabled', 'issuer-exists', 'issuer-not-ready', 'database-not-ready', 'no-op'],
  },
  {
    name: 'certificate-duration-bounds: below min and above max',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', duration: '2h' }, { alias: 'client', duration: '9000h' }, { alias: 'metrics-exporter', duration: '24h' }] }),
    policy: { certificateDuration: { min: '24h', max: '8760h' } },
    errors: [
      ['certificate-duration-bounds', 'spec.tls.certificates[0].duration: Invalid value: "2h": must be between 24h and 8760h (policy certificateDuration)'],
      ['certificate-duration-bounds', 'spec.tls.certificates[1].duration: Invalid value: "9000h": must be between 24h and 8760h (policy certificateDuration)'],
    ],
  },
  { name: 'certificate-duration-bounds: exactly max ok', object: request({ issuerRef: REF, certificates: [{ alias: 'server', duration: '8760h' }] }), policy: { certificateDuration: { max: '8760h' } } },
  {
    name: 'certificate-duration-bounds: min only',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', duration: '23h59m' }] }),
    policy: { certificateDuration: { min: '24h' } },
    errors: [['certificate-duration-bounds', 'spec.tls.certificates[0].duration: Invalid value: "23h59m": must be at least 24h (policy certificateDuration)']],
  },
  {
    name: 'private-key-encoding: another encoding',
    object: request({ issuerRef: REF, certificates: [{ alias: 'server', privateKey: { encoding: 'PKCS1' } }, { alias: 'client', privateKey: { encoding: 'PKCS8' } }, { alias: 'metrics-exporter' }] }),
    policy: { privateKeyEncoding: 'PKCS8' },
    errors: [['private-key-encoding', 'spec.tls.certificates[0].privateKey.encoding: Unsupported value: "PKCS1": supported values: "PKCS8"']],
  },
  {
    name: 'no policy key set: no policy rule runs',
    object: request({ remove: true, certificates: undefined }),
    policy: {},
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const r = review({ object: c.object, operation: 'CREATE', policy: c.policy, ...(c.noView ? {} : { view: MemoryView.from(STATE) }) });
    t.same(pick(r.errors), c.errors ?? [], 'errors');
    t.same(r.notEvaluated.map((n) => n.rule), c.notEvaluated ?? [], 'notEvaluated');
  });
}

t.test('policy rules are off without a policy', async (t) => {
  const r = review({ object: request({ remove: true }), operation: 'CREATE', view: MemoryView.from(STATE) });
  t.same(r.errors, []);
});

t.test('parsePolicy: a full policy', async (t) => {
  const text = [
    'allowedIssuers:',
    '  - {kind: Issuer, name: sdb-issuer}',
    '  - {kind: ClusterIssuer, name: "*"}',
    'protectTLS:',
    '  namespaces: [prod]',
    '  databaseSelector: {matchLabels: {tier: prod}}',
    'certificateDuration: {min: 24h, max: 8760h}',
    'privateKeyEncoding: PKCS8',
  ].join('\n');
  t.same(parsePolicy(text, 'policy.yaml'), {
    allowedIssuers: [
      { kind: 'Issuer', name: 'sdb-issuer' },
      { kind: 'ClusterIssuer', name: '*' },
    ],
    protectTLS: { namespaces: ['prod'], databaseSelector: { matchLabels: { tier: 'prod' } } },
    certificateDuration: { min: '24h', max: '8760h' },
    privateKeyEncoding: 'PKCS8',
  });
  t.same(parsePolicy('', 'empty.yaml'), {}, 'an empty file is an empty policy');
  t.same(parsePolicy('# only a comment\n', 'c.yaml'), {});
});

const BAD: [string, string, string[]][] = [
  ['unknown top-level key', 'allowIssuers: []', ['allowIssuers: unknown field']],
  ['unknown nested key', 'protectTLS: {namespace: [a]}', ['protectTLS.namespace: unknown field']],
  ['bad kind and missing name', 'allowedIssuers: [{kind: CA}]', ['allowedIssuers[0].name: Required value', 'allowedIssuers[0].kind: Unsupported value: "CA": supported values: "Issuer", "ClusterIssuer"']],
  ['wrong type', 'protectTLS: {namespaces: demo}', ['protectTLS.namespaces: must be of type array']],
  ['bad duration', 'certificateDuration: {min: 1d}', ['certificateDuration.min: time: unknown unit "d" in duration "1d"']],
  ['min greater than max', 'certificateDuration: {min: 48h, max: 24h}', ['certificateDuration: min "48h" is greater than max "24h"']],
  ['zero min', 'certificateDuration: {min: 0s}', ['certificateDuration.min: must be greater than zero']],
  ['label value not a string', 'protectTLS: {databaseSelector: {matchLabels: {tier: 1}}}', ['protectTLS.databaseSelector.matchLabels.tier: must be of type string']],
  ['not a mapping', '- a\n- b', ['<root>: must be of type object']],
  ['bad encoding', 'privateKeyEncoding: DER', ['privateKeyEncoding: Unsupported value: "DER": supported values: "PKCS1", "PKCS8"']],
  ['YAML syntax error with line', 'protectTLS:\n  namespaces: [a\n', ['line 3 column 1: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['two documents', 'a: 1\n---\nb: 2\n', ['the policy must be a single YAML document']],
];

for (const [name, text, problems] of BAD) {
  t.test(`parsePolicy rejects: ${name}`, async (t) => {
    t.throws(() => parsePolicy(text, '/etc/sdb/policy.yaml'), new PolicyError('/etc/sdb/policy.yaml', problems));
    try {
      parsePolicy(text, '/etc/sdb/policy.yaml');
    } catch (e) {
      t.equal((e as Error).message, `invalid policy /etc/sdb/policy.yaml: ${problems.join('; ')}`);
      t.type(e, PolicyError);
    }
  });
}
