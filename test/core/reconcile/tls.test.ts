// The pure TLS computations: new spec.tls, Certificate drift, tls-volume, names, durations.
import t from 'tap';
import { certificatePatch, newTLS, durationMs, petSetPatch, restartOrder, tlsVolume, setCondition, nextStatus, pausedConditions, resumedConditions } from '../../../src/core/reconcile/index.js';
import { petSetNames } from '../../../src/core/names.js';
import type { PetSet } from '../../../src/api/types.js';
import { TLS_ON, database, certsFor, petSet, request, T0, iso } from './builders.js';

t.test('newTLS', async (t) => {
  const cases: { name: string; current: Parameters<typeof newTLS>[0]; req: Parameters<typeof newTLS>[1]; want: unknown }[] = [
    {
      name: 'add: issuerRef given (apiGroup defaulted), client given, server added',
      current: undefined,
      req: { issuerRef: { name: 'sdb-issuer', kind: 'Issuer' }, certificates: [{ alias: 'client', subject: { organizations: ['singlestore'] } }] },
      want: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-issuer' }, certificates: [{ alias: 'client', subject: { organizations: ['singlestore'] } }, { alias: 'server' }] },
    },
    {
      name: 'update: fields of the given alias replaced, others kept',
      current: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'a' }, certificates: [{ alias: 'server', duration: '2160h' }, { alias: 'client', subject: { organizations: ['x'] } }] },
      req: { certificates: [{ alias: 'server', emailAddresses: ['kubedb@appscode.com'] }] },
      want: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'a' }, certificates: [{ alias: 'server', duration: '2160h', emailAddresses: ['kubedb@appscode.com'] }, { alias: 'client', subject: { organizations: ['x'] } }] },
    },
    {
      name: 'change issuer: issuerRef replaced, certificates kept',
      current: TLS_ON,
      req: { issuerRef: { name: 'sdb-new-issuer', kind: 'ClusterIssuer', apiGroup: 'cert-manager.io' } },
      want: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'ClusterIssuer', name: 'sdb-new-issuer' }, certificates: TLS_ON.certificates },
    },
    {
      name: 'metrics-exporter added by alias; server and client ensured',
      current: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'a' } },
      req: { certificates: [{ alias: 'metrics-exporter' }] },
      want: { issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'a' }, certificates: [{ alias: 'metrics-exporter' }, { alias: 'server' }, { alias: 'client' }] },
    },
    { name: 'rotate keeps spec.tls', current: TLS_ON, req: { rotateCertificates: true }, want: TLS_ON },
    { name: 'remove → null', current: TLS_ON, req: { remove: true }, want: null },
  ];
  for (const c of cases) {
    const once = newTLS(c.current, c.req);
    t.strictSame(once, c.want, c.name);
    if (c.want && once) t.strictSame(newTLS(once, c.req), c.want, `${c.name} (idempotent)`);
  }
});

t.test('certificatePatch: no drift → undefined; cleared fields → null', async (t) => {
  const [server] = certsFor(TLS_ON);
  if (!server) throw new Error('certsFor made no Certificate');
  t.equal(certificatePatch(server, server), undefined);
  const withExtra = { ...server, spec: { ...server.spec, emailAddresses: ['a@b.c'] } };
  t.strictSame(certificatePatch(withExtra, server), { spec: { emailAddresses: null } });
  const noOwner = { ...server, metadata: { ...server.metadata, ownerReferences: [] } };
  t.strictSame(certificatePatch(noOwner, server), { metadata: { ownerReferences: server.metadata?.ownerReferences } });
});

t.test('tls-volume: projected Secrets with the file names SingleStore reads', async (t) => {
  t.strictSame(tlsVolume('sample-sdb', { certificates: [{ alias: 'server', secretName: 'my-server' }, { alias: 'client' }] }), {
    name: 'tls-volume',
    projected: {
      defaultMode: 0o440,
      sources: [
        { secret: { name: 'my-server', items: [{ key: 'ca.crt', path: 'ca.crt' }, { key: 'tls.crt', path: 'server.crt' }, { key: 'tls.key', path: 'server.key' }] } },
        { secret: { name: 'sample-sdb-client-cert', items: [{ key: 'tls.crt', path: 'client.crt' }, { key: 'tls.key', path: 'client.key' }] } },
      ],
    },
  });
});

t.test('petSetPatch adds to every container, is idempotent, and removes cleanly', async (t) => {
  const plain = petSet('sample-sdb-aggregator', 2, null);
  const withTLS = petSet('sample-sdb-aggregator', 2, TLS_ON);
  const spec = withTLS.spec?.template?.spec;
  if (!spec) throw new Error('the PetSet has no pod template spec');
  t.strictSame(spec.containers?.map((c) => c.volumeMounts), [
    [{ name: 'data', mountPath: '/var/lib/memsql' }, { name: 'tls-volume', mountPath: '/etc/memsql/certs' }],
    [{ name: 'tls-volume', mountPath: '/etc/memsql/certs' }],
  ]);
  t.strictSame(spec.volumes?.map((v) => v.name), ['data', 'tls-volume']);
  t.equal(petSetPatch(withTLS, 'sample-sdb', TLS_ON), undefined, 'already there');
  t.equal(petSetPatch(plain, 'sample-sdb', null), undefined, 'already absent');
  const removal = petSetPatch(withTLS, 'sample-sdb', null) as { spec: { template: { spec: PetSet['spec'] } } };
  t.strictSame(removal.spec.template.spec, plain.spec?.template?.spec);
});

