// `sdb-tls-guard check`: the webhook's verdicts before apply (SPEC 4). This file wires
// flags, loading, the view and output around the engine's decide(); it holds no rule.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GVK } from '../api/types.js';
import { decide, DEFAULT_ENGINE_OPTIONS } from '../core/engine.js';
import { formatFieldError } from '../core/field/errors.js';
import { boundText } from '../core/field/quote.js';
import type { EngineOptions } from '../core/engine.js';
import type { Policy } from '../core/policy.js';
import { parsePolicy } from '../core/policy-load.js';
import { CLUSTER_RULE_IDS, type RuleId } from '../core/rules/table.js';
import type { ClusterView } from '../core/view.js';
import { fetchClusterState, LiveError } from './live.js';
import { loadSources } from './loader.js';
import type { LoadedObject } from './loader.js';
import { formatJson, formatText } from './output.js';
import type { Checked, NotEvaluatedGroup } from './output.js';
import { buildView, isKind, manifestName, namespacesOf, withNamespace } from './state.js';
import { namespaceOf } from '../core/meta.js';

export interface CheckIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Exit statuses (SPEC 4). */
export const EXIT_ALLOWED = 0;
export const EXIT_DENIED = 1;
export const EXIT_TROUBLE = 2;

export const CHECK_USAGE = `Usage: sdb-tls-guard check [flags] PATH|-...

Check SinglestoreOpsRequest manifests the way the admission webhook would on CREATE:
defaults applied (the patch is shown), then every rule.

Inputs: files, directories (recursive: *.yaml, *.yml, *.json), or - for stdin.
Multi-document YAML, JSON, kind: List and kubectl's *List output are read.

Flags:
  --state PATH          cluster state: files/directories in the same formats, e.g. the
                        output of kubectl get singlestores,singlestoreopsrequests,issuers,
                        clusterissuers -A -o yaml (repeatable)
  --cluster             read the state live from the cluster (read-only list calls)
  --kubeconfig FILE     kubeconfig for --cluster (default: $KUBECONFIG, ~/.kube/config)
  --context NAME        kubeconfig context for --cluster
  --policy FILE         policy file (SPEC 3c rules)
  -o, --output FORMAT   text (default) or json
  --default-timeout D   spec.timeout written by the default-timeout default (default 10m)
  -h, --help            show this help

Without --state or --cluster, cluster rules are reported as not evaluated.
Exit status: 0 all allowed, 1 at least one denied, 2 the check could not be done.
`;

/** A problem that stops the command: exit 2 with these messages on stderr. */
class Trouble extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join('\n'));
  }
}

interface Flags {
  state: string[];
  cluster: boolean;
  kubeconfig?: string;
  context?: string;
  policy?: string;
  output: 'text' | 'json';
  defaultTimeout?: string;
  help: boolean;
  inputs: string[];
}

function single(values: string[] | undefined, flag: string): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new Trouble([`${flag} given ${values.length} times; give it once`]);
  return values[0];
}

