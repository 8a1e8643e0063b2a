// Pure renewal decisions of the bootstrap certificate mode, on a fake clock.
import t from 'tap';
import {
  DAY_MS,
  DEFAULT_RENEWAL,
  bundleCertificates,
  bundlePem,
  checkRenewalConfig,
  nextCheckAt,
  planRenewal,
  previousAfter,
  renewAt,
  servingValidity,
  caValidity,
  RenewalConfigError,
  type BootstrapState,
  type RenewalConfig,
  type ServingFacts,
} from '../../src/core/cert-renewal.js';

const T0 = Date.UTC(2026, 0, 1);
const H = 3600 * 1000;
const NAMES = ['sdb-tls-guard.sdb-tls-guard.svc'];
const CFG: RenewalConfig = { ...DEFAULT_RENEWAL, dnsNames: NAMES };

const ca = (pem: string, notBefore: number, lifetime = CFG.caLifetimeMs, hasKey = true) => ({
  pem,
  notBefore,
  notAfter: notBefore + lifetime,
  hasKey,
});
const serving = (over: Partial<ServingFacts> = {}): ServingFacts => ({
  pem: 'SERVING',
  notBefore: T0,
  notAfter: T0 + CFG.servingLifetimeMs,
  dnsNames: NAMES,
  signedBy: 'current',
  keyMatches: true,
  ...over,
});

t.test('renewAt is where the renewal fraction of the life remains', async (t) => {
  t.equal(renewAt({ notBefore: 0, notAfter: 90 * DAY_MS }, 1 / 3), 60 * DAY_MS);
  t.equal(renewAt({ notBefore: 1000, notAfter: 4000 }, 1 / 3), 3000);
});

interface Case {
  name: string;
  state: BootstrapState;
  now: number;
  want: { ca: string; issueServing: boolean; dropPrevious: boolean };
  reason?: RegExp;
}

const fresh = ca('CA1', T0 - CFG.backdateMs);
const CASES: Case[] = [
  { name: 'empty Secret: make everything', state: {}, now: T0, want: { ca: 'create', issueServing: true, dropPrevious: false }, reason: /no CA yet/ },
  { name: 'fresh state: nothing to do', state: { ca: fresh, serving: serving() }, now: T0 + DAY_MS, want: { ca: 'keep', issueServing: false, dropPrevious: false } },
  {
    name: 'serving just before its renewal point: keep',
    state: { ca: fresh, serving: serving() },
    now: T0 + 60 * DAY_MS - 1,
    want: { ca: 'keep', issueServing: false, dropPrevious: false },
  },
  {
    name: 'serving at its renewal point (1/3 left): re-issue',
    state: { ca: fresh, serving: serving() },
    now: T0 + 60 * DAY_MS,
    want: { ca: 'keep', issueServing: true, dropPrevious: false },
    reason: /less than the renewal fraction/,
  },
  { name: 'serving expired', state: { ca: fresh, serving: serving() }, now: T0 + 91 * DAY_MS, want: { ca: 'keep', issueServing: true, dropPrevious: false }, reason: /not valid now/ },
  { name: 'serving key does not match', state: { ca: fresh, serving: serving({ keyMatches: false }) }, now: T0 + DAY_MS, want: { ca: 'keep', issueServing: true, dropPrevious: false }, reason: /serving key/ },
  {
    name: 'serving lacks a DNS name (service renamed)',
    state: { ca: fresh, serving: serving({ dnsNames: ['old.sdb-tls-guard.svc'] }) },
    now: T0 + DAY_MS,
    want: { ca: 'keep', issueServing: true, dropPrevious: false },
    reason: /lacks a required DNS name/,
  },
  {
    name: 'serving signed by an unknown CA',
    state: { ca: fresh, serving: serving({ signedBy: 'none' }) },
    now: T0 + DAY_MS,
    want: { ca: 'keep', issueServing: true, dropPrevious: false },
    reason: /no CA in the bundle signed/,
  },
  {
    name: 'CA key lost: new CA, old one kept as previous, serving re-issued only later',
    state: { ca: ca('CA1', T0 - CFG.backdateMs, CFG.caLifetimeMs, false), serving: serving() },
    now: T0 + DAY_MS,
    want: { ca: 'create', issueServing: false, dropPrevious: false },
    reason: /CA key is missing/,
  },
  {
    name: 'CA expired: new CA and serving at once',
    state: { ca: ca('CA1', T0 - 4 * 365 * DAY_MS), serving: serving({ notBefore: T0 - DAY_MS, notAfter: T0 + 10 * DAY_MS }) },
    now: T0,
    want: { ca: 'create', issueServing: true, dropPrevious: false },
    reason: /the CA expired/,
  },
  {
    name: 'CA at its renewal point: rotate, serving stays (signed by what becomes previous)',
    state: { ca: fresh, serving: serving({ notBefore: renewAt(fresh, 1 / 3) - DAY_MS, notAfter: renewAt(fresh, 1 / 3) + 89 * DAY_MS }) },
    now: renewAt(fresh, 1 / 3),
    want: { ca: 'rotate', issueServing: false, dropPrevious: false },
    reason: /CA has less than/,
  },
  {
    name: 'after rotation, inside the overlap: serving signed by previous stays',
    state: { ca: ca('CA2', T0 - CFG.backdateMs), previousCa: fresh, serving: serving({ signedBy: 'previous' }) },
    now: T0 + CFG.caOverlapMs - 1,
    want: { ca: 'keep', issueServing: false, dropPrevious: false },
  },
  {
    name: 'after rotation, overlap over: serving re-issued by the new CA',
    state: { ca: ca('CA2', T0 - CFG.backdateMs), previousCa: fresh, serving: serving({ signedBy: 'previous' }) },
    now: T0 + CFG.caOverlapMs,
    want: { ca: 'keep', issueServing: true, dropPrevious: false },
    reason: /overlap period/,
  },
  {
    name: 'previous CA expired: dropped from the bundle',
    state: { ca: ca('CA2', T0), previousCa: { pem: 'CA1', notBefore: T0 - 1000 * DAY_MS, notAfter: T0 + DAY_MS }, serving: serving() },
    now: T0 + DAY_MS,
    want: { ca: 'keep', issueServing: false, dropPrevious: true },
    reason: /previous CA expired/,
  },
  {
    name: 'serving signed by an expired previous CA: re-issued',
    state: { ca: ca('CA2', T0), previousCa: { pem: 'CA1', notBefore: T0 - 1000 * DAY_MS, notAfter: T0 + DAY_MS }, serving: serving({ signedBy: 'previous' }) },
    now: T0 + DAY_MS,
    want: { ca: 'keep', issueServing: true, dropPrevious: true },
    reason: /previous CA expired; no CA in the bundle signed/,
  },
];

