// SPEC 3a: one named case per rule and boundary, with the exact findings expected.
import t from 'tap';
import { review } from '../../src/core/engine.js';
import type { Finding, Warning } from '../../src/core/findings.js';
import { request } from './helpers.js';
import { messageOf } from '../support/findings.js';

interface Case {
  name: string;
  object: unknown;
  errors: [Finding['rule'], string][];
  warnings?: [Finding['rule'], string][];
}

const pick = (fs: readonly (Finding | Warning)[]): [string, string][] => fs.map((f) => [f.rule, messageOf(f)]);
const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };
const cert = (c: Record<string, unknown>) => request({ issuerRef: REF, certificates: [{ alias: 'server', ...c }] });

const CASES: Case[] = [
  // tls-required
  { name: 'tls-required: spec.tls absent', object: request(undefined), errors: [['tls-required', 'spec.tls: Required value: a ReconfigureTLS request needs spec.tls']] },
  { name: 'tls-required: spec.tls null', object: request(null), errors: [['tls-required', 'spec.tls: Required value: a ReconfigureTLS request needs spec.tls']] },
  // one-operation
  {
    name: 'one-operation: empty tls',
    object: request({}),
    errors: [['one-operation', 'spec.tls: Required value: no reconfiguration is provided in TLS spec; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates']],
  },
  {
    name: 'one-operation: false booleans count as unset',
    object: request({ remove: false, rotateCertificates: false }),
    errors: [['one-operation', 'spec.tls: Required value: no reconfiguration is provided in TLS spec; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates']],
  },
  { name: 'one-operation: remove true with rotate false is one operation', object: request({ remove: true, rotateCertificates: false }), errors: [] },
  // certificates: [] counts as an operation, as KubeDB counts it (SPEC 3a, issue 12)
  {
    name: 'one-operation: certificates [] alone is Required (nothing to do)',
    object: request({ certificates: [] }),
    errors: [['one-operation', 'spec.tls: Required value: no reconfiguration is provided in TLS spec: certificates is empty; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates']],
  },
  {
    name: 'one-operation: certificates [] with remove is two operations',
    object: request({ remove: true, certificates: [] }),
    errors: [['one-operation', 'spec.tls: Forbidden: certificates cannot be combined with remove; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates']],
  },
  {
    name: 'one-operation: certificates [] with rotateCertificates is two operations',
    object: request({ rotateCertificates: true, certificates: [] }),
    errors: [['one-operation', 'spec.tls: Forbidden: certificates cannot be combined with rotateCertificates; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates']],
  },
  { name: 'one-operation: certificates [] with issuerRef is one operation (change issuer)', object: request({ issuerRef: REF, certificates: [] }), errors: [] },
  {
    name: 'one-operation: certificates [] with remove and rotateCertificates',
    object: request({ remove: true, rotateCertificates: true, certificates: [] }),
    errors: [
      ['one-operation', 'spec.tls: Forbidden: rotateCertificates cannot be combined with remove; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
      ['one-operation', 'spec.tls: Forbidden: certificates cannot be combined with remove; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
    ],
  },
  { name: 'one-operation: issuerRef with certificates is one operation', object: request({ issuerRef: REF, certificates: [{ alias: 'client' }] }), errors: [] },
  {
    name: 'one-operation: remove and rotate',
    object: request({ remove: true, rotateCertificates: true }),
    errors: [['one-operation', 'spec.tls: Forbidden: rotateCertificates cannot be combined with remove; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates']],
  },
  {
    name: 'one-operation: rotate with issuerRef and certificates: one finding per extra field',
    object: request({ rotateCertificates: true, issuerRef: REF, certificates: [{ alias: 'client' }] }),
    errors: [
      ['one-operation', 'spec.tls: Forbidden: issuerRef cannot be combined with rotateCertificates; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
      ['one-operation', 'spec.tls: Forbidden: certificates cannot be combined with rotateCertificates; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
    ],
  },
  {
    name: 'one-operation: all three',
    object: request({ remove: true, rotateCertificates: true, issuerRef: REF }),
    errors: [
      ['one-operation', 'spec.tls: Forbidden: rotateCertificates cannot be combined with remove; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
      ['one-operation', 'spec.tls: Forbidden: issuerRef cannot be combined with remove; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
    ],
  },
  // issuer-ref
  { name: 'issuer-ref: ClusterIssuer ok', object: request({ issuerRef: { ...REF, kind: 'ClusterIssuer' } }), errors: [] },
  {
    name: 'issuer-ref: bad kind',
    object: request({ issuerRef: { ...REF, kind: 'CertificateAuthority' } }),
    errors: [['issuer-ref', 'spec.tls.issuerRef.kind: Unsupported value: "CertificateAuthority": supported values: "Issuer", "ClusterIssuer"']],
  },
  {
    name: 'issuer-ref: bad apiGroup',
    object: request({ issuerRef: { ...REF, apiGroup: 'certmanager.k8s.io' } }),
    errors: [['issuer-ref', 'spec.tls.issuerRef.apiGroup: Unsupported value: "certmanager.k8s.io": supported values: "cert-manager.io"']],
  },
  {
    name: 'issuer-ref: bad name',
    object: request({ issuerRef: { ...REF, name: 'SDB_Issuer' } }),
    errors: [
      [
        'issuer-ref',
        'spec.tls.issuerRef.name: Invalid value: "SDB_Issuer": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      ],
    ],
  },
  {
    name: 'issuer-ref: per-certificate issuerRef checked too',
    object: request({ certificates: [{ alias: 'client', issuerRef: { name: 'ca', kind: 'Issuers', apiGroup: 'cert-manager.io' } }] }),
    errors: [['issuer-ref', 'spec.tls.certificates[0].issuerRef.kind: Unsupported value: "Issuers": supported values: "Issuer", "ClusterIssuer"']],
  },
  // certificate-alias
  { name: 'certificate-alias: metrics-exporter ok', object: request({ certificates: [{ alias: 'metrics-exporter' }], issuerRef: REF }), errors: [] },
  {
    name: 'certificate-alias: unsupported alias',
    object: request({ issuerRef: REF, certificates: [{ alias: 'srv' }] }),
    errors: [['certificate-alias', 'spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"']],
  },
  {
    name: 'certificate-alias: duplicate reported on the later item only',
    object: request({ issuerRef: REF, certificates: [{ alias: 'client' }, { alias: 'server' }, { alias: 'client' }] }),
    errors: [['certificate-alias', 'spec.tls.certificates[2].alias: Duplicate value: "client"']],
  },
  // certificate-names
  { name: 'certificate-names: *. wildcard ok', object: cert({ dnsNames: ['*.sample-sdb-pods.demo.svc', 'localhost'] }), errors: [] },
  // certificate-names: deny only what cert-manager or X.509 refuses; warn the rest (issue 12)
  {
    name: 'certificate-names: a.*.b is warned at the element (cert-manager issues it; no host name)',
    object: cert({ dnsNames: ['localhost', 'sample-sdb', 'a.*.b'] }),
    errors: [],
    warnings: [['certificate-names', 'spec.tls.certificates[0].dnsNames[2]: "a.*.b": cert-manager issues it, but it is no RFC 1123 host name: TLS clients will not match it']],
  },
  {
    name: 'certificate-names: dnsNames with an underscore or a trailing dot are warned, upper case is fine',
    object: cert({ dnsNames: ['DB.Example.com', 'a_b.example.com', 'db.example.com.'] }),
    errors: [],
    warnings: [
      ['certificate-names', 'spec.tls.certificates[0].dnsNames[1]: "a_b.example.com": cert-manager issues it, but it is no RFC 1123 host name: TLS clients will not match it'],
      ['certificate-names', 'spec.tls.certificates[0].dnsNames[2]: "db.example.com.": cert-manager issues it, but it is no RFC 1123 host name: TLS clients will not match it'],
    ],
  },
  {
    name: 'certificate-names: an empty or non-ASCII dnsName is denied (RFC 5280 / IA5String)',
    object: cert({ dnsNames: ['', 'bücher.example.com'] }),
    errors: [
      ['certificate-names', 'spec.tls.certificates[0].dnsNames[0]: Invalid value: "": must not be empty (RFC 5280 forbids an empty dNSName)'],
      ['certificate-names', 'spec.tls.certificates[0].dnsNames[1]: Invalid value: "bücher.example.com": must be ASCII (an IA5String; punycode an internationalised name): cert-manager cannot issue it'],
    ],
  },
  {
    name: 'certificate-names: URIs: bad %-escape and non-ASCII denied, RFC 3986-illegal characters warned',
    object: cert({ uris: ['spiffe://cluster.local/ns/x%zz', 'spiffe://cluster.local/ns/dé', 'spiffe://cluster.local/a b'] }),
    errors: [
      ['certificate-names', 'spec.tls.certificates[0].uris[0]: Invalid value: "spiffe://cluster.local/ns/x%zz": has a malformed %-escape: Go\'s net/url (cert-manager) cannot parse it'],
      ['certificate-names', 'spec.tls.certificates[0].uris[1]: Invalid value: "spiffe://cluster.local/ns/dé": must be ASCII without control characters: cert-manager cannot issue it'],
    ],
    warnings: [['certificate-names', 'spec.tls.certificates[0].uris[2]: "spiffe://cluster.local/a b": cert-manager issues it, but it has characters RFC 3986 does not allow']],
  },
  {
    name: 'certificate-names: e-mail: a display name or a quoted local part is denied (net/mail), a domain that is no host name warned',
    object: cert({ emailAddresses: ['Ops <ops@example.com>', '"a b"@example.com', 'ops@-example.com', 'ops@[10.0.0.1]'] }),
    errors: [
      ['certificate-names', 'spec.tls.certificates[0].emailAddresses[0]: Invalid value: "Ops <ops@example.com>": must be an e-mail address of the form local@domain'],
      ['certificate-names', 'spec.tls.certificates[0].emailAddresses[1]: Invalid value: "\\"a b\\"@example.com": must be an e-mail address of the form local@domain'],
    ],
    warnings: [['certificate-names', 'spec.tls.certificates[0].emailAddresses[2]: "ops@-example.com": cert-manager issues it, but its domain is no host name or a part is too long (RFC 5321)']],
  },
  { name: 'certificate-names: IPv6 ok', object: cert({ ipAddresses: ['127.0.0.1', '::1', '2001:db8::1'] }), errors: [] },
  {
    name: 'certificate-names: bad IP',
    object: cert({ ipAddresses: ['::1', '300.1.1.1'] }),
    errors: [['certificate-names', 'spec.tls.certificates[0].ipAddresses[1]: Invalid value: "300.1.1.1": must be a valid IPv4 or IPv6 address']],
  },
  {
    name: 'certificate-names: relative URI',
    object: cert({ uris: ['spiffe://cluster.local/ns/demo', '/ns/demo'] }),
    errors: [['certificate-names', 'spec.tls.certificates[0].uris[1]: Invalid value: "/ns/demo": must be an absolute URI with a scheme (e.g. spiffe://cluster.local/ns/demo)']],
  },
  {
    name: 'certificate-names: bad e-mail',
    object: cert({ emailAddresses: ['kubedb@appscode.com', 'kubedb'] }),
    errors: [['certificate-names', 'spec.tls.certificates[0].emailAddresses[1]: Invalid value: "kubedb": must be an e-mail address of the form local@domain']],
  },
  {
    name: 'certificate-names: bad secretName',
    object: cert({ secretName: 'Sdb_Server' }),
    errors: [
      [
        'certificate-names',
        'spec.tls.certificates[0].secretName: Invalid value: "Sdb_Server": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      ],
    ],
  },
  // certificate-duration
  { name: 'certificate-duration: exactly 1h ok', object: cert({ duration: '1h' }), errors: [] },
  { name: 'certificate-duration: 1h30m, 1.5h, 2160h ok', object: request({ issuerRef: REF, certificates: [{ alias: 'server', duration: '1h30m' }, { alias: 'client', duration: '1.5h' }, { alias: 'metrics-exporter', duration: '2160h' }] }), errors: [] },
  {
    name: 'certificate-duration: 59m denied',
    object: cert({ duration: '59m' }),
    errors: [['certificate-duration', 'spec.tls.certificates[0].duration: Invalid value: "59m": must be at least 1h (cert-manager\'s minimum certificate duration)']],
  },
  {
    name: 'certificate-duration: not a Go duration',
    object: cert({ duration: '90d' }),
    errors: [['certificate-duration', 'spec.tls.certificates[0].duration: Invalid value: "90d": time: unknown unit "d" in duration "90d"']],
  },
  { name: 'certificate-duration: renewBefore exactly 5m ok', object: cert({ duration: '1h', renewBefore: '5m' }), errors: [] },
  {
    name: 'certificate-duration: renewBefore 4m59s denied',
    object: cert({ duration: '1h', renewBefore: '4m59s' }),
    errors: [['certificate-duration', 'spec.tls.certificates[0].renewBefore: Invalid value: "4m59s": must be at least 5m (cert-manager\'s minimum renewBefore)']],
  },
  { name: 'certificate-duration: renewBefore 300ms denied', object: cert({ renewBefore: '300ms' }), errors: [['certificate-duration', 'spec.tls.certificates[0].renewBefore: Invalid value: "300ms": must be at least 5m (cert-manager\'s minimum renewBefore)']] },
  {
    name: 'certificate-duration: renewBefore equal to duration denied',
    object: cert({ duration: '2h', renewBefore: '2h' }),
    errors: [['certificate-duration', 'spec.tls.certificates[0].renewBefore: Invalid value: "2h": must be shorter than duration "2h"']],
  },
  { name: 'certificate-duration: renewBefore just under duration ok', object: cert({ duration: '2h', renewBefore: '119m' }), errors: [] },
  {
    name: 'certificate-duration: renewBefore against the default duration',
    object: cert({ renewBefore: '2160h' }),
    errors: [['certificate-duration', 'spec.tls.certificates[0].renewBefore: Invalid value: "2160h": must be shorter than duration 2160h (cert-manager\'s default)']],
  },
  {
    name: 'certificate-duration: bad renewBefore and bad duration both reported',
    object: cert({ duration: 'x', renewBefore: 'y' }),
    errors: [
      ['certificate-duration', 'spec.tls.certificates[0].duration: Invalid value: "x": time: invalid duration "x"'],
      ['certificate-duration', 'spec.tls.certificates[0].renewBefore: Invalid value: "y": time: invalid duration "y"'],
    ],
  },
  // timeout
  { name: 'timeout: 1h30m ok', object: request({ remove: true }, { timeout: '1h30m' }), errors: [] },
  { name: 'timeout: not a Go duration', object: request({ remove: true }, { timeout: '10 minutes' }), errors: [['timeout', 'spec.timeout: Invalid value: "10 minutes": time: unknown unit " minutes" in duration "10 minutes"']] },
  { name: 'timeout: zero', object: request({ remove: true }, { timeout: '0s' }), errors: [['timeout', 'spec.timeout: Invalid value: "0s": must be greater than zero']] },
  { name: 'timeout: negative', object: request({ remove: true }, { timeout: '-5m' }), errors: [['timeout', 'spec.timeout: Invalid value: "-5m": must be greater than zero']] },
  { name: 'timeout: 1ns ok', object: request({ remove: true }, { timeout: '1ns' }), errors: [] },
  // database-ref
  {
    name: 'database-ref: uppercase name',
    object: request({ remove: true }, { databaseRef: { name: 'Sample-SDB' } }),
    errors: [['database-ref', 'spec.databaseRef.name: Invalid value: "Sample-SDB": a Singlestore name must consist of lower case alphanumeric characters or \'-\', start with a letter and end with an alphanumeric character (regex used for validation is \'^[a-z]([-a-z0-9]*[a-z0-9])?$\')']],
  },
  {
    name: 'database-ref: 64 characters',
    object: request({ remove: true }, { databaseRef: { name: 'a'.repeat(64) } }),
    errors: [['database-ref', `spec.databaseRef.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]],
  },
  { name: 'database-ref: 63 characters ok', object: request({ remove: true }, { databaseRef: { name: 'a'.repeat(63) } }), errors: [] },
  // everything at once: all collected, none stops at the first
  {
    name: 'all findings are collected',
    object: request({ rotateCertificates: true, certificates: [{ alias: 'srv', duration: '30m' }, { alias: 'srv' }] }, { timeout: '0', databaseRef: { name: '1db' } }),
    errors: [
      ['one-operation', 'spec.tls: Forbidden: certificates cannot be combined with rotateCertificates; one operation per request: remove, rotateCertificates, or issuerRef and/or certificates'],
      ['certificate-alias', 'spec.tls.certificates[0].alias: Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"'],
      ['certificate-alias', 'spec.tls.certificates[1].alias: Unsupported value: "srv": supported values: "server", "client", "metrics-exporter"'],
      ['certificate-alias', 'spec.tls.certificates[1].alias: Duplicate value: "srv"'],
      ['certificate-duration', 'spec.tls.certificates[0].duration: Invalid value: "30m": must be at least 1h (cert-manager\'s minimum certificate duration)'],
      ['timeout', 'spec.timeout: Invalid value: "0": must be greater than zero'],
      ['database-ref', 'spec.databaseRef.name: Invalid value: "1db": a Singlestore name must consist of lower case alphanumeric characters or \'-\', start with a letter and end with an alphanumeric character (regex used for validation is \'^[a-z]([-a-z0-9]*[a-z0-9])?$\')'],
    ],
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const r = review({ object: c.object, operation: 'CREATE' });
    t.same(pick(r.errors), c.errors, 'errors');
    t.same(pick(r.warnings), c.warnings ?? [], 'warnings');
  });
}

t.test('findings carry rule, field and type', async (t) => {
  const r = review({ object: cert({ dnsNames: ['ok', ''] }), operation: 'CREATE' });
  t.same(r.errors.map(({ rule, field, type }) => ({ rule, field, type })), [{ rule: 'certificate-names', field: 'spec.tls.certificates[0].dnsNames[1]', type: 'Invalid' }]);
  const w = review({ object: cert({ dnsNames: ['ok', 'a.*.b'] }), operation: 'CREATE' });
  t.same(w.warnings.map((x) => ({ rule: x.rule, field: x.field, type: (x as { type?: string }).type })), [{ rule: 'certificate-names', field: 'spec.tls.certificates[0].dnsNames[1]', type: undefined }], 'a warning has no field-error type');
  const d = review({ object: request({ issuerRef: REF, certificates: [{ alias: 'client' }, { alias: 'client' }] }), operation: 'CREATE' });
  t.same(d.errors.map(({ field, type }) => ({ field, type })), [{ field: 'spec.tls.certificates[1].alias', type: 'Duplicate' }]);
  const o = review({ object: request({}), operation: 'CREATE' });
  t.same(o.errors.map(({ field, type }) => ({ field, type })), [{ field: 'spec.tls', type: 'Required' }]);
});
