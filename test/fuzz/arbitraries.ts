// fast-check generators of admission input: random JSON, real reviews (the fixtures in
// test/fixtures/admission and the docs' worked requests) with random mutations, and
// SinglestoreOpsRequest-shaped objects whose leaves are drawn from valid values, edge
// values and random JSON.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse, parseAllDocuments } from 'yaml';

const HERE = dirname(fileURLToPath(import.meta.url));

/** test/fixtures, from test/fuzz (tsx/tap) or dist/test/fuzz (compiled campaign). */
function fixturesDir(): string {
  for (const up of ['..', join('..', '..', '..', 'test')]) {
    const d = join(HERE, up, 'fixtures');
    try {
      readdirSync(d);
      return d;
    } catch {
      // try the next
    }
  }
  throw new Error('fuzz: cannot find test/fixtures');
}

export const FIXTURES = fixturesDir();

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The worked requests (add-tls, change-issuer, remove, rotate, update). */
export function workedObjects(): Rec[] {
  const dir = join(FIXTURES, 'worked');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('state'))
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Rec);
}

/** The worked request named `name`. */
export function workedObject(name: string): Rec {
  const o = workedObjects().find((w) => isRec(w['metadata']) && w['metadata']['name'] === name);
  if (!o) throw new Error(`no worked request named ${name}`);
  return o;
}

/** Every Singlestore / Issuer of the worked state files (for a view). */
export function stateObjects(file: 'state.yaml' | 'state-tls.yaml'): unknown[] {
  return parseAllDocuments(readFileSync(join(FIXTURES, 'worked', file), 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined);
}

/** state-tls.yaml plus two unfinished requests on sample-sdb (one ReconfigureTLS, one Restart). */
export function busyStateObjects(): unknown[] {
  const req = (name: string, type: string, phase: string) => ({
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name, namespace: 'demo' },
    spec: { type, databaseRef: { name: 'sample-sdb' }, ...(type === 'ReconfigureTLS' ? { tls: { rotateCertificates: true } } : {}) },
    status: { phase },
  });
  return [...stateObjects('state-tls.yaml'), req('sdbops-running', 'ReconfigureTLS', 'Progressing'), req('sdbops-restart', 'Restart', 'Pending')];
}

export function wrapReview(object: unknown, o: { uid?: string; operation?: string; oldObject?: unknown; apiVersion?: string } = {}): Rec {
  const gvk = { group: 'ops.kubedb.com', version: 'v1alpha1', kind: 'SinglestoreOpsRequest' };
  const meta = isRec(object) && isRec(object['metadata']) ? object['metadata'] : {};
  return {
    apiVersion: o.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: o.uid ?? 'fuzz-0000-4000-8000-000000000001',
      kind: gvk,
      resource: { group: 'ops.kubedb.com', version: 'v1alpha1', resource: 'singlestoreopsrequests' },
      requestKind: gvk,
      name: typeof meta['name'] === 'string' ? meta['name'] : undefined,
      namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : 'demo',
      operation: o.operation ?? 'CREATE',
      userInfo: { username: 'fuzz', groups: ['system:authenticated'] },
      object,
      oldObject: o.oldObject ?? null,
      dryRun: false,
    },
  };
}

/** Real review bodies: the admission fixtures and each worked request as a CREATE. */
export function realReviews(): Rec[] {
  const dir = join(FIXTURES, 'admission');
  const fixtures = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Rec);
  return [...fixtures, ...workedObjects().map((o, i) => wrapReview(o, { uid: `worked-${i}` }))];
}

// ---------------------------------------------------------------- mutation of JSON trees

type Path = (string | number)[];

function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (isRec(v)) for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function getAt(root: unknown, p: Path): unknown {
  let cur = root;
  for (const k of p) cur = Array.isArray(cur) ? cur[k as number] : isRec(cur) ? cur[k as string] : undefined;
  return cur;
}

export type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'addKey'; at: number; key: string; value: unknown }
  | { kind: 'duplicate'; at: number };

/** Leaves that make rules and decoders work: wrong types, edge strings, enum values. */
export const edgeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -1, 1.5, 1e308, '', ' ', 'x'.repeat(300), '💥', '\u0000', '-', '*', '*.',
    'ReconfigureTLS', 'Restart', 'IfReady', 'Always', 'Issuer', 'ClusterIssuer', 'cert-manager.io',
    'server', 'client', 'metrics-exporter', 'PKCS1', 'PKCS8', '10m', '0s', '-5m', '1h', '2160h', '90m', '5m', '1h30m',
    'sample-sdb', 'sdb-issuer', 'sdb-new-issuer', 'demo', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT',
    'admission.k8s.io/v1', 'admission.k8s.io/v1beta1', 'AdmissionReview', 'SinglestoreOpsRequest', 'ops.kubedb.com',
    '__proto__', 'constructor', 'toString', '127.0.0.1', '::1', 'https://example.com/x', 'a@b.c',
    [], {}, [null], { '': null }, { __proto__: null },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: edgeValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('addKey' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom('tls', 'remove', 'rotateCertificates', 'issuerRef', 'certificates', 'apply', 'timeout', 'uid', 'kind', 'operation', 'object', 'oldObject', 'metadata', 'status', 'spec', '__proto__'), fc.string({ maxLength: 8 })), value: edgeValue }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
);

