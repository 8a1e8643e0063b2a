// Minimal shapes of the collaborators the controller is given (so it depends on no
// particular logger or metrics file).

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** The reconcile metrics of src/metrics.ts (sdb_tls_guard_reconcile_steps_total,
 *  sdb_tls_guard_reconcile_step_duration_seconds, and optionally
 *  sdb_tls_guard_ops_request_phase_transitions_total, sdb_tls_guard_reconcile_failures_total,
 *  sdb_tls_guard_reconcile_errors_total, sdb_tls_guard_leader); prom-client objects fit. */
export interface ReconcileMetrics {
  reconcileSteps: { inc(labels: { step: string; result: string }): void };
  reconcileStepDuration: { observe(labels: { step: string }, seconds: number): void };
  opsRequestTransitions?: { inc(labels: { phase: string }): void };
  reconcileFailures?: { inc(labels: { step: string }): void };
  reconcileErrors?: { inc(labels: { kind: 'step' | 'pass' }): void };
  leader?: { set(value: number): void };
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
};
