// Prometheus metrics of one process. A Registry is made per call (no prom-client global
// default registry), so tests and several apps in one process never share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Webhook = 'validate' | 'mutate';
/** allowed / denied: the verdict; error: the engine threw (answered allowed: false, code 500). */
export type ReviewVerdict = 'allowed' | 'denied' | 'error';

/** What a cache reports at scrape time (see InformerView.cacheStats). */
export interface CacheStat {
  /** Plural resource name, e.g. `singlestores`. */
  resource: string;
  objects: number;
  synced: boolean;
}

/** What the ops-request gauges report at scrape time (see src/controller/request-stats.ts). */
export interface RequestStats {
  /** ReconfigureTLS requests in the cache, by phase label (bounded: OPS_PHASES). */
  byPhase: ReadonlyMap<string, number>;
  /** Per database and non-terminal phase: seconds since the oldest such request was
   *  created (Progressing: since it started, its ReconfigureTLS condition). */
  oldest: readonly { namespace: string; database: string; phase: string; seconds: number }[];
  /** Databases holding a Paused condition written by sdb-tls-guard, and for how long. */
  paused: readonly { namespace: string; database: string; seconds: number }[];
}

/** Values of the `phase` label: KubeDB's phases, plus New for an unset phase and Unknown
 *  for anything else, so the label set stays bounded whatever a status holds. */
export const OPS_PHASES = ['New', 'Pending', 'Progressing', 'WaitingForApproval', 'Approved', 'Successful', 'Failed', 'Denied', 'Skipped', 'Unknown'] as const;

export function phaseLabel(phase: string | undefined): string {
  if (phase === undefined || phase === '') return 'New';
  return (OPS_PHASES as readonly string[]).includes(phase) && phase !== 'New' ? phase : 'Unknown';
}

/** Steps a request can fail at (sdb_tls_guard_reconcile_failures_total starts at 0 for
 *  each, so the first failure after a restart or a leader change shows in increase()). */
