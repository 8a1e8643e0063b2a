// The one place where the names KubeDB derives for a Singlestore are made (DOMAIN.md,
// "Names KubeDB derives"). Every derived object name — PetSets (suffixed topologies
// included), Certificates, their Secrets, the governing Service — goes through
// `nameWithSuffix`, kmodules' `meta.NameWithSuffix`, exactly as KubeDB's helpers call it
// (apis/kubedb/v1alpha2/singlestore_helpers.go: AggregatorPetSet, LeafPetSet,
// CertificateName, GoverningServiceName). Pod names are `<petset>-<ordinal>` (the PetSet
// controller's, not cut). PURE.
import type { Singlestore, SinglestoreOpsRequest } from '../api/types.js';
import { namespaceOf } from './meta.js';

/** DNS-1123 label length, the limit kmodules cuts derived names to. */
export const MAX_NAME_LENGTH = 63;

function trimDashes(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === '-') a++;
  while (b > a && s[b - 1] === '-') b--;
  return s.slice(a, b);
}

/**
 * kmodules `meta.NameWithSuffix(name, suffix)`: when `len(suffix) >= 63` the last 63
 * characters of the suffix; otherwise the first `63 - len(suffix) - 1` characters of the
 * name, `-`, the suffix. Leading and trailing `-` are trimmed.
 */
export function nameWithSuffix(name: string, suffix: string): string {
  if (suffix.length >= MAX_NAME_LENGTH) return trimDashes(suffix.slice(suffix.length - MAX_NAME_LENGTH));
  const keep = MAX_NAME_LENGTH - suffix.length - 1;
  return trimDashes(`${name.slice(0, keep)}-${suffix}`);
}

/** KubeDB's Certificate name for an alias (also the default Secret name): NameWithSuffix(db, `<alias>-cert`). */
export function certificateName(db: string, alias: string): string {
  return nameWithSuffix(db, `${alias}-cert`);
}

/** The Secret a certificate's material lands in: its `secretName`, else the Certificate name. */
export function certificateSecretName(db: string, alias: string, secretName?: string): string {
  return secretName || certificateName(db, alias);
}

/** The headless governing Service: NameWithSuffix(db, "pods"). */
export function governingServiceName(db: string): string {
  return nameWithSuffix(db, 'pods');
}

export type PetSetRole = 'aggregator' | 'leaf' | 'standalone';

/** A topology PetSet: NameWithSuffix(NameWithSuffix(db, suffix) when a suffix is set, role). */
export function topologyPetSetName(db: string, role: 'aggregator' | 'leaf', suffix?: string): string {
  const base = suffix ? nameWithSuffix(db, suffix) : db;
  return nameWithSuffix(base, role);
}

/** PetSets of a Singlestore, aggregators first; standalone is `<db>`. */
export function petSetNames(db: Singlestore): { name: string; role: PetSetRole }[] {
  const name = db.metadata?.name ?? '';
  const topo = db.spec?.topology;
  if (!topo) return [{ name, role: 'standalone' }];
  const out: { name: string; role: PetSetRole }[] = [];
  if (topo.aggregator) out.push({ name: topologyPetSetName(name, 'aggregator', topo.aggregator.suffix), role: 'aggregator' });
  if (topo.leaf) out.push({ name: topologyPetSetName(name, 'leaf', topo.leaf.suffix), role: 'leaf' });
  return out;
}

/** A PetSet's pod: `<petset>-<ordinal>`. */
export function podName(petSet: string, ordinal: number): string {
  return `${petSet}-${ordinal}`;
}

// ---- who paused a database ----------------------------------------------------------

const PAUSE_REASON_PREFIX = 'SinglestoreOpsRequest ';
const PAUSE_REASON_RE = /^SinglestoreOpsRequest ([^/\s]+)\/(\S+)$/;

/** Who paused the database: the `reason` of the Paused condition this project adds. This
 *  fixed format is the datum (pause ownership, pauseHolder); the message is for people. */
export function pauseReason(req: SinglestoreOpsRequest): string {
  return `${PAUSE_REASON_PREFIX}${namespaceOf(req)}/${req.metadata?.name ?? ''}`;
}

/** The ops request a Paused condition's reason names (`SinglestoreOpsRequest <ns>/<name>`), if any. */
export function pauseHolder(reason: string | undefined): { namespace: string; name: string } | undefined {
  const [, namespace, name] = PAUSE_REASON_RE.exec(reason ?? '') ?? [];
  return namespace !== undefined && name !== undefined ? { namespace, name } : undefined;
}

/** The message of the `Skipped` condition on a request superseded by `newer` (`<ns>/<name>`). */
export function skippedMessage(newer: string): string {
  return `Skipped in favour of the newer SinglestoreOpsRequest ${newer}`;
}
