// Renders docs/rules.md from the rule table and example inputs run through the engine, so
// the examples in the docs are the engine's own output. docs.test.ts checks the file is
// up to date; regenerate with `npx tsx test/core/gen-rules-doc.ts`.
import { decide } from '../../src/core/engine.js';
import { MemoryView } from '../../src/core/memory-view.js';
import type { Policy } from '../../src/core/policy.js';
import { DEFAULTS, RULES, type DefaultId, type RuleId } from '../../src/core/rules/table.js';
import { messageOf } from '../support/findings.js';
import { issuer, opsRequest, request, singlestore } from './helpers.js';

type Json = Record<string, unknown>;
const REF = { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' };
const DB_TLS = { issuerRef: REF, certificates: [{ alias: 'server' }, { alias: 'client' }] };

interface Example {
  object: unknown;
  oldObject?: unknown;
  operation?: 'CREATE' | 'UPDATE';
  state?: unknown[];
  policy?: Policy;
}

const tlsDb = (extra: Parameters<typeof singlestore>[1] = {}) => singlestore('sample-sdb', { tls: DB_TLS, ...extra });
const bare = (spec: Json): Json => ({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'SinglestoreOpsRequest', metadata: { name: 'sdbops-test', namespace: 'demo' }, spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' }, ...spec } });

/** One example input per rule id, chosen so that the rule fires. */
export const RULE_EXAMPLES: Record<RuleId, Example> = {
  schema: { object: request({ remove: true, sslMode: 'requireSSL' }) },
  'tls-required': { object: request(undefined) },
  'one-operation': { object: request({ remove: true, rotateCertificates: true }) },
  'issuer-ref': { object: request({ issuerRef: { ...REF, kind: 'CertificateAuthority' } }) },
  'certificate-alias': { object: request({ issuerRef: REF, certificates: [{ alias: 'client' }, { alias: 'client' }] }) },
  'certificate-names': { object: request({ issuerRef: REF, certificates: [{ alias: 'server', dnsNames: ['localhost', 'sample-sdb', 'a.*.b'], emailAddresses: ['Ops <ops@example.com>'] }] }) },
  'certificate-duration': { object: request({ issuerRef: REF, certificates: [{ alias: 'server', duration: '59m' }] }) },
  timeout: { object: request({ remove: true }, { timeout: '0s' }) },
  'database-ref': { object: request({ remove: true }, { databaseRef: { name: 'Sample_SDB' } }) },
  'spec-immutable': { object: request({ remove: true }), oldObject: request({ rotateCertificates: true }), operation: 'UPDATE' },
  'tls-ignored': { object: { ...request({ remove: true }), spec: { type: 'Restart', databaseRef: { name: 'sample-sdb' }, tls: { remove: true } } } },
  'database-exists': { object: request({ rotateCertificates: true }), state: [] },
  'database-halted': { object: request({ rotateCertificates: true }), state: [tlsDb({ halted: true })] },
  'database-paused': {
    object: request({ rotateCertificates: true }),
    state: [tlsDb({ conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/sdbops-restart', message: 'paused for a restart' }] })],
  },
  'tls-op-in-flight': { object: request({ rotateCertificates: true }), state: [tlsDb(), opsRequest('sdbops-add-tls', 'ReconfigureTLS', 'Progressing')] },
  'tls-op-superseded': { object: request({ rotateCertificates: true }), state: [tlsDb(), opsRequest('sdbops-add-tls', 'ReconfigureTLS', 'Pending')] },
  'op-in-flight': { object: request({ rotateCertificates: true }), state: [tlsDb(), opsRequest('sdbops-scale', 'HorizontalScaling', 'Progressing')] },
  'tls-not-enabled': { object: request({ remove: true }), state: [singlestore('sample-sdb')] },
  'issuer-exists': { object: request({ issuerRef: { ...REF, name: 'sdb-new-issuer' } }), state: [tlsDb()] },
  'issuer-not-ready': { object: request({ issuerRef: { ...REF, name: 'sdb-new-issuer' } }), state: [tlsDb(), issuer('sdb-new-issuer', 'False')] },
  'database-not-ready': { object: request({ rotateCertificates: true }), state: [tlsDb({ phase: 'Provisioning' })] },
  'no-op': { object: request({ issuerRef: REF }), state: [tlsDb(), issuer('sdb-issuer')] },
  'allowed-issuers': {
    object: request({ issuerRef: { ...REF, name: 'selfsigned' } }),
    state: [tlsDb(), issuer('selfsigned')],
    policy: { allowedIssuers: [{ kind: 'Issuer', name: 'sdb-issuer' }, { kind: 'ClusterIssuer', name: '*' }] },
  },
  'tls-removal-protected': { object: request({ remove: true }), state: [tlsDb({ labels: { tier: 'prod' } })], policy: { protectTLS: { databaseSelector: { matchLabels: { tier: 'prod' } } } } },
  'certificate-duration-bounds': { object: request({ issuerRef: REF, certificates: [{ alias: 'server', duration: '2h' }] }), state: [tlsDb(), issuer('sdb-issuer')], policy: { certificateDuration: { min: '24h', max: '8760h' } } },
  'private-key-encoding': { object: request({ issuerRef: REF, certificates: [{ alias: 'server', privateKey: { encoding: 'PKCS1' } }] }), state: [tlsDb(), issuer('sdb-issuer')], policy: { privateKeyEncoding: 'PKCS8' } },
};

export const DEFAULT_EXAMPLES: Record<DefaultId, unknown> = {
  'default-apply': bare({ tls: { remove: true }, timeout: '10m' }),
  'default-issuer-group': bare({ apply: 'IfReady', timeout: '10m', tls: { issuerRef: { kind: 'Issuer', name: 'sdb-issuer' }, certificates: [{ alias: 'client', issuerRef: { kind: 'ClusterIssuer', name: 'ca' } }] } }),
  'default-timeout': bare({ tls: { remove: true }, apply: 'Always' }),
};

/** The engine's messages for a rule's example: the findings of that rule only. */
export function exampleMessages(id: RuleId): string[] {
  const ex = RULE_EXAMPLES[id];
  const d = decide({
    object: ex.object,
    oldObject: ex.oldObject,
    operation: ex.operation ?? 'CREATE',
    ...(ex.state ? { view: MemoryView.from(ex.state) } : {}),
    ...(ex.policy ? { policy: ex.policy } : {}),
  });
  return [...d.result.errors, ...d.result.warnings].filter((f) => f.rule === id).map(messageOf);
}

/** The warnings of a rule's example (for a deny rule that also warns). */
export function exampleWarnings(id: RuleId): string[] {
  const ex = RULE_EXAMPLES[id];
  const d = decide({ object: ex.object, operation: ex.operation ?? 'CREATE', ...(ex.state ? { view: MemoryView.from(ex.state) } : {}) });
  return d.result.warnings.filter((f) => f.rule === id).map(messageOf);
}

export function defaultExamplePatch(id: DefaultId): string[] {
  return decide({ object: DEFAULT_EXAMPLES[id], operation: 'CREATE' }).patch.map((op) => JSON.stringify(op));
}

const SECTION_TITLES = {
  '3a': 'Static rules (need nothing but the object)',
  '3b': 'Cluster rules (need cluster state: informer caches, `--state` or `--cluster`)',
  '3c': 'Policy rules (only when the policy file sets their key)',
} as const;

const FIELDS: Record<RuleId, string> = {
  schema: 'the offending path',
  'tls-required': '`spec.tls`',
  'one-operation': '`spec.tls`',
  'issuer-ref': '`…issuerRef.kind` / `.apiGroup` / `.name`',
  'certificate-alias': '`spec.tls.certificates[i].alias`',
  'certificate-names': 'the element, e.g. `…dnsNames[2]`',
  'certificate-duration': '`…duration` / `…renewBefore`',
  timeout: '`spec.timeout`',
  'database-ref': '`spec.databaseRef.name`',
  'spec-immutable': '`spec`',
  'tls-ignored': '`spec.tls`',
  'database-exists': '`spec.databaseRef.name`',
  'database-halted': '`spec.databaseRef`',
  'database-paused': '`spec.databaseRef`',
  'tls-op-in-flight': '`spec.databaseRef`',
  'tls-op-superseded': '`spec.databaseRef`',
  'op-in-flight': '`spec.databaseRef`',
  'tls-not-enabled': '`spec.tls.remove` / `spec.tls.rotateCertificates` / `spec.tls.issuerRef`',
  'issuer-exists': '`…issuerRef.name`',
  'issuer-not-ready': '`…issuerRef.name`',
  'database-not-ready': '`spec.apply`',
  'no-op': '`spec.tls.issuerRef`',
  'allowed-issuers': '`…issuerRef`',
  'tls-removal-protected': '`spec.tls.remove`',
  'certificate-duration-bounds': '`…duration`',
  'private-key-encoding': '`…privateKey.encoding`',
};

const CERT_MANAGER_SECTION: string[] = [
  '## Fields cert-manager owns: what we deny, what we only warn about',
  '',
  'cert-manager, not KubeDB and not this webhook, turns `dnsNames`, `uris`, `emailAddresses`,',
  '`ipAddresses`, `duration` and `renewBefore` into a certificate. We deny only what cert-manager\'s',
  'own webhook (`internal/apis/certmanager/validation/certificate.go`, v1.21.2) or X.509 would refuse —',
  'a request carrying such a value would only fail later, inside the reconciler, with the database',
  'paused. What we used to deny beyond that is a `certificate-names` warning with the reason in its',
  'message: cert-manager issues the certificate, it is just unlikely to do what was meant.',
  '',
  '| field | denied (cert-manager / X.509 refuses it) | warned (cert-manager issues it) |',
  '|---|---|---|',
  '| `secretName` | not a DNS-1123 subdomain (cert-manager: `NameIsDNSSubdomain`; a Secret name) | — |',
  '| `dnsNames[i]` | empty (RFC 5280: a dNSName must not be empty); not ASCII (crypto/x509 encodes SANs as IA5String; punycode it) | not an RFC 1123 host name, with an optional leading `*.` (e.g. `a.*.b`, `a_b.example.com`, a trailing dot): TLS clients will not match it. Upper case is fine (host names are case-insensitive). |',
  '| `ipAddresses[i]` | not an address Go\'s `net.ParseIP` reads (cert-manager\'s check; no zones, no leading zeros) | — |',
  '| `uris[i]` | no scheme (RFC 5280: a URI SAN must be absolute); not ASCII or control characters (IA5String, net/url); a malformed `%`-escape (net/url cannot parse it) | characters RFC 3986 does not allow (a space, a double quote, `<`, `>`, a backslash, `^`, a backtick, braces, a vertical bar) |',
  '| `emailAddresses[i]` | not read by Go\'s `net/mail.ParseAddress` as the address alone (cert-manager\'s check): no `@`, a local part or domain that is not a dot-atom (or `[literal]`), a display name, a quoted local part; not ASCII | a domain that is no host name (e.g. `ops@-example.com`), a local part over 64 or a domain over 253 characters (RFC 5321), a `[literal]` that is not an IP |',
  '| `duration` | not a Go duration; under 1h (`MinimumCertificateDuration`) | — |',
  '| `renewBefore` | not a Go duration; under 5m (`MinimumRenewBefore`); not shorter than `duration` (cert-manager\'s default 2160h when absent) | — |',
  '',
];

/** KubeDB's validator for this kind (kubedb/apimachinery pkg/webhooks/ops/v1alpha1/singlestore.go); test/core/kubedb-webhook.test.ts has a denied input for each row. */
const KUBEDB_SECTION: string[] = [
  '## Compared with KubeDB\'s own webhook',
  '',
  'KubeDB ships a validator only (no defaulting) for `SinglestoreOpsRequest`, with failurePolicy',
  'Ignore. Every check it makes for a ReconfigureTLS request is covered here by a rule that denies the',
  'same input; `test/core/kubedb-webhook.test.ts` runs one input KubeDB denies per check (and every',
  'combination of operations) through the engine and shows we deny it too.',
  '',
  '| KubeDB checks | KubeDB\'s message | our rule | where we go further |',
  '|---|---|---|---|',
  '| the type is a Singlestore ops type | `defined OpsRequestType <t> is not supported, ...` | `schema` (NotSupported at `spec.type`) | the whole schema: JSON types, enums, required fields, unknown fields under `spec.tls` |',
  '| the database `<ns>/<name>` exists | `spec.databaseRef <ns>/<name>, is invalid or not found` | `database-exists` | `database-ref` checks the name first; `database-halted`, `database-paused`, `tls-not-enabled`, `database-not-ready`, `no-op` judge the database KubeDB only looks up |',
  '| `spec.tls` is present | `spec.TLS nil not supported in ReconfigureTLS type` | `tls-required` | — |',
  '| at least one operation | `no reconfiguration is provided in TLS spec` | `one-operation` (Required) | `certificates: []` alone is denied too: KubeDB counts the empty list as an operation and admits a request with nothing to do |',
  '| at most one operation, counted `remove`, `rotateCertificates`, `issuerRef != nil \\|\\| certificates != nil` (so `{remove: true, certificates: []}` is two) | `more than 1 field have assigned to spec.reconfigureTLS but at a time one is allowed to run one operation` | `one-operation` (Forbidden, one finding per extra field, counted the same way) | names each field that is one too many |',
  '| on UPDATE the spec is frozen | `At least one of the following was changed: apiVersion kind name namespace spec` | `spec-immutable` | — |',
  '| on UPDATE the checks above run again | (as above) | `spec-immutable` denies any changed spec | on purpose we do not re-run the cluster checks on UPDATE: with an unchanged spec they were judged at CREATE, and a status or metadata update (the reconciler\'s, while the database is paused or after it was deleted) must always pass (SPEC 3) |',
  '',
  'What KubeDB does not check and we do: issuers (`issuer-ref`, `issuer-exists`, `issuer-not-ready`),',
  'aliases (`certificate-alias`), names and durations as cert-manager judges them (`certificate-names`,',
  '`certificate-duration`, above), `timeout`, whether the database has TLS (`tls-not-enabled`), is',
  'halted (`database-halted`) or paused by someone else (`database-paused`), whether another TLS request',
  'is running (`tls-op-in-flight`) or will be superseded (`tls-op-superseded`) or another request will',
  'make this one wait (`op-in-flight`, `database-not-ready`), a request that changes nothing (`no-op`),',
  'defaults (`default-apply`, `default-issuer-group`, `default-timeout`) and the policy rules. Nothing',
  'KubeDB would queue is denied: a request behind an in-flight one is admitted with a warning.',
  '',
];

export function renderRulesDoc(): string {
  const out: string[] = [];
  out.push('# Rules');
  out.push('');
  out.push('<!-- Generated by test/core/gen-rules-doc.ts from src/core/rules/table.ts and example inputs run');
  out.push('     through the engine; test/core/docs.test.ts fails when this file is out of date. -->');
  out.push('');
  out.push('Every finding carries its rule id, a field path written like the API server\'s, a type');
  out.push('(Required, Invalid, NotSupported, Forbidden, Duplicate, NotFound) and a message in the API');
  out.push('server\'s words (`<field>: <type text>: <value>: <detail>`). A denial answers with all of');
  out.push('them joined like the API server\'s aggregate (`[a, b]` when more than one).');
  out.push('');
  out.push('Scope: a `SinglestoreOpsRequest` on CREATE gets `schema` first; when `schema` fails nothing');
  out.push('else runs. One whose `spec.type` is not `ReconfigureTLS` then gets only `tls-ignored`. UPDATE');
  out.push('gets only `spec-immutable` (applied when the old or the new type is ReconfigureTLS; status and');
  out.push('metadata updates always pass; without an `oldObject` it is listed as not evaluated). DELETE is');
  out.push('never blocked. Without cluster state every cluster');
  out.push('rule is listed in `notEvaluated` with the reason — never passed silently; when');
  out.push('`database-exists` fails, the rules that need the database are listed there too.');
  out.push('');
  out.push('Choices where the contract is silent:');
  out.push('');
  out.push('- Unknown fields under `spec.tls` are reported the way the API server\'s strict field');
  out.push('  validation words them: `Forbidden: unknown field "spec.tls.foo"`.');
  out.push('- A wrong JSON type is `Invalid` with the JSON type given as the value and');
  out.push('  `must be of type <t>` as detail, like the API server\'s OpenAPI validation.');
  out.push('- `one-operation`: a `false` boolean counts as unset; a present `certificates` list counts as');
  out.push('  an operation even when empty, as KubeDB counts it (`{remove: true, certificates: []}` is two');
  out.push('  operations); `certificates: []` alone is Required (nothing to do).');
  out.push('- `certificate-duration`: when `duration` is absent, `renewBefore` is compared with');
  out.push('  cert-manager\'s default duration (2160h), as cert-manager does.');
  out.push('- `database-paused` is explained — the request queues, as KubeDB queues it, with `op-in-flight`');
  out.push('  (or `tls-op-superseded` / `tls-op-in-flight`) — when the Paused condition\'s reason names an ops');
  out.push('  request (`SinglestoreOpsRequest <ns>/<name>`, how this project pauses) that is still in flight, or');
  out.push('  names nobody (KubeDB\'s ops-manager writes `reason: Paused`, the type, or none) while any other');
  out.push('  request of the database is in flight. Any other reason (`kubectl dba pause`, an operator) is');
  out.push('  someone else\'s pause and is denied, as is a pause naming a finished or deleted request.');
  out.push('- `tls-op-superseded` names each other ReconfigureTLS request that is `""` or Pending: the reconciler');
  out.push('  runs only the newest (creationTimestamp, then name) and moves the older ones to `Skipped`.');
  out.push('- A null `spec.apply`, `spec.timeout` or `issuerRef.apiGroup` is defaulted like an absent one');
  out.push('  (the API server prunes such nulls before defaulting).');
  out.push('');
  out.push('## Defaults (CREATE of a ReconfigureTLS request)');
  out.push('');
  out.push('Returned as an RFC 6902 JSON Patch in this order: `default-apply`, `default-issuer-group`');
  out.push('(top-level issuerRef, then certificates by index), `default-timeout`. Idempotent: defaulting a');
  out.push('defaulted object gives `[]`. Validation sees the defaulted object.');
  out.push('');
  for (const d of DEFAULTS) {
    out.push(`### \`${d.id}\``);
    out.push('');
    out.push(`${d.summary}. Example patch:`);
    out.push('');
    out.push('```json');
    for (const line of defaultExamplePatch(d.id)) out.push(line);
    out.push('```');
    out.push('');
  }
  for (const section of ['3a', '3b', '3c'] as const) {
    out.push(`## ${section}. ${SECTION_TITLES[section]}`);
    out.push('');
    out.push('| id | verdict | field | when |');
    out.push('|---|---|---|---|');
    for (const r of RULES.filter((x) => x.section === section)) out.push(`| \`${r.id}\` | ${r.verdict}${r.alsoWarns ? ' (and warn)' : ''} | ${FIELDS[r.id]} | ${r.summary} |`);
    out.push('');
    for (const r of RULES.filter((x) => x.section === section)) {
      out.push(`### \`${r.id}\``);
      out.push('');
      out.push(`Example ${r.verdict === 'deny' ? (r.alsoWarns ? 'denial and warning' : 'denial') : 'warning'}:`);
      out.push('');
      out.push('```text');
      for (const m of exampleMessages(r.id)) out.push(m);
      out.push('```');
      out.push('');
    }
  }
  out.push(...CERT_MANAGER_SECTION, ...KUBEDB_SECTION);
  out.push('## Policy file');
  out.push('');
  out.push('YAML, checked against its schema at start-up (unknown keys rejected, durations must be Go');
  out.push('durations, `min` ≤ `max`); a bad policy stops the process with a message naming the file, the');
  out.push('path and the problem, e.g.');
  out.push('`invalid policy policy.yaml: certificateDuration: min "48h" is greater than max "24h"`.');
  out.push('');
  out.push('```yaml');
  out.push('allowedIssuers:            # allowed-issuers');
  out.push('  - {kind: Issuer, name: sdb-issuer}');
  out.push('  - {kind: ClusterIssuer, name: "*"}');
  out.push('protectTLS:                # tls-removal-protected (namespaces AND selector, when both set)');
  out.push('  namespaces: [prod]');
  out.push('  databaseSelector: {matchLabels: {tier: prod}}');
  out.push('certificateDuration:       # certificate-duration-bounds');
  out.push('  min: 24h');
  out.push('  max: 8760h');
  out.push('privateKeyEncoding: PKCS8  # private-key-encoding');
  out.push('```');
  out.push('');
  out.push('## Engine API (src/core, pure)');
  out.push('');
  out.push('- `defaultPatch(object, opts?)` → RFC 6902 ops (SPEC 2); never throws; `[]` for anything but a');
  out.push('  ReconfigureTLS SinglestoreOpsRequest. `opts.defaultTimeout` defaults to `10m`.');
  out.push('- `applyPatch(object, patch)` → a patched copy (only the containers on changed paths are');
  out.push('  copied); throws `PatchError` on a patch that does not apply.');
  out.push('- `review({object, oldObject?, operation, view?, policy?})` → `{errors, warnings, notEvaluated}`.');
  out.push('- `decide({..., options?})` → `{patch, defaulted, result}`: on CREATE defaults then reviews the');
  out.push('  defaulted object; otherwise `patch: []`. Findings stay typed (rule, type, field, value,');
  out.push('  detail); a denial message is `formatAggregate(result.errors)` (src/core/field/errors.ts).');
  out.push('- `MemoryView` (a `ClusterView` indexed by namespace/name and namespace/database),');
  out.push('  `parsePolicy(text, source)` (throws `PolicyError`), `RULES` / `DEFAULTS` (the table above).');
  out.push('');
  return out.join('\n');
}
