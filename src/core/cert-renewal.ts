// Pure decisions of the bootstrap certificate mode (serve --bootstrap-certs): when to
// make or rotate the CA, when to re-issue the serving certificate, which CAs the
// webhooks' caBundle holds, and when to look again. Time comes in as `now`
// (milliseconds since the epoch); certificates come in already inspected (CertFacts).
// The I/O (Secret, files, webhook configurations, X.509) lives in src/kube/cert-bootstrap/ (loop.ts and its parts).
//
// Rotation without a gap:
//   1. The CA is replaced when less than `renewFraction` of its life remains. The old CA
//      stays in the bundle as "previous" until it expires, so the serving certificate it
//      signed keeps working while the new bundle reaches the API server.
//   2. The serving certificate is re-issued by the new CA only once the new CA has been
//      in the bundle for `caOverlapMs` (or earlier when it must be re-issued anyway).
//   3. The serving certificate is re-issued when less than `renewFraction` of its life
//      remains, when it lacks a required DNS name, or when no CA in the bundle signed it.

export const DAY_MS = 24 * 3600 * 1000;

export interface CertFacts {
  /** The certificate, PEM. */
  pem: string;
  /** Validity, ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

export interface ServingFacts extends CertFacts {
  /** DNS subject alternative names. */
  dnsNames: string[];
  /** Which CA of the state signed it (checked by signature), if any. */
  signedBy: 'current' | 'previous' | 'none';
  /** The private key is present and matches the certificate. */
  keyMatches: boolean;
}

export interface BootstrapState {
  /** The signing CA; `hasKey` false when its key is missing or does not match. */
  ca?: CertFacts & { hasKey: boolean };
  /** The CA replaced by the last rotation, trusted until it expires. */
  previousCa?: CertFacts;
  serving?: ServingFacts;
}

export interface RenewalConfig {
  caLifetimeMs: number;
  servingLifetimeMs: number;
  /** Renew when less than this fraction of a certificate's life remains (0 < f < 1). */
  renewFraction: number;
  /** How long a new CA sits in the bundle before it signs the serving certificate. */
  caOverlapMs: number;
  /** New certificates start this long before they are made (clock skew); a CA's
   *  making time is its notBefore plus this. */
  backdateMs: number;
  /** DNS names the serving certificate must hold. */
  dnsNames: string[];
}

export const DEFAULT_RENEWAL: Omit<RenewalConfig, 'dnsNames'> = {
  caLifetimeMs: 3 * 365 * DAY_MS,
  servingLifetimeMs: 90 * DAY_MS,
  renewFraction: 1 / 3,
  caOverlapMs: 3600 * 1000,
  backdateMs: 5 * 60 * 1000,
};

export type CaAction = 'keep' | 'create' | 'rotate';

export interface RenewalPlan {
  /** create: there is no CA worth keeping; rotate: make a new CA, keep the old as previous. */
  ca: CaAction;
  issueServing: boolean;
  /** The previous CA leaves the bundle (it expired, or rotation replaces it). */
  dropPrevious: boolean;
  /** Human-readable reasons, one per action, for the log. */
  reasons: string[];
}

export class RenewalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenewalConfigError';
  }
}

/** Rejects a configuration that could never settle (e.g. a serving lifetime the renewal
 *  fraction renews at once). */
export function checkRenewalConfig(cfg: RenewalConfig): void {
  const positive: (keyof RenewalConfig)[] = ['caLifetimeMs', 'servingLifetimeMs'];
  for (const k of positive) {
    const v = cfg[k] as number;
    if (!Number.isFinite(v) || v <= 0) throw new RenewalConfigError(`${k} must be a positive number of milliseconds, got ${v}`);
  }
  if (!(cfg.renewFraction > 0 && cfg.renewFraction < 1)) {
    throw new RenewalConfigError(`renewFraction must be between 0 and 1 (exclusive), got ${cfg.renewFraction}`);
  }
  if (!(cfg.caOverlapMs >= 0) || !(cfg.backdateMs >= 0)) throw new RenewalConfigError('caOverlapMs and backdateMs must not be negative');
  // A serving certificate must fit in the part of the CA's life before the CA rotates,
  // or every serving certificate would be cut short by its CA.
  if (cfg.servingLifetimeMs > cfg.caLifetimeMs * cfg.renewFraction) {
    throw new RenewalConfigError(
      `servingLifetimeMs (${cfg.servingLifetimeMs}) must not exceed caLifetimeMs × renewFraction (${cfg.caLifetimeMs * cfg.renewFraction}): ` +
        'a serving certificate must fit in the life its CA has left when it rotates',
    );
  }
  if (cfg.dnsNames.length === 0) throw new RenewalConfigError('dnsNames must not be empty');
}

/** The moment a certificate is due for renewal: when `fraction` of its life remains. */
export function renewAt(c: { notBefore: number; notAfter: number }, fraction: number): number {
  return c.notAfter - Math.floor((c.notAfter - c.notBefore) * fraction);
}

function caUsable(ca: NonNullable<BootstrapState['ca']>, now: number): boolean {
  return ca.hasKey && now >= ca.notBefore && now < ca.notAfter;
}

/** When the CA was made (its notBefore is back-dated by backdateMs). */
function madeAt(ca: CertFacts, cfg: RenewalConfig): number {
  return ca.notBefore + cfg.backdateMs;
}

