// Helpers of the chart tests: build (or find) helm through scripts/build-helm.sh and
// render the chart into parsed objects. A helm that cannot be built makes the tests
// FAIL (the error propagates), never skip.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Deployment,
  V1MutatingWebhookConfiguration,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = path.join(ROOT, 'charts', 'sdb-tls-guard');

let helmPath: string | undefined;

/** Absolute path of a helm binary; builds it on first use. Throws when it cannot. */
export function helm(): string {
  if (helmPath === undefined) {
    const out = execFileSync('sh', [path.join(ROOT, 'scripts', 'build-helm.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 20 * 60 * 1000,
    });
    const p = out.trim().split('\n').pop();
    if (!p) throw new Error('scripts/build-helm.sh printed no helm path');
    helmPath = p;
  }
  return helmPath;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): RunResult {
  const r = spawnSync(helm(), args, { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What every rendered object has: its kind and metadata. */
export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
}

interface IssuerRef {
  group?: string;
  kind?: string;
  name?: string;
}

/** cert-manager's Certificate, the fields the chart sets. */
export interface Certificate extends Obj {
  spec?: {
    secretName?: string;
    isCA?: boolean;
    commonName?: string;
    dnsNames?: string[];
    duration?: string;
    renewBefore?: string;
    issuerRef?: IssuerRef;
  };
}

/** cert-manager's Issuer: `selfSigned: {}` or `ca: { secretName }`. */
export interface Issuer extends Obj {
  spec?: { selfSigned?: Record<string, never>; ca?: { secretName?: string } };
}

/** prometheus-operator's ServiceMonitor. */
export interface ServiceMonitor extends Obj {
  spec?: {
    endpoints?: {
      port?: string;
      path?: string;
      scheme?: string;
      interval?: string;
      scrapeTimeout?: string;
      tlsConfig?: { serverName?: string; ca?: { secret?: { name?: string; key?: string } } };
    }[];
  };
}

/** One alerting rule of a PrometheusRule. */
export interface AlertRule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** prometheus-operator's PrometheusRule. */
export interface PrometheusRule extends Obj {
  spec?: { groups?: { name?: string; rules?: AlertRule[] }[] };
}

/**
 * A NetworkPolicy as YAML spells it: client-node's V1NetworkPolicyIngressRule names the
 * `from` field `_from` (its serializer maps it), a rendered object has `from`.
 */
export interface NetworkPolicy extends Obj {
  spec?: Omit<V1NetworkPolicySpec, 'ingress'> & {
    ingress?: (Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] })[];
  };
}

/** The type of each kind the chart renders. */
export interface Rendered {
  Certificate: Certificate;
  ClusterRole: V1ClusterRole;
  ClusterRoleBinding: V1ClusterRoleBinding;
  ConfigMap: V1ConfigMap;
  Deployment: V1Deployment;
  Issuer: Issuer;
  MutatingWebhookConfiguration: V1MutatingWebhookConfiguration;
  NetworkPolicy: NetworkPolicy;
  PodDisruptionBudget: V1PodDisruptionBudget;
  PrometheusRule: PrometheusRule;
  Role: V1Role;
  RoleBinding: V1RoleBinding;
  Service: V1Service;
  ServiceAccount: V1ServiceAccount;
  ServiceMonitor: ServiceMonitor;
  ValidatingWebhookConfiguration: V1ValidatingWebhookConfiguration;
}

export type Kind = keyof Rendered;

export interface RenderOptions {
  release?: string;
  namespace?: string;
  set?: string[];
  apiVersions?: string[];
}

/** `helm template`; returns the exit status, stderr and the parsed objects. */
export function template(opts: RenderOptions = {}): RunResult & { objects: Obj[] } {
  const args = ['template', opts.release ?? 'sdb-tls-guard', CHART, '--namespace', opts.namespace ?? 'sdb-tls-guard'];
  for (const s of opts.set ?? []) args.push('--set', s);
  for (const a of opts.apiVersions ?? []) args.push('--api-versions', a);
  const r = runHelm(args);
  const objects: Obj[] = [];
  if (r.status === 0) {
    for (const doc of parseAllDocuments(r.stdout)) {
      if (doc.errors.length > 0) throw new Error(`helm template printed bad YAML: ${String(doc.errors[0]?.message)}`);
      const v: unknown = doc.toJS();
      // A rendered document is a Kubernetes object, read as the types of Rendered by
      // kind (find, get).
      if (v !== null && v !== undefined) objects.push(v);
    }
  }
  return { ...r, objects };
}

/** `helm template` that must succeed. */
export function render(opts: RenderOptions = {}): Obj[] {
  const r = template(opts);
  if (r.status !== 0) throw new Error(`helm template failed (${String(r.status)}): ${r.stderr}`);
  return r.objects;
}

/** Whether `o` is of one of `kinds`, and so has that kind's type. */
export function isKind<K extends Kind>(o: Obj, ...kinds: K[]): o is Rendered[K] {
  return kinds.some((k) => o.kind === k);
}

export function find<K extends Kind>(objects: Obj[], kind: K, name?: string): Rendered[K] | undefined {
  return objects.find((o): o is Rendered[K] => isKind(o, kind) && (name === undefined || o.metadata?.name === name));
}

export function get<K extends Kind>(objects: Obj[], kind: K, name?: string): Rendered[K] {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`);
  return o;
}

export function kinds(objects: Obj[]): string[] {
  return objects.map((o) => `${String(o.kind)}/${String(o.metadata?.name)}`).sort();
}
