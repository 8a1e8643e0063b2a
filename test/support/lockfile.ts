// The production packages of package-lock.json (every entry not marked dev) as
// `name@version`, the way scripts/bundle.mjs decides what may go into the bundle; the
// image and bundle tests check the bundled packages against it.
import { readFileSync } from 'node:fs';

export function productionPackages(lockfilePath: string): Set<string> {
  const lock = JSON.parse(readFileSync(lockfilePath, 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean }> };
  return new Set(
    Object.entries(lock.packages)
      .filter(([p, v]) => p !== '' && !v.dev)
      .map(([p, v]) => `${p.replace(/^.*node_modules\//, '')}@${v.version ?? ''}`),
  );
}
