// The rule table (SPEC 2 and 3): every rule id with its section, verdict and summary,
// declared once here; RuleId and DefaultId are derived from it. docs/rules.md is
// generated from it (test/core/rules-doc.ts; test/core/docs.test.ts keeps them in step).

/** One row of the table (`Id` is string only while the table itself is checked). */
export interface RuleInfo<Id extends string = RuleId> {
  id: Id;
  section: '3a' | '3b' | '3c';
  verdict: 'deny' | 'warn';
  /** A deny rule that also warns (certificate-names: names cert-manager issues but that are unusual). */
  alsoWarns?: true;
  summary: string;
}

const RULE_TABLE = [
  { id: 'schema', section: '3a', verdict: 'deny', summary: 'the object breaks the SinglestoreOpsRequest schema (types, enums, required fields, unknown fields under spec.tls)' },
  { id: 'tls-required', section: '3a', verdict: 'deny', summary: 'a ReconfigureTLS request without spec.tls' },
  { id: 'one-operation', section: '3a', verdict: 'deny', summary: 'not exactly one of remove, rotateCertificates, issuerRef and/or certificates (a present certificates list counts, even empty)' },
  { id: 'issuer-ref', section: '3a', verdict: 'deny', summary: 'issuerRef kind not Issuer/ClusterIssuer, apiGroup not cert-manager.io, or name not a DNS-1123 subdomain' },
  { id: 'certificate-alias', section: '3a', verdict: 'deny', summary: 'alias not server, client or metrics-exporter, or the same alias twice' },
  { id: 'certificate-names', section: '3a', verdict: 'deny', alsoWarns: true, summary: 'a name cert-manager or X.509 refuses (secretName, ipAddress, empty/non-ASCII dnsName, relative/non-ASCII/badly escaped uri, emailAddress net/mail refuses); warns names cert-manager issues but clients will not match' },
  { id: 'certificate-duration', section: '3a', verdict: 'deny', summary: 'duration/renewBefore not a Go duration, duration < 1h, renewBefore < 5m or >= duration' },
  { id: 'timeout', section: '3a', verdict: 'deny', summary: 'spec.timeout not a Go duration greater than zero' },
  { id: 'database-ref', section: '3a', verdict: 'deny', summary: 'spec.databaseRef.name not a valid Singlestore name' },
  { id: 'spec-immutable', section: '3a', verdict: 'deny', summary: 'an UPDATE changes spec' },
  { id: 'tls-ignored', section: '3a', verdict: 'warn', summary: 'spec.tls set on a request whose type is not ReconfigureTLS' },
  { id: 'database-exists', section: '3b', verdict: 'deny', summary: 'the Singlestore does not exist' },
  { id: 'database-halted', section: '3b', verdict: 'deny', summary: 'the database is halted' },
  { id: 'database-paused', section: '3b', verdict: 'deny', summary: 'the database has a Paused condition (True or Unknown) that no other in-flight request of the database explains' },
  { id: 'tls-op-in-flight', section: '3b', verdict: 'deny', summary: 'another ReconfigureTLS request for the database is Progressing, WaitingForApproval or Approved' },
  { id: 'tls-op-superseded', section: '3b', verdict: 'warn', summary: 'another ReconfigureTLS request for the database is "" or Pending: it will be Skipped in favour of this newer one' },
  { id: 'op-in-flight', section: '3b', verdict: 'warn', summary: 'another request of another type is not finished; this one will wait' },
  { id: 'tls-not-enabled', section: '3b', verdict: 'deny', summary: 'remove/rotate on a database without TLS, or certificates without an issuer' },
  { id: 'issuer-exists', section: '3b', verdict: 'deny', summary: 'a referenced Issuer or ClusterIssuer does not exist' },
  { id: 'issuer-not-ready', section: '3b', verdict: 'warn', summary: "a referenced issuer's Ready condition is not True" },
  { id: 'database-not-ready', section: '3b', verdict: 'warn', summary: 'apply IfReady and the database is not Ready: the request will wait' },
  { id: 'no-op', section: '3b', verdict: 'warn', summary: 'the database already uses this issuerRef and no certificates are given' },
  { id: 'allowed-issuers', section: '3c', verdict: 'deny', summary: 'an issuerRef matches no policy allowedIssuers entry' },
  { id: 'tls-removal-protected', section: '3c', verdict: 'deny', summary: 'remove: true on a database policy protectTLS protects' },
  { id: 'certificate-duration-bounds', section: '3c', verdict: 'deny', summary: 'a duration outside policy certificateDuration {min, max}' },
  { id: 'private-key-encoding', section: '3c', verdict: 'deny', summary: 'a certificate sets an encoding other than policy privateKeyEncoding' },
] as const satisfies readonly RuleInfo<string>[];

export type RuleId = (typeof RULE_TABLE)[number]['id'];
export const RULES: readonly RuleInfo[] = RULE_TABLE;

export interface DefaultInfo<Id extends string = DefaultId> {
  id: Id;
  summary: string;
}

const DEFAULT_TABLE = [
  { id: 'default-apply', summary: 'spec.apply: IfReady when absent' },
  { id: 'default-issuer-group', summary: 'apiGroup: cert-manager.io on spec.tls.issuerRef and each certificates[i].issuerRef lacking one' },
  { id: 'default-timeout', summary: 'spec.timeout: the configured default (10m) when absent' },
] as const satisfies readonly DefaultInfo<string>[];

export type DefaultId = (typeof DEFAULT_TABLE)[number]['id'];
export const DEFAULTS: readonly DefaultInfo[] = DEFAULT_TABLE;

export const RULE_BY_ID: ReadonlyMap<RuleId, RuleInfo> = new Map(RULES.map((r) => [r.id, r]));

/** The cluster rules (SPEC 3b), in the order they report. */
export const CLUSTER_RULE_IDS: readonly RuleId[] = RULES.filter((r) => r.section === '3b').map((r) => r.id);
