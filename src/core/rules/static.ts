// SPEC 3a: static rules. Each needs nothing but the (schema-valid, defaulted) object.
// One small function per rule; each returns every finding it has, none stops early.
import { CERT_MANAGER_GROUP, SUPPORTED_ALIASES, type IssuerRef, type SinglestoreOpsRequest } from '../../api/types.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../field/errors.js';
import { quote } from '../field/quote.js';
import type { Finding, Warning } from '../findings.js';
import { isRecord } from '../is-record.js';
import { jsonEqual } from '../json-equal.js';
import { deny, issuerRefsOf, warn } from './common.js';
import { FIVE_MINUTES_NS, ONE_HOUR_NS, parseGoDuration } from './duration.js';
import {
  dns1123SubdomainErrors,
  dnsNameConcern,
  dnsNameRefusal,
  emailConcern,
  emailRefusal,
  isIP,
  singlestoreNameErrors,
  uriConcern,
  uriRefusal,
} from './names.js';

export const ISSUER_KINDS = ['Issuer', 'ClusterIssuer'] as const;
/** cert-manager's default certificate duration (90 days), used when `duration` is absent. */
export const CERT_MANAGER_DEFAULT_DURATION = '2160h';
const DEFAULT_DURATION_NS = 2160n * ONE_HOUR_NS;

type Spec = NonNullable<SinglestoreOpsRequest['spec']>;

/** tls-required: a ReconfigureTLS request needs spec.tls. */
export function tlsRequired(spec: Spec): Finding[] {
  if (spec.tls !== undefined && spec.tls !== null) return [];
  return [deny('tls-required', required('spec.tls', 'a ReconfigureTLS request needs spec.tls'))];
}

const ONE_OF = 'one operation per request: remove, rotateCertificates, or issuerRef and/or certificates';

/**
 * one-operation: exactly one of remove / rotateCertificates / (issuerRef and/or
 * certificates). Counted as KubeDB counts them: a `false` boolean is unset, a present
 * `certificates` list is set even when empty (`{remove: true, certificates: []}` is two
 * operations); `certificates: []` alone gives nothing to do (Required).
 */
export function oneOperation(spec: Spec): Finding[] {
  const tls = spec.tls;
  if (!tls) return [];
  // Each operation with the fields that make it up.
  const ops: string[][] = [];
  if (tls.remove === true) ops.push(['remove']);
  if (tls.rotateCertificates === true) ops.push(['rotateCertificates']);
  const change: string[] = [];
  if (tls.issuerRef) change.push('issuerRef');
  if (Array.isArray(tls.certificates)) change.push('certificates');
  if (change.length > 0) ops.push(change);
  if (ops.length === 0) {
    return [deny('one-operation', required('spec.tls', `no reconfiguration is provided in TLS spec; ${ONE_OF}`))];
  }
  if (ops.length === 1 && !tls.issuerRef && tls.certificates?.length === 0) {
    return [deny('one-operation', required('spec.tls', `no reconfiguration is provided in TLS spec: certificates is empty; ${ONE_OF}`))];
  }
  const [firstOp = [], ...extras] = ops;
  const first = firstOp.join(' and ');
  const out: Finding[] = [];
  for (const extra of extras) {
    for (const field of extra) {
      out.push(deny('one-operation', forbidden('spec.tls', `${field} cannot be combined with ${first}; ${ONE_OF}`)));
    }
  }
  return out;
}

function issuerRefFindings(ref: IssuerRef, path: string): Finding[] {
  const out: Finding[] = [];
  if (ref.kind !== undefined && !(ISSUER_KINDS as readonly string[]).includes(ref.kind)) {
    out.push(deny('issuer-ref', notSupported(`${path}.kind`, ref.kind, ISSUER_KINDS)));
  }
  if (ref.apiGroup !== undefined && ref.apiGroup !== CERT_MANAGER_GROUP) {
    out.push(deny('issuer-ref', notSupported(`${path}.apiGroup`, ref.apiGroup, [CERT_MANAGER_GROUP])));
  }
  if (ref.name !== undefined) {
    for (const msg of dns1123SubdomainErrors(ref.name)) out.push(deny('issuer-ref', invalid(`${path}.name`, ref.name, msg)));
  }
  return out;
}

/** issuer-ref: kind, apiGroup and name of the top issuerRef and of each certificate's. */
export function issuerRef(spec: Spec): Finding[] {
  if (!spec.tls) return [];
  const out: Finding[] = [];
  for (const { ref, path } of issuerRefsOf(spec.tls)) out.push(...issuerRefFindings(ref, path));
  return out;
}

/** certificate-alias: server | client | metrics-exporter, each at most once. */
export function certificateAlias(spec: Spec): Finding[] {
  const certs = spec.tls?.certificates ?? [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < certs.length; i++) {
    const alias = certs[i]?.alias;
    if (alias === undefined) continue;
    const path = `spec.tls.certificates[${i}].alias`;
    if (!(SUPPORTED_ALIASES as readonly string[]).includes(alias)) {
      out.push(deny('certificate-alias', notSupported(path, alias, SUPPORTED_ALIASES)));
    }
    if (seen.has(alias)) out.push(deny('certificate-alias', duplicate(path, alias)));
    else seen.add(alias);
  }
  return out;
}

/**
 * certificate-names: secretName, dnsNames, ipAddresses, uris, emailAddresses of each
 * certificate. Denied: what cert-manager's webhook or X.509 refuses (secretName not a
 * DNS-1123 subdomain, an IP net.ParseIP rejects, a dnsName that is empty or not ASCII,
 * a URI without a scheme / with non-ASCII or control characters / with a bad %-escape,
 * an e-mail address net/mail does not read as the address alone). Warned: what
 * cert-manager issues but is still unusual (a dnsName that is no RFC 1123 host name, a
 * URI with characters RFC 3986 does not allow, an e-mail domain that is no host name).
 */