/** Apply mutations to a copy; `at` picks a node (modulo the node count) of the current tree. */
export function mutate(doc: unknown, ms: readonly Mutation[]): unknown {
  let root = clone(doc);
  for (const m of ms) {
    const all = paths(root);
    const p = all[m.at % all.length] ?? [];
    const key = p.at(-1);
    if (key === undefined) {
      if (m.kind === 'replace') root = m.value;
      continue;
    }
    const parent = getAt(root, p.slice(0, -1));
    if (m.kind === 'replace') {
      if (Array.isArray(parent)) parent[key as number] = clone(m.value ?? null);
      else if (isRec(parent)) parent[key as string] = m.value === undefined ? null : clone(m.value);
    } else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else if (isRec(parent)) Reflect.deleteProperty(parent, key);
    } else if (m.kind === 'duplicate') {
      if (Array.isArray(parent)) parent.push(clone(parent[key as number] ?? null));
    } else {
      const target = getAt(root, p);
      if (isRec(target)) Object.defineProperty(target, m.key, { value: m.value === undefined ? null : clone(m.value), enumerable: true, writable: true, configurable: true });
      else if (Array.isArray(target)) target.push(m.value === undefined ? null : clone(m.value));
    }
  }
  return root;
}

/** A real review with 1–4 mutations anywhere in it. */
export const mutatedReview = (reviews: readonly Rec[]): fc.Arbitrary<unknown> =>
  fc.tuple(fc.constantFrom(...reviews), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([r, ms]) => mutate(r, ms));

/** A real review whose `request.object` (only) got 1–4 mutations: the envelope still decodes. */
export const objectMutatedReview = (reviews: readonly Rec[]): fc.Arbitrary<Rec> =>
  fc.tuple(fc.constantFrom(...reviews.filter((r) => isRec((r['request'] as Rec | undefined)?.['object']))), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([r, ms]) => {
    const out = clone(r);
    const req = out['request'] as Rec;
    req['object'] = mutate(req['object'], ms);
    return out;
  });

// ---------------------------------------------------------------- structured objects

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 3 });
const leaf = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: edgeValue });

const dnsName = fc.oneof(fc.constantFrom('sample-sdb', 'sdb-issuer', 'sdb-new-issuer', 'missing-issuer', 'a', 'x.y.z', 'Bad_Name', '-x', 'x-', '*.example.com'), fc.domain());
const issuerRef = fc.record(
  {
    name: leaf(dnsName),
    kind: leaf(fc.constantFrom('Issuer', 'ClusterIssuer', 'Vault')),
    apiGroup: leaf(fc.constantFrom('cert-manager.io', 'cert-manager.io', 'example.com')),
  },
  { requiredKeys: ['name', 'kind'] },
);
const duration = fc.constantFrom('90m', '2160h', '1h30m', '30m', '5m', '4m', '1h', '0s', 'soon', '10', '-1h', '1.5h', '');
const certificate = fc.record(
  {
    alias: leaf(fc.constantFrom('server', 'client', 'metrics-exporter', 'srv')),
    issuerRef,
    secretName: leaf(dnsName),
    subject: leaf(fc.record({ organizations: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }) }, { requiredKeys: [] })),
    duration: leaf(duration),
    renewBefore: leaf(duration),
    dnsNames: leaf(fc.array(dnsName, { maxLength: 3 })),
    ipAddresses: leaf(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('999.1.1.1', 'localhost')), { maxLength: 3 })),
    uris: leaf(fc.array(fc.oneof(fc.webUrl(), fc.constantFrom('not a uri', '/relative')), { maxLength: 2 })),
    emailAddresses: leaf(fc.array(fc.oneof(fc.emailAddress(), fc.constantFrom('nobody', '@x')), { maxLength: 2 })),
    privateKey: leaf(fc.record({ encoding: leaf(fc.constantFrom('PKCS1', 'PKCS8')) }, { requiredKeys: [] })),
  },
  { requiredKeys: ['alias'] },
);
const tls = fc.record(
  {
    issuerRef: leaf(issuerRef),
    certificates: leaf(fc.array(certificate, { maxLength: 4 })),
    remove: leaf(fc.boolean()),
    rotateCertificates: leaf(fc.boolean()),
  },
  { requiredKeys: [] },
);

