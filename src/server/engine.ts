// The real engine behind the webhook (src/core/engine.ts). Kept in its own module so
// the routes depend on the small AdmissionEngine interface and tests can swap it.
import { decide, defaultPatch } from '../core/engine.js';
import type { AdmissionEngine } from './decisions.js';

export const defaultEngine: AdmissionEngine = { decide, defaultPatch };