export function certificateNames(spec: Spec): (Finding | Warning)[] {
  const certs = spec.tls?.certificates ?? [];
  const out: (Finding | Warning)[] = [];
  const field = (path: string, v: string, refusal: string | undefined, concern: () => string | undefined): void => {
    if (refusal) {
      out.push(deny('certificate-names', invalid(path, v, refusal)));
      return;
    }
    const why = concern();
    if (why) out.push(warn('certificate-names', path, `${JSON.stringify(v)}: ${why}`));
  };
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (!c) continue;
    const base = `spec.tls.certificates[${i}]`;
    if (c.secretName !== undefined) {
      for (const msg of dns1123SubdomainErrors(c.secretName)) {
        out.push(deny('certificate-names', invalid(`${base}.secretName`, c.secretName, msg)));
      }
    }
    (c.dnsNames ?? []).forEach((v, j) => field(`${base}.dnsNames[${j}]`, v, dnsNameRefusal(v), () => dnsNameConcern(v)));
    (c.ipAddresses ?? []).forEach((v, j) => {
      if (!isIP(v)) out.push(deny('certificate-names', invalid(`${base}.ipAddresses[${j}]`, v, 'must be a valid IPv4 or IPv6 address')));
    });
    (c.uris ?? []).forEach((v, j) => field(`${base}.uris[${j}]`, v, uriRefusal(v), () => uriConcern(v)));
    (c.emailAddresses ?? []).forEach((v, j) => field(`${base}.emailAddresses[${j}]`, v, emailRefusal(v), () => emailConcern(v)));
  }
  return out;
}

/** certificate-duration: Go durations; duration >= 1h; renewBefore >= 5m and < duration. */
export function certificateDuration(spec: Spec): Finding[] {
  const certs = spec.tls?.certificates ?? [];
  const out: Finding[] = [];
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (!c) continue;
    const base = `spec.tls.certificates[${i}]`;
    let durationNs: bigint | undefined = DEFAULT_DURATION_NS;
    let durationText = `${CERT_MANAGER_DEFAULT_DURATION} (cert-manager's default)`;
    if (c.duration !== undefined) {
      const d = parseGoDuration(c.duration);
      if (!d.ok) {
        out.push(deny('certificate-duration', invalid(`${base}.duration`, c.duration, d.error)));
        durationNs = undefined;
      } else if (d.ns < ONE_HOUR_NS) {
        out.push(deny('certificate-duration', invalid(`${base}.duration`, c.duration, "must be at least 1h (cert-manager's minimum certificate duration)")));
        durationNs = undefined;
      } else {
        durationNs = d.ns;
        durationText = quote(c.duration);
      }
    }
    if (c.renewBefore !== undefined) {
      const path = `${base}.renewBefore`;
      const r = parseGoDuration(c.renewBefore);
      if (!r.ok) {
        out.push(deny('certificate-duration', invalid(path, c.renewBefore, r.error)));
      } else if (r.ns < FIVE_MINUTES_NS) {
        out.push(deny('certificate-duration', invalid(path, c.renewBefore, "must be at least 5m (cert-manager's minimum renewBefore)")));
      } else if (durationNs !== undefined && r.ns >= durationNs) {
        out.push(deny('certificate-duration', invalid(path, c.renewBefore, `must be shorter than duration ${durationText}`)));
      }
    }
  }
  return out;
}

/** timeout: a Go duration greater than zero. */
export function timeout(spec: Spec): Finding[] {
  if (spec.timeout === undefined) return [];
  const d = parseGoDuration(spec.timeout);
  if (!d.ok) return [deny('timeout', invalid('spec.timeout', spec.timeout, d.error))];
  if (d.ns <= 0n) return [deny('timeout', invalid('spec.timeout', spec.timeout, 'must be greater than zero'))];
  return [];
}

/** database-ref: the name of a Singlestore. */
export function databaseRef(spec: Spec): Finding[] {
  const name = spec.databaseRef?.name;
  if (name === undefined) return [];
  return singlestoreNameErrors(name).map((msg) => deny('database-ref', invalid('spec.databaseRef.name', name, msg)));
}

/** The static rules in the order they run (and report); certificate-names also warns. */
export const STATIC_RULES: readonly ((spec: Spec) => (Finding | Warning)[])[] = [
  tlsRequired,
  oneOperation,
  issuerRef,
  certificateAlias,
  certificateNames,
  certificateDuration,
  timeout,
  databaseRef,
];

/** tls-ignored: spec.tls on a request of another type. */
export function tlsIgnored(spec: Spec): Warning[] {
  if (spec.tls === undefined || spec.tls === null) return [];
  return [warn('tls-ignored', 'spec.tls', `ignored: spec.type is ${JSON.stringify(spec.type)}; only ReconfigureTLS uses spec.tls`)];
}

/** spec-immutable: an UPDATE must leave spec as it was. */
export function specImmutable(object: unknown, oldObject: unknown): Finding[] {
  const spec = isRecord(object) ? object['spec'] : undefined;
  const oldSpec = isRecord(oldObject) ? oldObject['spec'] : undefined;
  if (jsonEqual(spec, oldSpec)) return [];
  return [
    deny(
      'spec-immutable',
      forbidden('spec', 'the spec of a SinglestoreOpsRequest cannot change after creation; create a new request instead'),
    ),
  ];
}