export const FAILURE_STEPS = ['Preflight', 'DatabasePauseSucceeded', 'IssueCertificatesSucceeded', 'CertificateSynced', 'UpdatePetSets', 'EvictPod', 'CheckPodReady', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful'] as const;
/** Phases the reconciler writes (sdb_tls_guard_ops_request_phase_transitions_total starts at 0 for each). */
export const WRITTEN_PHASES = ['Pending', 'Progressing', 'Successful', 'Failed', 'Skipped'] as const;

export interface Metrics {
  readonly registry: Registry;
  /** sdb_tls_guard_admission_reviews_total{webhook,verdict}: one per decodable review. */
  readonly reviews: Counter<'webhook' | 'verdict'>;
  /**
   * sdb_tls_guard_admission_rule_reviews_total{webhook,rule,verdict}: reviews in which a
   * rule (or a default, on mutate) fired; verdict `deny`, `warn` or `default`. Counted
   * once per review and rule, so a review denied by two rules counts once in `reviews`
   * and once under each rule here.
   */
  readonly ruleReviews: Counter<'webhook' | 'rule' | 'verdict'>;
  /** sdb_tls_guard_admission_review_duration_seconds{webhook}: decode to answer. */
  readonly reviewDuration: Histogram<'webhook'>;
  /** sdb_tls_guard_admission_bad_requests_total{webhook,code}: 400/413/415 answers. */
  readonly badRequests: Counter<'webhook' | 'code'>;
  /** sdb_tls_guard_cache_objects{resource}: objects held by each informer cache. */
  readonly cacheObjects: Gauge<'resource'>;
  /** sdb_tls_guard_cache_synced{resource}: 1 when the cache is synced, else 0. */
  readonly cacheSynced: Gauge<'resource'>;
  /** sdb_tls_guard_reconcile_steps_total{step,result}: incremented by the reconciler. */
  readonly reconcileSteps: Counter<'step' | 'result'>;
  /** sdb_tls_guard_reconcile_step_duration_seconds{step}: observed by the reconciler. */
  readonly reconcileStepDuration: Histogram<'step'>;
  /** sdb_tls_guard_ops_request_phase_transitions_total{phase}: phases this process moved a request into. */
  readonly opsRequestTransitions: Counter<'phase'>;
  /** sdb_tls_guard_reconcile_failures_total{step}: requests this process failed, by the step that failed. */
  readonly reconcileFailures: Counter<'step'>;
  /** sdb_tls_guard_reconcile_errors_total{kind}: a step's API call failed (step) or a whole pass threw (pass). */
  readonly reconcileErrors: Counter<'kind'>;
  /** sdb_tls_guard_leader: 1 while this replica holds the reconciler's Lease, else 0. */
  readonly leader: Gauge;
  /** sdb_tls_guard_tls_reloads_total{result}: serving certificate reloads (success|failure). */
  readonly tlsReloads: Counter<'result'>;
  /** sdb_tls_guard_tls_certificate_expiry_timestamp_seconds: notAfter of the served certificate. */
  readonly tlsCertificateExpiry: Gauge;
  /** Register the function the cache gauges read at scrape time (the informer view). */
  setCacheSource(source: (() => readonly CacheStat[]) | undefined): void;
  /** Register the function the ops-request gauges read at scrape time (main: over the informer caches). */
  setRequestSource(source: (() => RequestStats) | undefined): void;
  /** Count one decodable review: its verdict and every rule id it reports. */
  recordReview(webhook: Webhook, verdict: ReviewVerdict, rules: { deny?: readonly string[]; warn?: readonly string[]; default?: readonly string[] }, seconds: number): void;
}

export interface MetricsOptions {
  /** Also collect prom-client's process and Node.js metrics (main turns this on). */
  processMetrics?: boolean;
  /** Value of the `version` label of sdb_tls_guard_build_info. */
  version?: string;
}

const PREFIX = 'sdb_tls_guard_';
/**
 * Resolution of the nodejs_eventloop_lag_* histogram's sampling timer. prom-client's
 * default, 10 ms, cost an idle `serve` 8-11 ms of CPU a second (100 wake-ups; measured
 * from /proc over 20 s idle: 160-220 ms with the process metrics, 50 ms without); every
 * wake-up also competes for a CPU with the API server's calls on a busy node. At 100 ms
 * the lag metrics keep their names and units, with a tenth of the samples.
 */
export const EVENT_LOOP_MONITORING_MS = 100;
/** Reviews counted before they are handed to prom-client (see recordReview). */
export const REVIEW_BATCH = 256;

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  let cacheSource: (() => readonly CacheStat[]) | undefined;
  let requestSource: (() => RequestStats) | undefined;
  // Each of the three ops-request gauges reads the source itself (a walk over the cached
  // requests; cheap), so every read is current.
  const requestStats = (): RequestStats | undefined => requestSource?.();

  // The per-review metrics are counted in batches (see recordReview): each of them
  // flushes the pending counts before it is read, so a scrape is always exact.
  const flushFirst = {
    collect() {
      flushReviews();
    },
  };
  const reviews = new Counter({
    name: `${PREFIX}admission_reviews_total`,
    help: 'Admission reviews answered, by webhook and verdict.',
    labelNames: ['webhook', 'verdict'] as const,
    registers: [registry],
    ...flushFirst,
  });
  const ruleReviews = new Counter({
    name: `${PREFIX}admission_rule_reviews_total`,
    help: 'Admission reviews in which a rule or default fired, by webhook, rule id and verdict (deny, warn, default).',
    labelNames: ['webhook', 'rule', 'verdict'] as const,
    registers: [registry],
    ...flushFirst,
  });
  const reviewDuration = new Histogram({
    name: `${PREFIX}admission_review_duration_seconds`,
    help: 'Time from a decoded AdmissionReview to its answer.',
    labelNames: ['webhook'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
    ...flushFirst,
  });
  const badRequests = new Counter({
    name: `${PREFIX}admission_bad_requests_total`,
    help: 'Requests to the admission endpoints answered 400, 413 or 415.',
    labelNames: ['webhook', 'code'] as const,
    registers: [registry],
  });
  const cacheObjects = new Gauge({
    name: `${PREFIX}cache_objects`,
    help: 'Objects held by each informer cache.',
    labelNames: ['resource'] as const,
    registers: [registry],
    collect() {
      if (!cacheSource) return;
      for (const s of cacheSource()) this.set({ resource: s.resource }, s.objects);
    },
  });
  const cacheSynced = new Gauge({
    name: `${PREFIX}cache_synced`,
    help: '1 when the informer cache of a resource is synced, else 0.',
    labelNames: ['resource'] as const,
    registers: [registry],
    collect() {
      if (!cacheSource) return;
      for (const s of cacheSource()) this.set({ resource: s.resource }, s.synced ? 1 : 0);
    },
  });
  const reconcileSteps = new Counter({
    name: `${PREFIX}reconcile_steps_total`,
    help: 'Reconcile steps run, by step and result.',
    labelNames: ['step', 'result'] as const,
    registers: [registry],
  });
  const reconcileStepDuration = new Histogram({
    name: `${PREFIX}reconcile_step_duration_seconds`,
    help: 'Duration of one reconcile step.',
    labelNames: ['step'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const opsRequestTransitions = new Counter({
    name: `${PREFIX}ops_request_phase_transitions_total`,
    help: 'ReconfigureTLS ops requests this process moved into a phase, by phase.',
    labelNames: ['phase'] as const,
    registers: [registry],
  });
  const reconcileFailures = new Counter({
    name: `${PREFIX}reconcile_failures_total`,
    help: 'ReconfigureTLS ops requests this process failed, by the step that failed (Preflight: the pre-flight review).',
    labelNames: ['step'] as const,
    registers: [registry],
  });
  for (const phase of WRITTEN_PHASES) opsRequestTransitions.inc({ phase }, 0);
  for (const step of FAILURE_STEPS) reconcileFailures.inc({ step }, 0);
  const reconcileErrors = new Counter({
    name: `${PREFIX}reconcile_errors_total`,
    help: 'Reconcile errors that are retried: kind step (an API call of a step failed) or pass (a whole pass over a database failed).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const kind of ['step', 'pass'] as const) reconcileErrors.inc({ kind }, 0);
  const leader = new Gauge({
    name: `${PREFIX}leader`,
    help: '1 while this replica holds the reconciler Lease and reconciles, else 0.',
    registers: [registry],
  });
  new Gauge({
    name: `${PREFIX}ops_requests`,
    help: 'ReconfigureTLS ops requests in the informer cache, by phase.',
    labelNames: ['phase'] as const,
    registers: [registry],
    collect() {
      const s = requestStats();
      if (!s) return;
      for (const p of OPS_PHASES) this.set({ phase: p }, s.byPhase.get(p) ?? 0);
    },
  });
  new Gauge({
    name: `${PREFIX}ops_request_oldest_age_seconds`,
    help: 'Per database and non-terminal phase: age of the oldest ReconfigureTLS request in that phase (Progressing: since it started).',
    labelNames: ['db_namespace', 'database', 'phase'] as const,
    registers: [registry],
    collect() {
      const s = requestStats();
      if (!s) return;
      this.reset();
      for (const o of s.oldest) this.set({ db_namespace: o.namespace, database: o.database, phase: o.phase }, o.seconds);
    },
  });
  new Gauge({
    name: `${PREFIX}database_paused_seconds`,
    help: 'Per database holding a Paused condition written by sdb-tls-guard: seconds since it was paused.',
    labelNames: ['db_namespace', 'database'] as const,
    registers: [registry],
    collect() {
      const s = requestStats();
      if (!s) return;
      this.reset();
      for (const o of s.paused) this.set({ db_namespace: o.namespace, database: o.database }, o.seconds);
    },
  });
  const tlsReloads = new Counter({
    name: `${PREFIX}tls_reloads_total`,
    help: 'Serving certificate reloads from files, by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const tlsCertificateExpiry = new Gauge({
    name: `${PREFIX}tls_certificate_expiry_timestamp_seconds`,
    help: 'notAfter of the serving certificate in use, as a Unix timestamp.',
    registers: [registry],
  });
  const buildInfo = new Gauge({
    name: `${PREFIX}build_info`,
    help: 'Always 1; the version label names the running build.',
    labelNames: ['version'] as const,
    registers: [registry],
  });
  buildInfo.set({ version: opts.version ?? 'unknown' }, 1);

  // prom-client samples the event-loop delay with a libuv timer every
  // eventLoopMonitoringPrecision ms; its default of 10 ms wakes an idle replica 100
  // times a second (see EVENT_LOOP_MONITORING_MS).
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_MS });

  // Label objects of the per-review metrics, made once and reused (prom-client only
  // reads them), so counting a review allocates nothing.
  const webhookLabels: Record<Webhook, { webhook: Webhook }> = { validate: { webhook: 'validate' }, mutate: { webhook: 'mutate' } };
  const verdictLabels = new Map<string, { webhook: Webhook; verdict: string }>();
  const verdictLabelsOf = (webhook: Webhook, verdict: string) => {
    const k = `${webhook}\u0000${verdict}`;
    let l = verdictLabels.get(k);
    if (!l) verdictLabels.set(k, (l = { webhook, verdict }));
    return l;
  };
  const ruleLabels = new Map<string, { webhook: Webhook; rule: string; verdict: string }>();
  const ruleLabelsOf = (webhook: Webhook, rule: string, verdict: string) => {
    const k = `${webhook}\u0000${rule}\u0000${verdict}`;
    let l = ruleLabels.get(k);
    if (!l) {
      l = { webhook, rule, verdict };
      // Rule ids are a fixed set; a bounded cache still guards against a caller that
      // passes arbitrary strings.
      if (ruleLabels.size < 1000) ruleLabels.set(k, l);
    }
    return l;
  };

  // Counting a review is on the path of every admission request, where prom-client's
  // per-call label hashing and validation cost several µs with cold caches. Reviews are
  // therefore counted into plain Maps and arrays and handed to prom-client in one loop
  // every REVIEW_BATCH reviews and whenever a per-review metric is read (scrapes, get()).
  const pendingReviews = new Map<{ webhook: Webhook; verdict: string }, number>();
  const pendingRules = new Map<{ webhook: Webhook; rule: string; verdict: string }, number>();
  const pendingSeconds = new Float64Array(REVIEW_BATCH);
  const pendingWebhook = new Uint8Array(REVIEW_BATCH);
  let pendingCount = 0;
  function countPending<K>(m: Map<K, number>, k: K): void {
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  function countRules(webhook: Webhook, ids: readonly string[], verdict: string): void {
    const only = ids.length === 1 ? ids[0] : undefined;
    if (only !== undefined) {
      countPending(pendingRules, ruleLabelsOf(webhook, only, verdict));
      return;
    }
    for (const rule of new Set(ids)) countPending(pendingRules, ruleLabelsOf(webhook, rule, verdict));
  }
  function flushReviews(): void {
    for (const [labels, n] of pendingReviews) reviews.inc(labels, n);
    pendingReviews.clear();
    for (const [labels, n] of pendingRules) ruleReviews.inc(labels, n);
    pendingRules.clear();
    const n = pendingCount;
    pendingCount = 0;
    for (let i = 0; i < n; i++) reviewDuration.observe(pendingWebhook[i] === 1 ? webhookLabels.mutate : webhookLabels.validate, pendingSeconds[i] ?? 0);
  }

  return {
    registry,
    reviews,
    ruleReviews,
    reviewDuration,
    badRequests,
    cacheObjects,
    cacheSynced,
    reconcileSteps,
    reconcileStepDuration,
    opsRequestTransitions,
    reconcileFailures,
    reconcileErrors,
    leader,
    tlsReloads,
    tlsCertificateExpiry,
    setCacheSource(source) {
      cacheSource = source;
    },
    setRequestSource(source) {
      requestSource = source;
    },
    recordReview(webhook, verdict, rules, seconds) {
      countPending(pendingReviews, verdictLabelsOf(webhook, verdict));
      if (rules.deny?.length) countRules(webhook, rules.deny, 'deny');
      if (rules.warn?.length) countRules(webhook, rules.warn, 'warn');
      if (rules.default?.length) countRules(webhook, rules.default, 'default');
      pendingSeconds[pendingCount] = seconds;
      pendingWebhook[pendingCount] = webhook === 'validate' ? 0 : 1;
      if (++pendingCount === REVIEW_BATCH) flushReviews();
    },
  };
}
