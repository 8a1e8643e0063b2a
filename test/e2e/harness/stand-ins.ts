// TEST-ONLY STAND-IN for the one controller that cannot run here: KubeDB's PetSet
// controller (its module, kubeops.dev/petset, is refused by the Go module proxy; see
// docs/e2e.md). It does what the real controller does for the PetSets of these tests and
// nothing more, through the API server:
//   - creates real Pod objects `<petset>-<ordinal>` from the PetSet's pod template, one
//     at a time in ordinal order (podManagementPolicy OrderedReady: pod i+1 only once pod
//     i is Running and Ready), with a controller owner reference to the PetSet;
//   - recreates a pod that was deleted or evicted (once the old one is gone);
//   - removes pods above spec.replicas, highest ordinal first;
//   - writes status: observedGeneration, replicas, readyReplicas, currentReplicas,
//     updatedReplicas, availableReplicas (what the CRD's /scale subresource and the
//     disruption controller read).
// It never marks a pod Ready: the real kube-scheduler binds the pods and kwok's stages
// run them and make them Ready.
import type { ApiClient } from './api.js';
import { resourcePath } from './api.js';
import { R, type Obj } from './cluster.js';

interface Cond {
  type: string;
  status: string;
}

interface PetSetObj extends Obj {
  spec?: {
    replicas?: number;
    serviceName?: string;
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  };
  status?: { observedGeneration?: number; replicas?: number; readyReplicas?: number };
}

interface PodObj extends Obj {
  metadata?: Obj['metadata'] & { deletionTimestamp?: string; ownerReferences?: { uid?: string }[] };
  status?: { phase?: string; conditions?: Cond[] };
}

const isReady = (p: PodObj): boolean => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const ordinalOf = (petSet: string, pod: string): number | undefined => {
  if (!pod.startsWith(`${petSet}-`)) return undefined;
  const n = pod.slice(petSet.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(n) ? Number(n) : undefined;
};

export class TestOnlyPetSetController {
  podsCreated = 0;
  /** Errors seen while reconciling (a test may assert there were none). */
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  /** Every namespace (cluster-wide LISTs), polling every `everyMs`. */
  constructor(
    private readonly api: ApiClient,
    private readonly everyMs = 250,
  ) {}

  start(): this {
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.pass()
        .catch((err: unknown) => {
          this.errors.push((err as Error).message);
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.everyMs);
        });
    };
    loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    const [petSets, pods] = await Promise.all([
      this.api.must<{ items: PetSetObj[] }>(this.api.get(resourcePath(R.petSet)), 'list petsets'),
      this.api.must<{ items: PodObj[] }>(this.api.get(resourcePath(R.pod)), 'list pods'),
    ]);
    for (const ps of petSets.items) {
      if ((ps.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp) continue;
      const uid = ps.metadata?.uid ?? '';
      const owned = pods.items.filter((p) => p.metadata?.namespace === ps.metadata?.namespace && (p.metadata?.ownerReferences ?? []).some((o) => o.uid === uid));
      await this.sync(ps, owned);
    }
  }

  private async sync(ps: PetSetObj, owned: PodObj[]): Promise<void> {
    const ns = ps.metadata?.namespace ?? '';
    const name = ps.metadata?.name ?? '';
    const replicas = ps.spec?.replicas ?? 1;
    const byOrdinal = new Map<number, PodObj>();
    for (const p of owned) {
      const i = ordinalOf(name, p.metadata?.name ?? '');
      if (i !== undefined) byOrdinal.set(i, p);
    }
    // OrderedReady: walk the ordinals; act on the first one that is not Running and Ready.
    for (let i = 0; i < replicas; i++) {
      const pod = byOrdinal.get(i);
      if (!pod) {
        await this.createPod(ps, i);
        break;
      }
      if (pod.metadata?.deletionTimestamp || !isReady(pod)) break;
    }
    // Scale down, highest ordinal first, one at a time.
    const extra = [...byOrdinal.keys()].filter((i) => i >= replicas).sort((a, b) => b - a)[0];
    if (extra !== undefined && !byOrdinal.get(extra)?.metadata?.deletionTimestamp) {
      const r = await this.api.delete(resourcePath(R.pod, ns, `${name}-${extra}`));
      if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new Error(`deleting pod ${ns}/${name}-${extra}: HTTP ${r.status}`);
    }
    const live = owned.filter((p) => !p.metadata?.deletionTimestamp);
    const ready = live.filter(isReady).length;
    const status = { observedGeneration: ps.metadata?.generation, replicas: live.length, readyReplicas: ready, currentReplicas: live.length, updatedReplicas: live.length, availableReplicas: ready };
    const cur = ps.status ?? {};
    if (Object.entries(status).some(([k, v]) => (cur as Record<string, unknown>)[k] !== v)) {
      const r = await this.api.patch(resourcePath(R.petSet, ns, name, 'status'), { status }, 'merge');
      if (r.status !== 200 && r.status !== 404 && r.status !== 409) throw new Error(`petset ${ns}/${name} status: HTTP ${r.status}`);
    }
  }

  private async createPod(ps: PetSetObj, ordinal: number): Promise<void> {
    const ns = ps.metadata?.namespace ?? '';
    const name = ps.metadata?.name ?? '';
    const podName = `${name}-${ordinal}`;
    const tmpl = ps.spec?.template ?? {};
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        labels: { ...(tmpl.metadata?.labels ?? {}), 'apps.k8s.appscode.com/pod-name': podName },
        ...(tmpl.metadata?.annotations ? { annotations: { ...tmpl.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps.k8s.appscode.com/v1', kind: 'PetSet', name, uid: ps.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ...structuredClone(tmpl.spec ?? {}),
        hostname: podName,
        ...(ps.spec?.serviceName ? { subdomain: ps.spec.serviceName } : {}),
      },
    };
    const r = await this.api.post(resourcePath(R.pod, ns), pod);
    if (r.status === 201) this.podsCreated++;
    // 409: the old pod of that name is still being deleted; 403: its namespace is terminating.
    else if (r.status !== 409 && r.status !== 403) throw new Error(`creating pod ${ns}/${podName}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
}
