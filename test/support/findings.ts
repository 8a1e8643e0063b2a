// The text a finding reads as at a door (src/core/field/errors.ts), for tests that
// compare messages: an error as formatFieldError prints it, a warning as formatWarning.
import { formatFieldError, formatWarning } from '../../src/core/field/errors.js';
import type { Finding, Warning } from '../../src/core/findings.js';

export function messageOf(f: Finding | Warning): string {
  return 'type' in f ? formatFieldError(f) : formatWarning(f);
}