/** The previous CA after a plan is applied: a new CA makes the current one previous
 *  (while it is still valid); otherwise the previous stays unless the plan drops it. */
export function previousAfter(state: BootstrapState, plan: RenewalPlan, now: number): CertFacts | undefined {
  if (plan.ca !== 'keep') {
    return state.ca !== undefined && now < state.ca.notAfter ? { pem: state.ca.pem, notBefore: state.ca.notBefore, notAfter: state.ca.notAfter } : undefined;
  }
  return plan.dropPrevious ? undefined : state.previousCa;
}

export function planRenewal(state: BootstrapState, now: number, cfg: RenewalConfig): RenewalPlan {
  const reasons: string[] = [];
  let ca: CaAction = 'keep';
  if (state.ca === undefined) {
    ca = 'create';
    reasons.push('no CA yet');
  } else if (!caUsable(state.ca, now)) {
    ca = 'create';
    reasons.push(
      !state.ca.hasKey
        ? 'the CA key is missing or does not match its certificate'
        : now >= state.ca.notAfter
          ? 'the CA expired'
          : 'the CA is not valid yet',
    );
  } else if (now >= renewAt(state.ca, cfg.renewFraction)) {
    ca = 'rotate';
    reasons.push('the CA has less than the renewal fraction of its life left');
  }

  // The previous CA after this plan: a rotation makes the current CA the previous one
  // (when it has not expired); otherwise the existing previous stays until it expires.
  let dropPrevious = false;
  if (state.previousCa !== undefined) {
    if (now >= state.previousCa.notAfter) {
      dropPrevious = true;
      reasons.push('the previous CA expired');
    } else if (ca !== 'keep') {
      dropPrevious = true;
      reasons.push('a new CA replaces the previous one');
    }
  }

  const s = state.serving;
  let issueServing = false;
  const must = (why: string) => {
    issueServing = true;
    reasons.push(why);
  };
  if (s === undefined) must('no serving certificate yet');
  else if (!s.keyMatches) must('the serving key is missing or does not match its certificate');
  else if (now < s.notBefore || now >= s.notAfter) must('the serving certificate is not valid now');
  else if (now >= renewAt(s, cfg.renewFraction)) must('the serving certificate has less than the renewal fraction of its life left');
  else if (cfg.dnsNames.some((n) => !s.dnsNames.includes(n))) must('the serving certificate lacks a required DNS name');
  else {
    // Is the CA that signed it still in the bundle after this plan?
    const trusted =
      ca === 'keep'
        ? s.signedBy === 'current' || (s.signedBy === 'previous' && !dropPrevious)
        : s.signedBy === 'current' && previousAfter(state, { ca, issueServing: false, dropPrevious, reasons: [] }, now) !== undefined;
    if (!trusted) must('no CA in the bundle signed the serving certificate');
    else if (ca === 'keep' && s.signedBy === 'previous' && state.ca !== undefined && now >= madeAt(state.ca, cfg) + cfg.caOverlapMs) {
      must('the new CA has been in the bundle for the overlap period');
    }
  }
  return { ca, issueServing, dropPrevious, reasons };
}

/** The PEM certificates the webhooks' caBundle holds: the signing CA, then the previous
 *  CA while it is still valid. */
export function bundleCertificates(state: BootstrapState, now: number): string[] {
  const out: string[] = [];
  if (state.ca !== undefined) out.push(state.ca.pem);
  if (state.previousCa !== undefined && now < state.previousCa.notAfter) out.push(state.previousCa.pem);
  return out;
}

/** Concatenated PEM of bundleCertificates, each ending in a newline. */
export function bundlePem(state: BootstrapState, now: number): string {
  return bundleCertificates(state, now)
    .map((p) => (p.endsWith('\n') ? p : `${p}\n`))
    .join('');
}

/** Validity of a serving certificate issued at `now` by a CA valid until `caNotAfter`. */
export function servingValidity(now: number, caNotAfter: number, cfg: RenewalConfig): { notBefore: number; notAfter: number } {
  return { notBefore: now - cfg.backdateMs, notAfter: Math.min(now + cfg.servingLifetimeMs, caNotAfter) };
}

export function caValidity(now: number, cfg: RenewalConfig): { notBefore: number; notAfter: number } {
  return { notBefore: now - cfg.backdateMs, notAfter: now + cfg.caLifetimeMs };
}

/** The earliest future moment at which planRenewal would decide something new for this
 *  (settled) state; undefined when nothing is scheduled. */
export function nextCheckAt(state: BootstrapState, now: number, cfg: RenewalConfig): number | undefined {
  const times: number[] = [];
  if (state.ca !== undefined) times.push(renewAt(state.ca, cfg.renewFraction), state.ca.notAfter);
  if (state.previousCa !== undefined) times.push(state.previousCa.notAfter);
  if (state.serving !== undefined) {
    times.push(renewAt(state.serving, cfg.renewFraction), state.serving.notAfter);
    if (state.serving.signedBy === 'previous' && state.ca !== undefined) times.push(madeAt(state.ca, cfg) + cfg.caOverlapMs);
  }
  const future = times.filter((t) => t > now);
  return future.length === 0 ? undefined : Math.min(...future);
}
