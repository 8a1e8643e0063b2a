// The real engine behind the webhook (src/core/engine.ts). Kept in its own module so
// the routes depend on the small AdmissionEngine interface and tests can swap it.
import * as core from '../core/engine.js';
import type { AdmissionEngine } from './decisions.js';

export const defaultEngine: AdmissionEngine = {
  decide: (input) => core.decide(input),
  defaultPatch: (object, options) => core.defaultPatch(object, options),
};