t.test('planRenewal table', async (t) => {
  for (const c of CASES) {
    const p = planRenewal(c.state, c.now, CFG);
    t.strictSame({ ca: p.ca, issueServing: p.issueServing, dropPrevious: p.dropPrevious }, c.want, c.name);
    if (c.reason) t.match(p.reasons.join('; '), c.reason, `${c.name}: reason`);
    else t.strictSame(p.reasons, [], `${c.name}: no reasons when nothing happens`);
  }
});

t.test('bundle holds the signing CA, then the previous one until it expires', async (t) => {
  const state: BootstrapState = { ca: ca('CA2\n', T0), previousCa: { pem: 'CA1', notBefore: T0 - DAY_MS, notAfter: T0 + DAY_MS } };
  t.strictSame(bundleCertificates(state, T0), ['CA2\n', 'CA1']);
  t.equal(bundlePem(state, T0), 'CA2\nCA1\n');
  t.strictSame(bundleCertificates(state, T0 + DAY_MS), ['CA2\n']);
  t.strictSame(bundleCertificates({}, T0), []);
});

t.test('previousAfter', async (t) => {
  const state: BootstrapState = { ca: fresh, previousCa: { pem: 'CA0', notBefore: 0, notAfter: T0 + DAY_MS } };
  t.equal(previousAfter(state, { ca: 'rotate', issueServing: false, dropPrevious: true, reasons: [] }, T0)?.pem, 'CA1');
  t.equal(previousAfter(state, { ca: 'keep', issueServing: false, dropPrevious: false, reasons: [] }, T0)?.pem, 'CA0');
  t.equal(previousAfter(state, { ca: 'keep', issueServing: false, dropPrevious: true, reasons: [] }, T0), undefined);
  t.equal(previousAfter({ ca: ca('X', 0, 10) }, { ca: 'create', issueServing: true, dropPrevious: false, reasons: [] }, 20), undefined, 'an expired CA is not kept');
});

t.test('validity windows', async (t) => {
  t.strictSame(caValidity(T0, CFG), { notBefore: T0 - CFG.backdateMs, notAfter: T0 + CFG.caLifetimeMs });
  t.strictSame(servingValidity(T0, T0 + 365 * DAY_MS, CFG), { notBefore: T0 - CFG.backdateMs, notAfter: T0 + 90 * DAY_MS });
  t.strictSame(servingValidity(T0, T0 + DAY_MS, CFG), { notBefore: T0 - CFG.backdateMs, notAfter: T0 + DAY_MS }, 'never outlives its CA');
});

