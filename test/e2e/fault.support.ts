// Shared pieces of the e2e fault tests (fault.*.test.ts): a seeded database with its
// PetSets and the test-only stand-ins running, admitted requests, waiting for a request
// to finish with its database resumed, and killing the service's process group.
import type { Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import {
  createOps,
  dbPath,
  newNamespace,
  opsPath,
  R,
  resourcePath,
  seedPetSets,
  seedState,
  sleep,
  waitFor,
  type ApiClient,
  type ControlPlane,
  type Obj,
  type Webhook,
} from './harness/index.js';
import { TestOnlyCertManager, TestOnlyPetSetController } from './harness/stand-ins.js';

export const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);

type Conds = { type: string; status: string; reason?: string; message?: string }[];
const condsOf = (o: { status?: unknown } | undefined): Conds => ((o?.status as { conditions?: Conds } | undefined)?.conditions ?? []) as Conds;

export interface Seeded {
  ns: string;
  db: Singlestore;
  certManager: TestOnlyCertManager;
  petSets: TestOnlyPetSetController;
  stop(): Promise<void>;
}

/** A fresh namespace with the worked state.yaml (TLS off), PetSets, pods Ready. */
export async function seedDatabase(cp: ControlPlane, prefix: string): Promise<Seeded> {
  const ns = await newNamespace(cp.api, prefix);
  const seeded = await seedState(cp.api, ns, 'state.yaml');
  const db = seeded.database as Singlestore;
  await seedPetSets(cp.api, db);
  const certManager = new TestOnlyCertManager(cp.api, ns).start();
  const petSets = new TestOnlyPetSetController(cp.api, ns).start();
  await waitFor(
    `${ns}: three pods Ready`,
    async () => {
      const pods = await cp.api.must<{ items: Obj[] }>(cp.api.get(resourcePath(R.pod, ns)), 'pods');
      return pods.items.filter((p) => condsOf(p).some((c) => c.type === 'Ready' && c.status === 'True')).length === 3 ? true : undefined;
    },
    30_000,
  );
  return {
    ns,
    db,
    certManager,
    petSets,
    stop: async () => {
      await certManager.stop();
      await petSets.stop();
    },
  };
}

/** Create through the API server, retrying while the webhook's cache catches up. */
export async function createAdmitted(api: ApiClient, req: Obj, ms = 15_000): Promise<{ status: number; message: string }> {
  const deadline = Date.now() + ms;
  let last = { status: 0, message: '' };
  do {
    const r = await createOps(api, req);
    last = { status: r.status, message: String((r.body as { message?: string } | undefined)?.message ?? '') };
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
  return waitFor(
    `${ns}/${name} terminal with the database resumed`,
    async () => {
      const req = await getRequest(api, ns, name);
      const db = (await api.get<Singlestore>(dbPath(ns, 'sample-sdb'))).body;
      return req && TERMINAL.has(req.status?.phase ?? '') && !isPaused(db) ? { req, db } : undefined;
    },
    ms,
    250,
  );
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
