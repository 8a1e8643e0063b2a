// The pure reconcile core: planner, names, conditions, TLS computations.
export * from './planner.js';
export * from './stages.js';
export * from './state.js';
export * from './names.js';
export * from './conditions.js';
export * from './tls.js';
export * from './duration.js';
export * from './status.js';
export * from './preflight.js';
