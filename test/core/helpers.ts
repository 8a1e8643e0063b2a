// Shared helpers of the engine tests: fixture loading and small request builders.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const WORKED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'worked');

export function loadYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined);
}

/** The state file a worked request names in its first comment line (`# expects: state.yaml`). */
export function expectedStateFile(path: string): string {
  const [, state] = /^# expects: ([A-Za-z0-9._-]+\.ya?ml)/m.exec(readFileSync(path, 'utf8')) ?? [];
  if (state === undefined) throw new Error(`${path}: no "# expects: <state file>" comment`);
  return join(dirname(path), state);
}

type Json = Record<string, unknown>;

/** A ReconfigureTLS request in demo for sample-sdb with the given spec.tls (already defaulted). */
export function request(tls: unknown, extra: Json = {}, meta: Json = {}): Json {
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name: 'sdbops-test', namespace: 'demo', ...meta },
    spec: {
      type: 'ReconfigureTLS',
      databaseRef: { name: 'sample-sdb' },
      tls,
      apply: 'IfReady',
      timeout: '10m',
      ...extra,
    },
  };
}

export function singlestore(name: string, opts: { tls?: unknown; phase?: string; halted?: boolean; conditions?: unknown[]; labels?: Record<string, string>; namespace?: string } = {}): Json {
  return {
    apiVersion: 'kubedb.com/v1alpha2',
    kind: 'Singlestore',
    metadata: { name, namespace: opts.namespace ?? 'demo', ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      version: '8.7.10',
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.halted !== undefined ? { halted: opts.halted } : {}),
    },
    status: { phase: opts.phase ?? 'Ready', conditions: opts.conditions ?? [] },
  };
}

export function issuer(name: string, ready: 'True' | 'False' | 'none' = 'True', kind: 'Issuer' | 'ClusterIssuer' = 'Issuer', namespace = 'demo'): Json {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind,
    metadata: kind === 'Issuer' ? { name, namespace } : { name },
    spec: { ca: { secretName: 'ca' } },
    status: ready === 'none' ? {} : { conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KeyPairVerified' : 'ErrGetKeyPair' }] },
  };
}

export function opsRequest(name: string, type: string, phase: string | undefined, db = 'sample-sdb', namespace = 'demo'): Json {
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name, namespace },
    spec: { type, databaseRef: { name: db } },
    ...(phase !== undefined ? { status: { phase } } : {}),
  };
}