t.test('nextCheckAt is the earliest future decision point', async (t) => {
  const state: BootstrapState = { ca: fresh, serving: serving() };
  t.equal(nextCheckAt(state, T0, CFG), T0 + 60 * DAY_MS);
  const rotated: BootstrapState = { ca: ca('CA2', T0 - CFG.backdateMs), previousCa: fresh, serving: serving({ signedBy: 'previous' }) };
  t.equal(nextCheckAt(rotated, T0, CFG), T0 + CFG.caOverlapMs);
  t.equal(nextCheckAt({}, T0, CFG), undefined);
});

t.test('checkRenewalConfig rejects configurations that never settle', async (t) => {
  t.doesNotThrow(() => checkRenewalConfig(CFG));
  t.throws(() => checkRenewalConfig({ ...CFG, renewFraction: 1 }), RenewalConfigError);
  t.throws(() => checkRenewalConfig({ ...CFG, servingLifetimeMs: 0 }), /servingLifetimeMs must be a positive/);
  t.throws(() => checkRenewalConfig({ ...CFG, servingLifetimeMs: 2 * 365 * DAY_MS }), /must not exceed caLifetimeMs × renewFraction/);
  t.throws(() => checkRenewalConfig({ ...CFG, dnsNames: [] }), /dnsNames must not be empty/);
});

// Ten years on a fake clock, one tick an hour, applying each plan the way the
// bootstrap loop does. At every tick the serving certificate must be valid and signed
// by a CA that was already in the published bundle, and a new CA must have been in the
// bundle for the overlap before it signs.
t.test('ten simulated years: never an untrusted or expired serving certificate', async (t) => {
  let seq = 0;
  interface Ca { pem: string; notBefore: number; notAfter: number }
  let current: Ca | undefined;
  let previous: Ca | undefined;
  let srv: { pem: string; notBefore: number; notAfter: number; signer: string } | undefined;
  const publishedAt = new Map<string, number>();
  let published: string[] = [];
  let caCount = 0;
  let servingCount = 0;
  let violations = 0;
  let keepIssues = 0;
  const end = T0 + 10 * 365 * DAY_MS;
  for (let now = T0; now < end; now += H) {
    const state: BootstrapState = {
      ...(current ? { ca: { ...current, hasKey: true } } : {}),
      ...(previous ? { previousCa: previous } : {}),
      ...(srv
        ? {
            serving: {
              pem: srv.pem,
              notBefore: srv.notBefore,
              notAfter: srv.notAfter,
              dnsNames: NAMES,
              keyMatches: true,
              signedBy: srv.signer === current?.pem ? 'current' : srv.signer === previous?.pem ? 'previous' : 'none',
            },
          }
        : {}),
    };
    const plan = planRenewal(state, now, CFG);
    const prev = previousAfter(state, plan, now);
    if (plan.ca !== 'keep') {
      current = { pem: `CA${++seq}`, ...caValidity(now, CFG) };
      caCount++;
    }
    previous = prev;
    if (plan.issueServing) {
      if (!current) throw new Error('no CA to sign with');
      srv = { pem: `S${++seq}`, signer: current.pem, ...servingValidity(now, current.notAfter, CFG) };
      servingCount++;
    }
    // publish the bundle (what the webhook configurations get)
    published = bundleCertificates({ ...(current ? { ca: { ...current, hasKey: true } } : {}), ...(previous ? { previousCa: previous } : {}) }, now);
    for (const p of published) if (!publishedAt.has(p)) publishedAt.set(p, now);
    // invariants after the tick
    if (!srv || now < srv.notBefore || now >= srv.notAfter) violations++;
    else if (!published.includes(srv.signer)) violations++;
    // a serving certificate issued by a CA that was already there must come from a CA
    // published at least the overlap earlier
    else if (plan.issueServing && plan.ca === 'keep' && now - (publishedAt.get(srv.signer) ?? now) < CFG.caOverlapMs) violations++;
    if (plan.issueServing && plan.ca === 'keep') keepIssues++;
  }
  t.equal(violations, 0, 'no tick with an expired or untrusted serving certificate');
  // 10 years of a 3-year CA renewed at 2 years: the first plus 4 rotations (2y,4y,6y,8y)
  t.equal(caCount, 5, 'CA rotations');
  t.equal(keepIssues, servingCount - 1, 'every serving issuance but the first reused a published CA');
  t.ok(servingCount >= 60 && servingCount <= 70, `serving issued about every 60 days (${servingCount})`);
  t.ok(published.length >= 1 && published.length <= 2, 'the bundle never holds more than two CAs');
});
