// Shared pieces of the e2e fault tests (fault.*.test.ts): a seeded database with its
// PetSets, running on the real parts (pods created by the PetSet stand-in, scheduled by
// kube-scheduler, run by kwok; Issuers with real CAs from cert-manager), admitted
// requests, waiting for a request to finish with its database resumed, and killing the
// service's process group.
import type { Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import {
  createOps,
  dbPath,
  newNamespace,
  opsPath,
  seedDatabase as seedRunning,
  sleep,
  waitFor,
  type ApiClient,
  type ControlPlane,
  type Obj,
  type Webhook,
} from './harness/index.js';

export const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);

type Conds = { type: string; status: string; reason?: string; message?: string }[];
const condsOf = (o: { status?: unknown } | undefined): Conds => ((o?.status as { conditions?: Conds } | undefined)?.conditions ?? []);

export interface Seeded {
  ns: string;
  db: Singlestore;
}

/** A fresh namespace with the worked state.yaml (TLS off), PetSets, pods Ready. */
export async function seedDatabase(cp: ControlPlane, prefix: string): Promise<Seeded> {
  const ns = await newNamespace(cp.api, prefix);
  const { db } = await seedRunning(cp.api, ns, 'state.yaml');
  return { ns, db };
}

/** Create through the API server, retrying while the webhook's cache catches up. */
export async function createAdmitted(api: ApiClient, req: Obj, ms = 15_000): Promise<{ status: number; message: string }> {
  const deadline = Date.now() + ms;
  let last: { status: number; message: string };
  do {
    const r = await createOps(api, req);
    last = { status: r.status, message: (r.body as { message?: string } | undefined)?.message ?? '' };
    if (r.status === 201) return last;
    await sleep(300);
  } while (Date.now() < deadline);
  return last;
}

export async function getRequest(api: ApiClient, ns: string, name: string): Promise<SinglestoreOpsRequest | undefined> {
  const r = await api.get<SinglestoreOpsRequest>(opsPath(ns, name));
  return r.status === 200 ? r.body : undefined;
}

export function isPaused(db: Singlestore | undefined): boolean {
  return condsOf(db).some((c) => c.type === 'Paused' && c.status !== 'False');
}

/** Until the request is terminal AND its database carries no Paused condition. */
export async function waitFinished(api: ApiClient, ns: string, name: string, ms: number): Promise<{ req: SinglestoreOpsRequest; db: Singlestore }> {
  let last: SinglestoreOpsRequest | undefined;
  return waitFor(
    `${ns}/${name} terminal with the database resumed`,
    async () => {
      const req = await getRequest(api, ns, name);
      last = req;
      const db = (await api.get<Singlestore>(dbPath(ns, 'sample-sdb'))).body;
      return req && TERMINAL.has(req.status?.phase ?? '') && !isPaused(db) ? { req, db } : undefined;
    },
    ms,
    250,
  ).catch(async (err: unknown) => {
    // Say where it stood: the request's last conditions and the pods.
    const pods = await api.get<{ items?: Obj[] } | undefined>(`/api/v1/namespaces/${ns}/pods`);
    // Where each pod is: its phase, and the node it is bound to (unbound: the scheduler has
    // not placed it; bound but Pending: kwok has not started it).
    const podState = (pods.body?.items ?? []).map(
      (p) =>
        `${String(p.metadata?.name)}(${String(p.metadata?.uid?.slice(0, 8))} ${(p.status as { phase?: string } | undefined)?.phase ?? ''} on ${(p.spec as { nodeName?: string } | undefined)?.nodeName ?? 'no node'}${(p.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp ? ' terminating' : ''})`,
    );
    const conds = (last?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.message ? ` "${c.message}"` : ''}`);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nlast conditions: ${conds.join(' | ')}\npods: ${podState.join(', ')}`, { cause: err });
  });
}

export const conditionTypes = (r: SinglestoreOpsRequest | undefined): string[] => condsOf(r).map((c) => c.type);

/** SIGKILL the service (its whole process group: no handler runs, nothing is flushed). */
export async function killService(wh: Webhook): Promise<void> {
  try {
    process.kill(-wh.process.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await wh.process.exited;
}
