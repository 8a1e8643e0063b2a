// SPEC 3c: policy rules. Each runs only when the policy sets its key.
import type { SinglestoreOpsRequest } from '../../api/types.js';
import { forbidden, invalid, notSupported } from '../field/errors.js';
import type { ReviewResult } from '../findings.js';
import type { Policy } from '../policy.js';
import type { ClusterView } from '../view.js';
import { deny, issuerRefsOf } from './common.js';
import { parseGoDuration } from './duration.js';

export interface PolicyInput {
  object: SinglestoreOpsRequest;
  namespace: string;
  policy: Policy;
  view?: ClusterView;
}

/** allowed-issuers: every issuerRef given must match an entry (name "*" matches any). */
function allowedIssuers(input: PolicyInput, out: ReviewResult): void {
  const allowed = input.policy.allowedIssuers;
  const tls = input.object.spec?.tls;
  if (!allowed || !tls) return;
  const supported = allowed.map((a) => `${a.kind}/${a.name}`);
  for (const { ref, path } of issuerRefsOf(tls)) {
    const ok = allowed.some((a) => a.kind === ref.kind && (a.name === '*' || a.name === ref.name));
    if (!ok) out.errors.push(deny('allowed-issuers', notSupported(path, `${ref.kind ?? ''}/${ref.name ?? ''}`, supported)));
  }
}

/** tls-removal-protected: `remove: true` on a database the policy protects. */
function tlsRemovalProtected(input: PolicyInput, out: ReviewResult): void {
  const protect = input.policy.protectTLS;
  if (!protect || input.object.spec?.tls?.remove !== true) return;
  const dbName = input.object.spec.databaseRef?.name ?? '';
  const dbRef = `${input.namespace}/${dbName}`;
  if (protect.namespaces && !protect.namespaces.includes(input.namespace)) return;
  const match = protect.databaseSelector?.matchLabels;
  let how = protect.namespaces ? `namespace ${input.namespace} is protected` : 'every database is protected';
  if (match && Object.keys(match).length > 0) {
    if (!input.view) {
      out.notEvaluated.push({ rule: 'tls-removal-protected', reason: 'no cluster view: the database labels of protectTLS.databaseSelector cannot be read' });
      return;
    }
    const db = input.view.getSinglestore(input.namespace, dbName);
    if (!db) {
      out.notEvaluated.push({ rule: 'tls-removal-protected', reason: `Singlestore ${dbRef} does not exist` });
      return;
    }
    const labels = db.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(match)) if (labels[k] !== v) return;
    how = `its labels match ${Object.entries(match).map(([k, v]) => `${k}=${v}`).join(',')}`;
  }
  out.errors.push(deny('tls-removal-protected', forbidden('spec.tls.remove', `policy protectTLS forbids removing TLS from Singlestore ${dbRef} (${how})`)));
}

/** certificate-duration-bounds: each given duration within [min, max]. */
function certificateDurationBounds(input: PolicyInput, out: ReviewResult): void {
  const bounds = input.policy.certificateDuration;
  const certs = input.object.spec?.tls?.certificates;
  if (!bounds || !certs) return;
  const min = bounds.min !== undefined ? parseGoDuration(bounds.min) : undefined;
  const max = bounds.max !== undefined ? parseGoDuration(bounds.max) : undefined;
  const lo = min?.ok ? min.ns : undefined;
  const hi = max?.ok ? max.ns : undefined;
  const want =
    lo !== undefined && hi !== undefined
      ? `must be between ${String(bounds.min)} and ${String(bounds.max)}`
      : lo !== undefined
        ? `must be at least ${String(bounds.min)}`
        : `must be at most ${String(bounds.max)}`;
  for (let i = 0; i < certs.length; i++) {
    const d = certs[i]?.duration;
    if (d === undefined) continue;
    const p = parseGoDuration(d);
    if (!p.ok) continue; // certificate-duration reports it
    if ((lo !== undefined && p.ns < lo) || (hi !== undefined && p.ns > hi)) {
      out.errors.push(deny('certificate-duration-bounds', invalid(`spec.tls.certificates[${i}].duration`, d, `${want} (policy certificateDuration)`)));
    }
  }
}

/** private-key-encoding: a certificate may set only the policy's encoding. */
function privateKeyEncoding(input: PolicyInput, out: ReviewResult): void {
  const only = input.policy.privateKeyEncoding;
  const certs = input.object.spec?.tls?.certificates;
  if (!only || !certs) return;
  for (let i = 0; i < certs.length; i++) {
    const enc = certs[i]?.privateKey?.encoding;
    if (enc !== undefined && enc !== only) {
      out.errors.push(deny('private-key-encoding', notSupported(`spec.tls.certificates[${i}].privateKey.encoding`, enc, [only])));
    }
  }
}

/** Run the policy rules the policy enables. */
export function policyRules(input: PolicyInput): ReviewResult {
  const out: ReviewResult = { errors: [], warnings: [], notEvaluated: [] };
  allowedIssuers(input, out);
  tlsRemovalProtected(input, out);
  certificateDurationBounds(input, out);
  privateKeyEncoding(input, out);
  return out;
}