/** A SinglestoreOpsRequest-shaped object; any leaf may be wrong. */
export const opsRequestObject: fc.Arbitrary<Rec> = fc
  .record({
    name: leaf(fc.constantFrom('sdbops-a', 'sdbops-b', 'x')),
    namespace: maybe(fc.constantFrom('demo', 'other')),
    type: leaf(fc.constantFrom('ReconfigureTLS', 'ReconfigureTLS', 'Restart', 'UpdateVersion')),
    db: leaf(fc.constantFrom('sample-sdb', 'sample-sdb', 'missing-db', 'Bad_DB')),
    apply: maybe(leaf(fc.constantFrom('IfReady', 'Always'))),
    timeout: maybe(leaf(fc.constantFrom('10m', '5m', '0s', 'soon', '1h'))),
    tls: maybe(leaf(tls)),
    extraSpec: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), edgeValue, { maxKeys: 2 }), { nil: undefined, freq: 10 }),
  })
  .map((r) => {
    const spec: Rec = { ...(r.extraSpec ?? {}), type: r.type, databaseRef: { name: r.db } };
    if (r.apply !== undefined) spec['apply'] = r.apply;
    if (r.timeout !== undefined) spec['timeout'] = r.timeout;
    if (r.tls !== undefined) spec['tls'] = r.tls;
    return {
      apiVersion: 'ops.kubedb.com/v1alpha1',
      kind: 'SinglestoreOpsRequest',
      metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) },
      spec,
    };
  });

/** An envelope that decodes around a structured object, with a random operation. */
export const structuredReview: fc.Arbitrary<Rec> = fc
  .tuple(opsRequestObject, fc.constantFrom('CREATE', 'CREATE', 'CREATE', 'UPDATE', 'DELETE'), fc.option(opsRequestObject, { nil: undefined }), fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'), fc.uuid())
  .map(([object, operation, old, apiVersion, uid]) =>
    wrapReview(operation === 'DELETE' ? null : object, { uid, operation, apiVersion, oldObject: operation === 'CREATE' ? null : (old ?? object) }),
  );

// ---------------------------------------------------------------- hostile values (issue 16)

/** A value far over every bound (docs/security.md). */
export const HUGE = 'x'.repeat(70_000);

/** Huge and hostile strings: newlines, ANSI and OSC escapes, bidi overrides, quotes, surrogates, NULs. */
export const HOSTILE_STRINGS: readonly string[] = [
  HUGE,
  'line\n'.repeat(14_000),
  '\u001b[31mred\u001b[0m\u001b]0;title\u0007 '.repeat(2_000),
  `\u202e${'y'.repeat(70_000)}`,
  '"\\'.repeat(35_000),
  '💥'.repeat(35_000),
  '\ud800'.repeat(5_000),
  '\u0000'.repeat(70_000),
  'a '.repeat(35_000),
  'Bad_Name\r\n\u001b[2J\u0085\u2028',
  `sample-sdb${'\n'.repeat(3)}`,
];

/** Stands for a 100,000-deep array; `spliceDeep` puts it into JSON text (JSON.stringify would recurse). */
export const DEEP = '__DEEP_ARRAY__';
const DEEP_JSON = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
export const spliceDeep = (json: string): string => json.split(JSON.stringify(DEEP)).join(DEEP_JSON);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }), fc.integer({ min: 300, max: 70_000 }))
      .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
  },
);

/** A hostile string, a deep array (DEEP), or long arrays of bad or long strings. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constant(DEEP) },
  { weight: 1, arbitrary: fc.constantFrom(3_000, 500).map((n) => Array.from({ length: n }, (_, i) => `Bad_Name_${i}!`)) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 40 }, () => HUGE.slice(0, 2_000))) },
);

export type JsonPath = (string | number)[];

/** Set `value` at `path` in `root`, making the objects and arrays on the way. */
export function setAt(root: Rec, path: JsonPath, value: unknown): void {
  const last = path.at(-1);
  if (last === undefined) throw new Error('setAt: an empty path');
  let cur: unknown = root;
  for (const [i, k] of path.slice(0, -1).entries()) {
    const holder = cur as Record<string | number, unknown>;
    if (!isRec(holder[k]) && !Array.isArray(holder[k])) holder[k] = typeof path[i + 1] === 'number' ? [] : {};
    cur = holder[k];
  }
  (cur as Record<string | number, unknown>)[last] = value;
}

/** Fields of a SinglestoreOpsRequest a rule reads (relative to the object). */
export const OBJECT_FIELDS: readonly JsonPath[] = (() => {
  const cert = ['spec', 'tls', 'certificates', 0];
  return [
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'generateName'],
    ['spec', 'type'],
    ['spec', 'databaseRef', 'name'],
    ['spec', 'apply'],
    ['spec', 'timeout'],
    ['spec', 'tls', 'issuerRef', 'name'],
    ['spec', 'tls', 'issuerRef', 'kind'],
    ['spec', 'tls', 'issuerRef', 'apiGroup'],
    [...cert, 'alias'],
    [...cert, 'secretName'],
    [...cert, 'issuerRef', 'name'],
    [...cert, 'duration'],
    [...cert, 'renewBefore'],
    [...cert, 'dnsNames'],
    [...cert, 'dnsNames', 0],
    [...cert, 'ipAddresses', 0],
    [...cert, 'uris', 0],
    [...cert, 'emailAddresses', 0],
    [...cert, 'privateKey', 'encoding'],
    [...cert, 'subject', 'organizations', 0],
  ];
})();
