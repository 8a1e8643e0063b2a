// Installs KubeDB's and cert-manager's PUBLISHED CRDs (../shared/crds beside the
// repository, provenance in its README; never copied into the repository) and waits until
// each is Established and its resource answers a list request. What the API server prunes,
// defaults and rejects is then what a real cluster does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ApiClient } from './api.js';
import { REPO_ROOT } from './paths.js';
import { waitFor } from './process.js';

/** ../shared/crds next to the repository; SDB_CRD_DIR points elsewhere. */
export const CRD_DIR = process.env['SDB_CRD_DIR'] || join(REPO_ROOT, '..', 'shared', 'crds');

interface CRD {
  metadata: { name: string };
  spec: { group: string; scope: string; names: { plural: string }; versions: { name: string; storage?: boolean }[] };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export function loadCRDs(dir = CRD_DIR): CRD[] {
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: the e2e tier installs the published CRDs from ../shared/crds beside the repository (SDB_CRD_DIR overrides)`);
  const out: CRD[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      const [bad] = doc.errors;
      if (bad) throw new Error(`${f}: ${bad.message}`);
      const o = doc.toJSON() as CRD | null;
      if (o) out.push(o);
    }
  }
  return out;
}

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export async function installCRDs(api: ApiClient, crds: CRD[] = loadCRDs()): Promise<string[]> {
  for (const crd of crds) {
    const r = await api.post<{ message?: string } | undefined>(CRD_PATH, crd);
    if (r.status !== 201 && r.status !== 409) throw new Error(`creating CRD ${crd.metadata.name}: HTTP ${r.status}: ${r.body?.message ?? ''}`);
  }
  for (const crd of crds) {
    await waitFor(
      `CRD ${crd.metadata.name} Established`,
      async () => {
        const r = await api.get<CRD | undefined>(`${CRD_PATH}/${crd.metadata.name}`);
        const conds = r.body?.status?.conditions ?? [];
        const bad = conds.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
        if (bad) throw new Error(`names not accepted: ${bad.message ?? bad.reason ?? ''}`);
        return conds.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      30_000,
      200,
    );
    const version = (crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0])?.name;
    if (version === undefined) throw new Error(`CRD ${crd.metadata.name} has no versions`);
    const path = `/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}`;
    await waitFor(`${path} served`, async () => ((await api.get(path)).status === 200 ? true : undefined), 30_000, 200);
  }
  return crds.map((c) => c.metadata.name);
}