export function parseCheckArgs(argv: readonly string[]): Flags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        state: { type: 'string', multiple: true },
        cluster: { type: 'boolean' },
        kubeconfig: { type: 'string', multiple: true },
        context: { type: 'string', multiple: true },
        policy: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o', multiple: true },
        'default-timeout': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new Trouble([(e as Error).message]);
  }
  const v = parsed.values;
  const output = single(v.output, '--output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw new Trouble([`--output ${JSON.stringify(output)}: supported values: "text", "json"`]);
  const flags: Flags = {
    state: v.state ?? [],
    cluster: v.cluster === true,
    output,
    help: v.help === true,
    inputs: parsed.positionals,
  };
  const kubeconfig = single(v.kubeconfig, '--kubeconfig');
  const context = single(v.context, '--context');
  const policy = single(v.policy, '--policy');
  const defaultTimeout = single(v['default-timeout'], '--default-timeout');
  if (kubeconfig !== undefined) flags.kubeconfig = kubeconfig;
  if (context !== undefined) flags.context = context;
  if (policy !== undefined) flags.policy = policy;
  if (defaultTimeout !== undefined) flags.defaultTimeout = defaultTimeout;
  for (const [name, value] of [['--state', flags.state.find((s) => s === '')], ['--policy', policy], ['--kubeconfig', kubeconfig], ['--context', context], ['--default-timeout', defaultTimeout]] as const) {
    if (value === '') throw new Trouble([`${name} needs a non-empty value`]);
  }
  if (!flags.cluster && (kubeconfig !== undefined || context !== undefined)) {
    throw new Trouble([`${kubeconfig !== undefined ? '--kubeconfig' : '--context'} is only used with --cluster`]);
  }
  if (flags.state.includes('-')) throw new Trouble(['--state -: stdin is for inputs; give --state a file or directory']);
  return flags;
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const CLUSTER_RULES: ReadonlySet<RuleId> = new Set(CLUSTER_RULE_IDS);

/**
 * A message on stderr: control characters escaped, at most STDERR_LINE_MAX characters
 * (they may quote a manifest; paths given on the command line are kept whole up to that).
 */
const STDERR_LINE_MAX = 4096;
const stderrLine = (m: string): string => boundText(m, STDERR_LINE_MAX, STDERR_LINE_MAX);

/**
 * Run `check` with `argv` = the arguments after `check`. Never throws and never exits:
 * returns the exit status (0 allowed, 1 denied, 2 could not check).
 */
export async function runCheck(argv: string[], io: CheckIO): Promise<number> {
  try {
    return await check(argv, io);
  } catch (e) {
    if (e instanceof Trouble) {
      await write(io.stderr, e.messages.map((m) => `error: ${stderrLine(m)}\n`).join(''));
      return EXIT_TROUBLE;
    }
    await write(io.stderr, `error: check failed unexpectedly: ${((e instanceof Error ? e.stack : undefined) ?? String(e)).slice(0, STDERR_LINE_MAX)}\n`);
    return EXIT_TROUBLE;
  }
}

async function check(argv: string[], io: CheckIO): Promise<number> {
  let flags: Flags;
  try {
    flags = parseCheckArgs(argv);
  } catch (e) {
    if (e instanceof Trouble) throw new Trouble([...e.messages, `run "sdb-tls-guard check --help" for usage`]);
    throw e;
  }
  if (flags.help) {
    await write(io.stdout, CHECK_USAGE);
    return EXIT_ALLOWED;
  }
  if (flags.inputs.length === 0) throw new Trouble(['no inputs: give files, directories or - for stdin', `run "sdb-tls-guard check --help" for usage`]);

  // 1. Read everything first; report all problems at once, nothing half-done.
  const problems: string[] = [];
  const notes: string[] = [];
  let policy: Policy | undefined;
  if (flags.policy !== undefined) {
    try {
      const text = await readFile(path.resolve(io.cwd, flags.policy), 'utf8');
      policy = parsePolicy(text, flags.policy);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT') problems.push(`--policy ${flags.policy}: cannot read: no such file or directory`);
      else if (code === 'EACCES' || code === 'EISDIR') problems.push(`--policy ${flags.policy}: cannot read: ${code === 'EACCES' ? 'permission denied' : 'is a directory'}`);
      else problems.push(`bad policy: ${(e as Error).message}`);
    }
  }
  const readStdin = (): Promise<string> => readAll(io.stdin);
  const inputs = await loadSources(flags.inputs, { cwd: io.cwd, readStdin });
  const state = await loadSources(flags.state, { cwd: io.cwd, readStdin });
  problems.push(...inputs.errors, ...state.errors.map((m) => `--state ${m}`));
  notes.push(...inputs.notes, ...state.notes.map((m) => `--state ${m}`));
  const options: EngineOptions = { defaultTimeout: flags.defaultTimeout ?? DEFAULT_ENGINE_OPTIONS.defaultTimeout };
  if (flags.defaultTimeout !== undefined) {
    const bad = defaultTimeoutProblem(options);
    if (bad !== undefined) problems.push(`--default-timeout ${flags.defaultTimeout}: ${bad}`);
  }
  if (problems.length > 0) throw new Trouble(problems);

  // 2. Pick the requests; everything else only joins the view.
  const requests: LoadedObject[] = [];
  for (const lo of inputs.objects) {
    if (isKind(lo.object, GVK.opsRequest.kind)) requests.push({ source: lo.source, object: withNamespace(lo.object) });
    else if (lo.object.kind === GVK.opsRequest.kind) notes.push(`${lo.source}: ${lo.object.kind} of apiVersion ${String(lo.object.apiVersion)} is not ${GVK.opsRequest.group}: skipped`);
  }

  const firstSeen = new Map<string, string>();
  for (const req of requests) {
    if (manifestName(req.object) === '') continue; // nameless: the schema rule reports it
    const key = `${namespaceOf(req.object)}/${manifestName(req.object)}`;
    const prev = firstSeen.get(key);
    if (prev !== undefined) notes.push(`${req.source}: ${GVK.opsRequest.kind} ${key} also appears in ${prev}; the last one is what the cluster will hold`);
    else firstSeen.set(key, req.source);
  }

  // 3. The view: --cluster, then --state, then the inputs on top.
  let view: ClusterView | undefined;
  const hasState = flags.state.length > 0 || flags.cluster;
  if (hasState) {
    const stateObjects: Record<string, unknown>[] = [];
    if (flags.cluster) {
      try {
        const live = await fetchClusterState({
          ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
          ...(flags.context !== undefined ? { context: flags.context } : {}),
          env: io.env,
          cwd: io.cwd,
          namespaces: namespacesOf(inputs.objects.map((o) => o.object)),
        });
        stateObjects.push(...live.objects);
        notes.push(...live.notes);
      } catch (e) {
        if (e instanceof LiveError) throw new Trouble([e.message]);
        throw new Trouble([`--cluster: ${(e as Error).message}`]);
      }
    }
    stateObjects.push(...state.objects.map((o) => o.object));
    view = buildView(stateObjects, inputs.objects.map((o) => o.object));
  }

  // 4. Decide each request exactly as the webhook does for a CREATE.
  const results: Checked[] = [];
  for (const req of requests) {
    const decision = decide({ object: req.object, operation: 'CREATE', ...(view ? { view } : {}), ...(policy ? { policy } : {}), options });
    const r = decision.result;
    const notEvaluated: RuleId[] = [];
    const groups = new Map<string, NotEvaluatedGroup>();
    for (const ne of r.notEvaluated) {
      if (!notEvaluated.includes(ne.rule)) notEvaluated.push(ne.rule);
      const noState = view === undefined && CLUSTER_RULES.has(ne.rule);
      const key = noState ? '\u0000no-state' : ne.reason;
      let g = groups.get(key);
      if (!g) {
        g = { reason: ne.reason, rules: [], noState };
        groups.set(key, g);
      }
      if (!g.rules.includes(ne.rule)) g.rules.push(ne.rule);
    }
    results.push({
      source: req.source,
      namespace: namespaceOf(req.object),
      name: manifestName(req.object),
      allowed: r.errors.length === 0,
      errors: r.errors,
      warnings: r.warnings,
      patch: decision.patch,
      notEvaluated,
      notEvaluatedGroups: [...groups.values()],
    });
  }
  if (requests.length === 0) notes.push(`no ${GVK.opsRequest.kind} found in ${flags.inputs.join(', ')}: nothing to check`);

  await write(io.stderr, notes.map((n) => `note: ${stderrLine(n)}\n`).join(''));
  if (flags.output === 'json') await write(io.stdout, formatJson(results));
  else await write(io.stdout, formatText(results));
  return results.some((r) => !r.allowed) ? EXIT_DENIED : EXIT_ALLOWED;
}

/**
 * Validate --default-timeout with the engine's own `timeout` rule (no second copy of
 * it): default a probe request with it and see whether the rule objects.
 */
function defaultTimeoutProblem(options: EngineOptions): string | undefined {
  const probe = {
    apiVersion: `${GVK.opsRequest.group}/${GVK.opsRequest.version}`,
    kind: GVK.opsRequest.kind,
    metadata: { name: 'probe', namespace: 'default' },
    spec: { type: 'ReconfigureTLS', databaseRef: { name: 'probe' }, tls: { rotateCertificates: true } },
  };
  const d = decide({ object: probe, operation: 'CREATE', options });
  const f = d.result.errors.find((e) => e.rule === 'timeout' || e.field === 'spec.timeout');
  return f === undefined ? undefined : formatFieldError(f);
}

