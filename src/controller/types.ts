// Minimal shapes of the collaborators the controller is given (so it depends on no
// particular logger or metrics file).

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** The two reconcile metrics of src/metrics.ts (sdb_tls_guard_reconcile_steps_total,
 *  sdb_tls_guard_reconcile_step_duration_seconds); prom-client objects fit. */
export interface ReconcileMetrics {
  reconcileSteps: { inc(labels: { step: string; result: string }): void };
  reconcileStepDuration: { observe(labels: { step: string }, seconds: number): void };
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
};