t.test('PetSet names and restart order', async (t) => {
  const db = database(TLS_ON);
  t.strictSame(petSetNames(db).map((p) => p.name), ['sample-sdb-aggregator', 'sample-sdb-leaf']);
  t.strictSame(restartOrder(db, []), ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-leaf-0']);
  const suffixed = { ...db, spec: { ...db.spec, topology: { aggregator: { replicas: 1, suffix: 'a' }, leaf: { replicas: 2, suffix: 'l' } } } };
  t.strictSame(restartOrder(suffixed, []), ['sample-sdb-a-aggregator-0', 'sample-sdb-l-leaf-0', 'sample-sdb-l-leaf-1']);
  const standalone = { ...db, spec: { ...db.spec, topology: undefined } };
  t.strictSame(restartOrder(standalone, []), ['sample-sdb-0']);
  t.strictSame(restartOrder(db, [petSet('sample-sdb-aggregator', 3, null), petSet('sample-sdb-leaf', 1, null)]), [
    'sample-sdb-aggregator-0',
    'sample-sdb-aggregator-1',
    'sample-sdb-aggregator-2',
    'sample-sdb-leaf-0',
  ]);
});

t.test('durationMs', async (t) => {
  const cases: [string, number | undefined][] = [
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['2.5s', 2500],
    ['90s', 90_000],
    ['0', 0],
    ['', undefined],
    ['10', undefined],
    ['1d', undefined],
    ['m', undefined],
  ];
  for (const [s, want] of cases) t.equal(durationMs(s), want, JSON.stringify(s));
});

t.test('conditions keep lastTransitionTime while status is unchanged', async (t) => {
  const a = setCondition([], { type: 'X' }, iso(T0));
  const b = setCondition(a, { type: 'X', message: 'again' }, iso(T0 + 5000));
  t.equal(b[0]?.lastTransitionTime, iso(T0));
  t.equal(b[0]?.message, 'again');
  const c = setCondition(b, { type: 'X', status: 'False' }, iso(T0 + 9000));
  t.equal(c[0]?.lastTransitionTime, iso(T0 + 9000));
});

t.test('nextStatus sets phase, condition and observedGeneration', async (t) => {
  const r = request({}, { phase: 'Pending', conds: [] });
  t.strictSame(nextStatus(r, { phase: 'Progressing', condition: { type: 'ReconfigureTLS', message: 'm' } }, iso(T0)), {
    phase: 'Progressing',
    conditions: [{ type: 'ReconfigureTLS', status: 'True', observedGeneration: 1, reason: 'ReconfigureTLS', message: 'm', lastTransitionTime: iso(T0) }],
    observedGeneration: 1,
  });
});

t.test('pause/resume only touch our own Paused condition', async (t) => {
  const ours = 'SinglestoreOpsRequest demo/a';
  const plain = database(TLS_ON);
  const paused = pausedConditions(plain, ours, 'm', iso(T0));
  if (!paused) throw new Error('pausedConditions left an unpaused database as it was');
  t.strictSame(paused.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'AllReplicasReady'], ['Paused', 'True', ours]]);
  const pausedDb = { ...plain, status: { ...plain.status, conditions: paused } };
  t.equal(pausedConditions(pausedDb, ours, 'm', iso(T0)), undefined, 'already paused by us');
  t.strictSame(resumedConditions(pausedDb, ours)?.map((c) => c.type), ['Ready']);
  t.equal(resumedConditions(pausedDb, 'SinglestoreOpsRequest demo/b'), undefined, 'someone else’s pause is left alone');
  t.equal(resumedConditions(plain, ours), undefined);
});

t.test("issue 12: Certificates carry KubeDB's labels, component=database included; a missing one is patched in", async (t) => {
  const [server] = certsFor(TLS_ON);
  if (!server) throw new Error('certsFor made no Certificate');
  t.strictSame(server.metadata?.labels, {
    'app.kubernetes.io/name': 'singlestores.kubedb.com',
    'app.kubernetes.io/instance': 'sample-sdb',
    'app.kubernetes.io/managed-by': 'kubedb.com',
    'app.kubernetes.io/component': 'database',
  });
  const old = structuredClone(server);
  old.metadata = { ...old.metadata, labels: { 'app.kubernetes.io/name': 'singlestores.kubedb.com', 'app.kubernetes.io/instance': 'sample-sdb', 'app.kubernetes.io/managed-by': 'kubedb.com', team: 'db' } };
  t.strictSame(certificatePatch(old, server), { metadata: { labels: { 'app.kubernetes.io/component': 'database' } } }, 'only the missing label; others left alone');
});

t.test('issue 12: newTLS with the database name writes the derived secretName for server and client, keeps a given one', async (t) => {
  t.strictSame(newTLS(undefined, { issuerRef: { kind: 'Issuer', name: 'ca' } }, 'sample-sdb'), {
    issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'ca' },
    certificates: [
      { alias: 'server', secretName: 'sample-sdb-server-cert' },
      { alias: 'client', secretName: 'sample-sdb-client-cert' },
    ],
  });
  const given = newTLS({ issuerRef: { kind: 'Issuer', name: 'ca' }, certificates: [{ alias: 'client', secretName: 'mine' }, { alias: 'metrics-exporter' }] }, { rotateCertificates: true }, 'sample-sdb');
  t.strictSame(given?.certificates, [{ alias: 'client', secretName: 'mine' }, { alias: 'metrics-exporter' }, { alias: 'server', secretName: 'sample-sdb-server-cert' }], 'metrics-exporter is not defaulted, as in KubeDB');
  if (!given) throw new Error('newTLS removed spec.tls');
  t.strictSame(newTLS(given, { rotateCertificates: true }, 'sample-sdb'), given, 'idempotent');
});
