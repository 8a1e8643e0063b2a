// TEST-ONLY STAND-INS for controllers that do not run against the e2e API server. They
// are not cert-manager, not the PetSet controller and not a kubelet: each does the one
// thing the reconciler waits for, through the API server, polling one namespace.
//   TestOnlyCertManager      issues Certificates whose issuer is Ready: writes the
//                            kubernetes.io/tls Secret, sets Ready=True (observedGeneration,
//                            revision+1) and clears Issuing; with an issuer not Ready it
//                            sets Issuing=False reason Failed, like cert-manager.
//   TestOnlyPetSetController records status.observedGeneration, recreates missing pods
//                            <petset>-<i> from the template and marks them Ready (what the
//                            scheduler + kubelet would do).
import { randomBytes } from 'node:crypto';
import type { ApiClient } from './api.js';
import { resourcePath } from './api.js';
import { R, type Obj } from './cluster.js';

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

function conds(o: Obj): Cond[] {
  return ((o.status as { conditions?: Cond[] } | undefined)?.conditions ?? []) as Cond[];
}

abstract class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Errors seen by step() (a test may assert there were none of a kind). */
  readonly errors: string[] = [];
  constructor(
    protected readonly api: ApiClient,
    protected readonly namespace: string,
    private readonly everyMs = 300,
  ) {}
  protected abstract step(): Promise<void>;
  start(): this {
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.step()
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
}

export class TestOnlyCertManager extends Poller {
  issued = 0;
  failedAttempts = 0;

  private async issuerReady(cert: Obj): Promise<boolean> {
    const ref = (cert.spec as { issuerRef?: { name?: string; kind?: string } } | undefined)?.issuerRef ?? {};
    const path = ref.kind === 'ClusterIssuer' ? resourcePath(R.clusterIssuer, undefined, ref.name) : resourcePath(R.issuer, this.namespace, ref.name);
    const r = await this.api.get<Obj>(path);
    if (r.status !== 200) return false;
    return conds(r.body).some((c) => c.type === 'Ready' && c.status === 'True');
  }

  protected async step(): Promise<void> {
    const list = await this.api.must<{ items: Obj[] }>(this.api.get(resourcePath(R.certificate, this.namespace)), 'list certificates');
    for (const c of list.items) {
      const name = c.metadata?.name ?? '';
      const cs = conds(c);
      const ready = cs.find((x) => x.type === 'Ready');
      const issuing = cs.find((x) => x.type === 'Issuing' && x.status === 'True');
      const secretName = (c.spec as { secretName?: string } | undefined)?.secretName ?? name;
      const secret = await this.api.get(resourcePath(R.secret, this.namespace, secretName));
      const needs = issuing !== undefined || ready?.status !== 'True' || ready.observedGeneration !== c.metadata?.generation || secret.status === 404;
      if (!needs) continue;
      const now = new Date().toISOString();
      const statusPath = resourcePath(R.certificate, this.namespace, name, 'status');
      if (!(await this.issuerReady(c))) {
        if (!cs.some((x) => x.type === 'Issuing' && x.status === 'False')) {
          this.failedAttempts++;
          const next = [
            ...cs.filter((x) => x.type !== 'Issuing'),
            { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried: issuer is not Ready', lastTransitionTime: now },
          ];
          await this.api.must(this.api.patch(statusPath, { status: { conditions: next, lastFailureTime: now } }, 'merge'), `certificate ${name} failed`);
        }
        continue;
      }
      const revision = ((c.status as { revision?: number } | undefined)?.revision ?? 0) + 1;
      const data = {
        'ca.crt': Buffer.from('test-only CA').toString('base64'),
        'tls.crt': Buffer.from(`test-only certificate ${name} revision ${revision} ${randomBytes(4).toString('hex')}`).toString('base64'),
        'tls.key': Buffer.from('test-only key').toString('base64'),
      };
      const body = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: secretName, namespace: this.namespace, annotations: { 'cert-manager.io/certificate-name': name } }, data };
      if (secret.status === 404) await this.api.must(this.api.post(resourcePath(R.secret, this.namespace), body), `secret ${secretName}`);
      else await this.api.must(this.api.patch(resourcePath(R.secret, this.namespace, secretName), { data }, 'merge'), `secret ${secretName}`);
      const next: Cond[] = [
        ...cs.filter((x) => x.type !== 'Issuing' && x.type !== 'Ready'),
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: ready?.status === 'True' ? (ready.lastTransitionTime ?? now) : now, observedGeneration: c.metadata?.generation ?? 1 },
      ];
      await this.api.must(this.api.patch(statusPath, { status: { conditions: next, revision, notBefore: now } }, 'merge'), `certificate ${name} issued`);
      this.issued++;
    }
  }
}

export class TestOnlyPetSetController extends Poller {
  podsCreated = 0;

  protected async step(): Promise<void> {
    const list = await this.api.must<{ items: Obj[] }>(this.api.get(resourcePath(R.petSet, this.namespace)), 'list petsets');
    for (const ps of list.items) {
      const name = ps.metadata?.name ?? '';
      const spec = (ps.spec ?? {}) as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } };
      const replicas = spec.replicas ?? 1;
      const st = (ps.status ?? {}) as { observedGeneration?: number };
      if (st.observedGeneration !== ps.metadata?.generation) {
        await this.api.must(
          this.api.patch(resourcePath(R.petSet, this.namespace, name, 'status'), { status: { observedGeneration: ps.metadata?.generation, replicas, readyReplicas: replicas, updatedReplicas: replicas } }, 'merge'),
          `petset ${name} status`,
        );
      }
      for (let i = 0; i < replicas; i++) {
        const podName = `${name}-${i}`;
        const got = await this.api.get<Obj>(resourcePath(R.pod, this.namespace, podName));
        if (got.status === 404) {
          const pod = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: podName, namespace: this.namespace, labels: { ...(spec.template?.metadata?.labels ?? {}) }, ownerReferences: [{ apiVersion: 'apps.k8s.appscode.com/v1', kind: 'PetSet', name, uid: ps.metadata?.uid ?? '', controller: true }] },
            spec: structuredClone(spec.template?.spec ?? { containers: [{ name: 'main', image: 'test-only' }] }),
          };
          const r = await this.api.post(resourcePath(R.pod, this.namespace), pod);
          if (r.status === 201) this.podsCreated++;
          else if (r.status !== 409) throw new Error(`creating pod ${podName}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
          continue;
        }
        const pod = got.body;
        if ((pod.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp) continue;
        if (!conds(pod).some((c) => c.type === 'Ready' && c.status === 'True')) {
          const now = new Date().toISOString();
          await this.api.must(
            this.api.patch(
              resourcePath(R.pod, this.namespace, podName, 'status'),
              { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }] } },
              'merge',
            ),
            `pod ${podName} Ready`,
          );
        }
      }
    }
  }
}
