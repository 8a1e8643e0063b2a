// Every transition of SPEC section 5 as a named table case of the pure planner.
import t from 'tap';
import { plan, nextStatus, restartOrder, replicasOf, KUBEDB_DEFAULT_REPLICAS, type Plan, type Observed, type Action, type PreflightInput } from '../../../src/core/reconcile/index.js';
import { pauseReason } from '../../../src/core/names.js';
import type { Finding } from '../../../src/core/findings.js';
import { T0, MIN, TLS_ON, request, database, cert, certsFor, petSet, pod, observed, iso } from './builders.js';

const REQ = 'SinglestoreOpsRequest demo/sdbops-x';
const PRE_CERT = ['ReconfigureTLS', 'DatabasePauseSucceeded'];
const PRE_PS = [...PRE_CERT, 'CertificateSynced'];
const PRE_RESTART = [...PRE_PS, 'UpdatePetSets'];
const PODS = ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-leaf-0'] as const;
const RESTARTED = PODS.flatMap((p) => [`GetPod--${p}`, `EvictPod--${p}`, `CheckPodReady--${p}`]);
const PRE_UPDATE = [...PRE_RESTART, ...RESTARTED, 'RestartNodes'];
const PRE_RESUME = [...PRE_UPDATE, 'UpdateDatabase'];
const PRE_SUCCESS = [...PRE_RESUME, 'DatabaseResumeSucceeded'];
const EVICTED_MSG = Object.fromEntries(PODS.map((p, i) => [`EvictPod--${p}`, `Successfully evicted pod demo/${p} (uid old-${i})`]));

/** TLS_ON as KubeDB's defaulting leaves it: the derived secretName on server and client. */
const TLS_DEFAULTED: typeof TLS_ON = {
  ...TLS_ON,
  certificates: TLS_ON.certificates?.map((c) => {
    if (c.alias === undefined) throw new Error('a certificate of TLS_ON has no alias');
    return { ...c, secretName: `sample-sdb-${c.alias}-cert` };
  }),
};
const serverCert = (o = {}) => cert('sample-sdb-server-cert', o);
const clientCert = (o = {}) => cert('sample-sdb-client-cert', o);
const petSets = (tls: typeof TLS_ON | null, o = {}) => [petSet('sample-sdb-aggregator', 2, tls, o), petSet('sample-sdb-leaf', 1, tls, o)];
const newPods = () => PODS.map((p, i) => pod(p, `new-${i}`));
const act = (p: Plan) => {
  if (p.type !== 'act') throw new Error(`expected act, got ${JSON.stringify(p)}`);
  return p;
};
const kinds = (p: Plan) => act(p).actions.map((a: Action) => `${a.kind}:${'name' in a ? a.name : a.kind === 'createCertificate' ? String(a.certificate.metadata?.name) : ''}`);
const now = T0 + 1000;
/** A Progressing wait is woken by watch events; its timer only makes spec.timeout (10m
 *  from the last transition, T0) fire: 1 ms past it. */
const UNTIL_TIMEOUT = 10 * MIN - (now - T0) + 1;

interface Case {
  name: string;
  obs: Observed;
  at?: number;
  preflight?: (i: PreflightInput) => Finding[];
  want: unknown;
  view?: (p: Plan) => unknown;
}

const summary = (p: Plan) =>
  p.type === 'act'
    ? { type: 'act', step: p.step, actions: kinds(p), phase: p.status?.phase, condition: p.status?.condition?.type }
    : p.type === 'wait'
      ? { type: 'wait', step: p.step, requeueAfterMs: p.requeueAfterMs }
      : { type: 'done' };

const cases: Case[] = [
  {
    name: 'phase "" → Pending',
    obs: observed({ request: request({ rotateCertificates: true }, { phase: '' }) }),
    want: { type: 'act', step: 'Pending', actions: [], phase: 'Pending', condition: undefined },
  },
  {
    name: 'an older Pending request is Skipped, naming the newer one',
    obs: observed({
      request: request({ rotateCertificates: true }, { phase: 'Pending', name: 'sdbops-old', created: T0 - 20 * MIN }),
      siblings: [request({ remove: true }, { phase: 'Pending', name: 'sdbops-new', created: T0 - 5 * MIN })],
    }),
    want: { type: 'act', step: 'Skipped', actions: [], phase: 'Skipped', condition: 'Skipped', message: 'Skipped in favour of the newer SinglestoreOpsRequest demo/sdbops-new' },
    view: (p) => ({ ...summary(p), message: act(p).status?.condition?.message }),
  },
  {
    name: 'same creationTimestamp: the later name is newer',
    obs: observed({
      request: request({ rotateCertificates: true }, { phase: 'Pending', name: 'sdbops-a', created: T0 }),
      siblings: [request({ rotateCertificates: true }, { phase: 'Pending', name: 'sdbops-b', created: T0 })],
    }),
    want: { type: 'act', step: 'Skipped', actions: [], phase: 'Skipped', condition: 'Skipped' },
  },
  {
    name: 'waits while another request (any type) of the database is Progressing',
    obs: observed({
      request: request({ rotateCertificates: true }, { phase: 'Pending' }),
      siblings: [{ ...request({}, { name: 'sdbops-restart', phase: 'Progressing' }), spec: { type: 'Restart', databaseRef: { name: 'sample-sdb' } } }],
    }),
    want: { type: 'wait', step: 'Pending', requeueAfterMs: 10000 },
  },
  {
    name: 'pre-flight failure → Failed with the finding as message, database untouched',
    obs: observed({ request: request({ remove: true }, { phase: 'Pending' }), database: database(undefined) }),
    preflight: () => [{ rule: 'tls-not-enabled', field: 'spec.tls.remove', type: 'Forbidden', detail: 'TLS is not enabled on Singlestore demo/sample-sdb' }],
    want: { type: 'act', step: 'Failed', actions: [], phase: 'Failed', condition: 'Failed', message: 'spec.tls.remove: Forbidden: TLS is not enabled on Singlestore demo/sample-sdb' },
    view: (p) => ({ ...summary(p), message: act(p).status?.condition?.message }),
  },
  {
    name: 'the newest request is reviewed with older Pending siblings shown as Skipped',
    obs: observed({
      request: request({ rotateCertificates: true }, { phase: 'Pending', name: 'sdbops-new', created: T0 }),
      siblings: [request({ remove: true }, { phase: 'Pending', name: 'sdbops-old', created: T0 - MIN })],
    }),
    preflight: (i) => (i.siblings.every((s) => s.status?.phase === 'Skipped') ? [] : [{ rule: 'tls-op-in-flight', field: 'spec.databaseRef', type: 'Forbidden', detail: 'in flight' }]),
    want: { type: 'act', step: 'ReconfigureTLS', actions: [], phase: 'Progressing', condition: 'ReconfigureTLS' },
  },
  {
    name: 'apply IfReady waits while the database is not Ready',
    obs: observed({ request: request({ rotateCertificates: true }, { phase: 'Pending' }), database: database(TLS_ON, { phase: 'Provisioning' }) }),
    preflight: () => [],
    want: { type: 'wait', step: 'Pending', requeueAfterMs: 10000 },
  },
  {
    name: 'apply Always does not wait for Ready',
    obs: observed({ request: request({ rotateCertificates: true }, { phase: 'Pending', apply: 'Always' }), database: database(TLS_ON, { phase: 'Critical' }) }),
    preflight: () => [],
    want: { type: 'act', step: 'ReconfigureTLS', actions: [], phase: 'Progressing', condition: 'ReconfigureTLS' },
  },
  {
    name: 'Pending → Progressing with condition ReconfigureTLS',
    obs: observed({ request: request({ rotateCertificates: true }, { phase: 'Pending' }) }),
    preflight: () => [],
    want: { type: 'act', step: 'ReconfigureTLS', actions: [], phase: 'Progressing', condition: 'ReconfigureTLS' },
  },
  {
    name: 'pause: Paused condition naming the request → DatabasePauseSucceeded',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: ['ReconfigureTLS'] }) }),
    want: { type: 'act', step: 'DatabasePauseSucceeded', actions: ['pauseDatabase:'], reason: REQ, condition: 'DatabasePauseSucceeded' },
    view: (p) => ({ type: p.type, step: act(p).step, actions: kinds(p), reason: (act(p).actions[0] as { reason: string }).reason, condition: act(p).status?.condition?.type }),
  },
  {
    name: 'pause waits while someone else holds the database paused',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: ['ReconfigureTLS'] }), database: database(TLS_ON, { pausedBy: 'kubectl-dba' }) }),
    want: { type: 'wait', step: 'DatabasePauseSucceeded', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'add: creates the server and client Certificates',
    obs: observed({
      request: request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' }, certificates: [{ alias: 'client', subject: { organizations: ['singlestore'] } }] }, { conds: PRE_CERT }),
      database: database(undefined, { pausedBy: REQ }),
    }),
    want: { type: 'act', step: 'CertificateSynced', actions: ['createCertificate:sample-sdb-client-cert', 'createCertificate:sample-sdb-server-cert'], phase: undefined, condition: undefined },
  },
  {
    name: 'add: waits until every Certificate is Ready',
    obs: observed({
      request: request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' } }, { conds: PRE_CERT }),
      database: database(undefined, { pausedBy: REQ }),
      certificates: certsFor({ issuerRef: { apiGroup: 'cert-manager.io', kind: 'Issuer', name: 'sdb-issuer' } }, { ready: false }),
    }),
    want: { type: 'wait', step: 'CertificateSynced', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'update: only the server Certificate is patched (merge by alias)',
    obs: observed({
      request: request({ certificates: [{ alias: 'server', subject: { organizations: ['kubedb:server'] }, emailAddresses: ['kubedb@appscode.com'] }] }, { conds: PRE_CERT }),
      database: database(TLS_ON, { pausedBy: REQ }),
      certificates: certsFor(TLS_ON),
    }),
    want: { type: 'act', step: 'CertificateSynced', patches: [['sample-sdb-server-cert', { emailAddresses: ['kubedb@appscode.com'], subject: { organizations: ['kubedb:server'] } }]] },
    view: (p) => ({
      type: p.type,
      step: act(p).step,
      patches: act(p).actions.map((a) => (a.kind === 'patchCertificate' ? [a.name, Object.fromEntries(Object.entries(a.patch.spec as object).filter(([k]) => k === 'subject' || k === 'emailAddresses').sort())] : a.kind)),
    }),
  },
  {
    name: 'change issuer: both Certificates get the new issuerRef',
    obs: observed({
      request: request({ issuerRef: { name: 'sdb-new-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' } }, { conds: PRE_CERT }),
      database: database(TLS_ON, { pausedBy: REQ }),
      certificates: certsFor(TLS_ON),
    }),
    want: { type: 'act', step: 'CertificateSynced', patches: [['sample-sdb-server-cert', { name: 'sdb-new-issuer', kind: 'Issuer', group: 'cert-manager.io' }], ['sample-sdb-client-cert', { name: 'sdb-new-issuer', kind: 'Issuer', group: 'cert-manager.io' }]] },
    view: (p) => ({ type: p.type, step: act(p).step, patches: act(p).actions.map((a) => (a.kind === 'patchCertificate' ? [a.name, (a.patch.spec as { issuerRef: unknown }).issuerRef] : a.kind)) }),
  },
  {
    name: 'Certificates Ready for an older generation are not synced',
    obs: observed({ request: request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' } }, { conds: PRE_CERT }), database: database(TLS_ON, { pausedBy: REQ }), certificates: certsFor(TLS_ON, { generation: 2, observedGeneration: 1 }) }),
    want: { type: 'wait', step: 'CertificateSynced', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'rotate: waits while the recorded revisions have not moved',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_CERT, 'IssueCertificatesSucceeded'], condMessages: { IssueCertificatesSucceeded: 'Successfully requested re-issue of Certificates sample-sdb-server-cert (revision 1), sample-sdb-client-cert (revision 1)' } }), database: database(TLS_ON, { pausedBy: REQ }), certificates: certsFor(TLS_ON, { revision: 1 }) }),
    want: { type: 'wait', step: 'CertificateSynced', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'remove: deletes the Certificates first',
    obs: observed({
      request: request({ remove: true }, { conds: PRE_CERT }),
      database: database(TLS_ON, { pausedBy: REQ }),
      certificates: [serverCert(), clientCert()],
      secrets: ['sample-sdb-server-cert', 'sample-sdb-client-cert'],
    }),
    want: { type: 'act', step: 'CertificateSynced', actions: ['deleteCertificate:sample-sdb-server-cert', 'deleteCertificate:sample-sdb-client-cert'], phase: undefined, condition: undefined },
  },
  {
    name: 'remove: Certificates gone → deletes the TLS Secrets (unread) with CertificateSynced',
    obs: observed({ request: request({ remove: true }, { conds: PRE_CERT }), database: database(TLS_ON, { pausedBy: REQ }), secrets: ['sample-sdb-server-cert', 'sample-sdb-client-cert'] }),
    want: { type: 'act', step: 'CertificateSynced', actions: ['deleteSecret:sample-sdb-server-cert', 'deleteSecret:sample-sdb-client-cert'], phase: undefined, condition: 'CertificateSynced' },
  },
  {
    name: 'remove: nothing left → CertificateSynced',
    obs: observed({ request: request({ remove: true }, { conds: PRE_CERT }), database: database(TLS_ON, { pausedBy: REQ }) }),
    want: { type: 'act', step: 'CertificateSynced', actions: [], phase: undefined, condition: 'CertificateSynced' },
  },
  {
    name: 'PetSets: add the tls-volume to both PetSets',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_PS }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(null) }),
    want: { type: 'act', step: 'UpdatePetSets', actions: ['patchPetSet:sample-sdb-aggregator', 'patchPetSet:sample-sdb-leaf'], phase: undefined, condition: undefined },
  },
  {
    name: 'PetSets: wait until the PetSet controller observed the new generation',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_PS }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON, { generation: 2, observedGeneration: 1 }) }),
    want: { type: 'wait', step: 'UpdatePetSets', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'PetSets: templates match and observed → UpdatePetSets',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_PS }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON) }),
    want: { type: 'act', step: 'UpdatePetSets', actions: [], phase: undefined, condition: 'UpdatePetSets' },
  },
  {
    name: 'PetSets: remove the tls-volume',
    obs: observed({ request: request({ remove: true }, { conds: PRE_PS }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON) }),
    want: { type: 'act', step: 'UpdatePetSets', actions: ['patchPetSet:sample-sdb-aggregator', 'patchPetSet:sample-sdb-leaf'], phase: undefined, condition: undefined },
  },
  {
    name: 'restart: the first aggregator is got first (GetPod before EvictPod, as KubeDB)',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_RESTART }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: PODS.map((p, i) => pod(p, `old-${i}`)) }),
    want: { type: 'act', step: 'GetPod--sample-sdb-aggregator-0', actions: [], phase: undefined, condition: 'GetPod--sample-sdb-aggregator-0' },
  },
  {
    name: 'restart: the first aggregator is evicted after GetPod',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'GetPod--sample-sdb-aggregator-0'] }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: PODS.map((p, i) => pod(p, `old-${i}`)) }),
    want: { type: 'act', step: 'EvictPod--sample-sdb-aggregator-0', actions: ['evictPod:sample-sdb-aggregator-0'], phase: undefined, condition: 'EvictPod--sample-sdb-aggregator-0' },
  },
  {
    name: 'restart: waits while the evicted pod has its old uid',
    obs: observed({
      request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'EvictPod--sample-sdb-aggregator-0'], condMessages: EVICTED_MSG }),
      database: database(TLS_ON, { pausedBy: REQ }),
      petSets: petSets(TLS_ON),
      pods: PODS.map((p, i) => pod(p, `old-${i}`)),
    }),
    want: { type: 'wait', step: 'CheckPodReady--sample-sdb-aggregator-0', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'restart: a replacement that is not Ready yet is waited for',
    obs: observed({
      request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'EvictPod--sample-sdb-aggregator-0'], condMessages: EVICTED_MSG }),
      database: database(TLS_ON, { pausedBy: REQ }),
      petSets: petSets(TLS_ON),
      pods: [pod('sample-sdb-aggregator-0', 'new-0', false)],
    }),
    want: { type: 'wait', step: 'CheckPodReady--sample-sdb-aggregator-0', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'restart: a Ready pod with a new uid but created before the certificates were synced does not count',
    obs: observed({
      request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'EvictPod--sample-sdb-aggregator-0'], condMessages: EVICTED_MSG }),
      database: database(TLS_ON, { pausedBy: REQ }),
      petSets: petSets(TLS_ON),
      pods: [pod('sample-sdb-aggregator-0', 'new-0', true, false, T0 - 60_000)],
    }),
    want: { type: 'wait', step: 'CheckPodReady--sample-sdb-aggregator-0', requeueAfterMs: UNTIL_TIMEOUT },
  },
  {
    name: 'restart: the Ready replacement → CheckPodReady',
    obs: observed({
      request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'EvictPod--sample-sdb-aggregator-0'], condMessages: EVICTED_MSG }),
      database: database(TLS_ON, { pausedBy: REQ }),
      petSets: petSets(TLS_ON),
      pods: [pod('sample-sdb-aggregator-0', 'new-0')],
    }),
    want: { type: 'act', step: 'CheckPodReady--sample-sdb-aggregator-0', actions: [], phase: undefined, condition: 'CheckPodReady--sample-sdb-aggregator-0' },
  },
  {
    name: 'restart: then the second aggregator, before any leaf',
    obs: observed({
      request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, ...RESTARTED.slice(0, 3), 'GetPod--sample-sdb-aggregator-1'], condMessages: EVICTED_MSG }),
      database: database(TLS_ON, { pausedBy: REQ }),
      petSets: petSets(TLS_ON),
      pods: [pod(PODS[0], 'new-0'), pod(PODS[1], 'old-1'), pod(PODS[2], 'old-2')],
    }),
    want: { type: 'act', step: 'EvictPod--sample-sdb-aggregator-1', actions: ['evictPod:sample-sdb-aggregator-1'], phase: undefined, condition: 'EvictPod--sample-sdb-aggregator-1' },
  },
  {
    name: 'restart: the leaf last',
    obs: observed({
      request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, ...RESTARTED.slice(0, 6), 'GetPod--sample-sdb-leaf-0'], condMessages: EVICTED_MSG }),
      database: database(TLS_ON, { pausedBy: REQ }),
      petSets: petSets(TLS_ON),
      pods: [pod(PODS[0], 'new-0'), pod(PODS[1], 'new-1'), pod(PODS[2], 'old-2')],
    }),
    want: { type: 'act', step: 'EvictPod--sample-sdb-leaf-0', actions: ['evictPod:sample-sdb-leaf-0'], phase: undefined, condition: 'EvictPod--sample-sdb-leaf-0' },
  },
  {
    name: 'restart: all pods replaced → RestartNodes',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, ...RESTARTED], condMessages: EVICTED_MSG }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: newPods() }),
    want: { type: 'act', step: 'RestartNodes', actions: [], phase: undefined, condition: 'RestartNodes' },
  },
  {
    name: 'update database: new spec.tls written → UpdateDatabase',
    obs: observed({ request: request({ issuerRef: { name: 'sdb-new-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' } }, { conds: PRE_UPDATE }), database: database(TLS_ON, { pausedBy: REQ }) }),
    want: { type: 'act', step: 'UpdateDatabase', actions: ['patchDatabase:'], phase: undefined, condition: 'UpdateDatabase' },
  },
  {
    name: 'update database: rotate leaves spec.tls as it is (KubeDB already wrote the secretNames)',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_UPDATE }), database: database(TLS_DEFAULTED, { pausedBy: REQ }) }),
    want: { type: 'act', step: 'UpdateDatabase', actions: [], phase: undefined, condition: 'UpdateDatabase' },
  },
  {
    name: 'resume: Paused removed → DatabaseResumeSucceeded',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_RESUME }), database: database(TLS_ON, { pausedBy: REQ }) }),
    want: { type: 'act', step: 'DatabaseResumeSucceeded', actions: ['resumeDatabase:'], phase: undefined, condition: 'DatabaseResumeSucceeded' },
  },
  {
    name: 'Successful: phase and condition',
    obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_SUCCESS }), database: database(TLS_ON) }),
    want: { type: 'act', step: 'Successful', actions: [], phase: 'Successful', condition: 'Successful' },
  },
  {
    name: 'Successful request: nothing to do',
    obs: observed({ request: request({ rotateCertificates: true }, { phase: 'Successful', conds: [...PRE_SUCCESS, 'Successful'] }), database: database(TLS_ON) }),
    want: { type: 'done' },
  },
  {
    name: 'a terminal request still holding the database paused resumes it',
    obs: observed({ request: request({ rotateCertificates: true }, { phase: 'Failed', conds: [...PRE_CERT, 'Failed'] }), database: database(TLS_ON, { pausedBy: REQ }) }),
    want: { type: 'act', step: 'DatabaseResumeSucceeded', actions: ['resumeDatabase:'], phase: undefined, condition: undefined },
  },
  {
    name: 'a request of another type is not ours',
    obs: observed({ request: { ...request({}), spec: { type: 'Restart', databaseRef: { name: 'sample-sdb' } } } }),
    want: { type: 'done' },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const p = plan(c.obs, c.at ?? now, c.preflight ? { preflight: c.preflight } : {});
    const got = (c.view ?? summary)(p);
    t.same(got, c.want);
    t.strictSame(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(c.want)));
  });
}

t.test('add: the server Certificate carries KubeDB dnsNames, usages, owner and issuer', async (t) => {
  const p = act(plan(observed({ request: request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer' } }, { conds: PRE_CERT }), database: database(undefined, { pausedBy: REQ }) }), now));
  const server = p.actions.find((a) => a.kind === 'createCertificate' && a.certificate.metadata?.name === 'sample-sdb-server-cert');
  if (server?.kind !== 'createCertificate') throw new Error('no server certificate');
  t.strictSame(server.certificate.spec, {
    secretName: 'sample-sdb-server-cert',
    issuerRef: { name: 'sdb-issuer', kind: 'Issuer', group: 'cert-manager.io' },
    commonName: 'sample-sdb',
    dnsNames: ['*.sample-sdb-pods.demo.svc', '*.sample-sdb-pods.demo.svc.cluster.local', '*.sample-sdb.demo.svc', 'localhost', 'sample-sdb', 'sample-sdb.demo.svc'],
    ipAddresses: ['127.0.0.1'],
    usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
  });
  t.strictSame(server.certificate.metadata?.ownerReferences, [
    { apiVersion: 'kubedb.com/v1alpha2', kind: 'Singlestore', name: 'sample-sdb', uid: 'db-uid', controller: true, blockOwnerDeletion: true },
  ]);
});

t.test('add: Ready Certificates for their generation → CertificateSynced', async (t) => {
  const o = observed({ request: request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer' } }, { conds: PRE_CERT }), database: database(undefined, { pausedBy: REQ }) });
  const created = act(plan(o, now)).actions.map((a) => (a.kind === 'createCertificate' ? a.certificate : undefined)).filter((x) => x !== undefined);
  o.certificates = created.map((c) => ({ ...c, metadata: { ...c.metadata, generation: 1 }, status: cert('x').status }));
  const p = act(plan(o, now));
  t.equal(p.status?.condition?.type, 'CertificateSynced');
  t.strictSame(p.actions, []);
});

t.test('rotate: marks Issuing on every Certificate and records their revisions', async (t) => {
  const o = observed({
    request: request({ rotateCertificates: true }, { conds: PRE_CERT }),
    database: database(TLS_ON, { pausedBy: REQ }),
  });
  // Certificates as the planner wants them (no drift), revision 3 and 1.
  const desired = act(plan({ ...o, certificates: [] }, now)).actions.map((a) => (a.kind === 'createCertificate' ? a.certificate : undefined)).filter((x) => x !== undefined);
  o.certificates = desired.map((c, i) => ({ ...c, metadata: { ...c.metadata, generation: 1 }, status: { ...cert('x').status, revision: i === 0 ? 3 : 1 } }));
  const p = act(plan(o, now));
  t.strictSame(kinds(p), ['markIssuing:sample-sdb-server-cert', 'markIssuing:sample-sdb-client-cert']);
  t.equal(p.status?.condition?.type, 'IssueCertificatesSucceeded');
  t.equal(p.status?.condition?.message, 'Successfully requested re-issue of Certificates sample-sdb-server-cert (revision 3), sample-sdb-client-cert (revision 1)');

  // Recorded: Ready but not re-issued yet (revision unchanged) → wait; Issuing → wait.
  const issued = p.status?.condition?.message;
  if (issued === undefined) throw new Error('IssueCertificatesSucceeded has no message');
  o.request = request({ rotateCertificates: true }, { conds: [...PRE_CERT, 'IssueCertificatesSucceeded'], condMessages: { IssueCertificatesSucceeded: issued } });
  t.equal(plan(o, now).type, 'wait', 'same revisions: waiting');
  o.certificates = o.certificates.map((c) => ({ ...c, status: { ...c.status, conditions: [...(c.status?.conditions ?? []), { type: 'Issuing', status: 'True' }] } }));
  t.equal(plan(o, now).type, 'wait', 'issuing: waiting');
  // cert-manager done: revisions 4 and 2, Issuing gone.
  o.certificates = o.certificates.map((c, i) => ({ ...c, status: { conditions: cert('x').status?.conditions, revision: i === 0 ? 4 : 2 } }));
  const done = act(plan(o, now));
  t.equal(done.status?.condition?.type, 'CertificateSynced');
});

t.test('update database: remove writes spec.tls null (dropped by the merge patch)', async (t) => {
  const p = act(plan(observed({ request: request({ remove: true }, { conds: PRE_UPDATE }), database: database(TLS_ON, { pausedBy: REQ }) }), now));
  t.strictSame(p.actions, [{ kind: 'patchDatabase', patch: { spec: { tls: null } } }]);
  t.equal(p.status?.condition?.message, 'Successfully removed TLS from the database');
});

t.test('update database: the merged spec.tls is written', async (t) => {
  const p = act(plan(observed({ request: request({ certificates: [{ alias: 'server', subject: { organizations: ['kubedb:server'] }, emailAddresses: ['kubedb@appscode.com'] }] }, { conds: PRE_UPDATE }), database: database(TLS_ON, { pausedBy: REQ }) }), now));
  t.strictSame(p.actions, [
    {
      kind: 'patchDatabase',
      patch: {
        spec: {
          tls: {
            issuerRef: TLS_ON.issuerRef,
            certificates: [
              { alias: 'server', subject: { organizations: ['kubedb:server'] }, emailAddresses: ['kubedb@appscode.com'], secretName: 'sample-sdb-server-cert' },
              { ...TLS_ON.certificates?.[1], secretName: 'sample-sdb-client-cert' },
            ],
          },
        },
      },
    },
  ]);
});

// ---- timeout at each step → Failed, database resumed ---------------------------------
const late = T0 + 11 * MIN;
const timeoutCases: { name: string; obs: Observed; step: string; paused: boolean }[] = [
  { name: 'pause', obs: observed({ request: request({ rotateCertificates: true }, { conds: ['ReconfigureTLS'] }), database: database(TLS_ON, { pausedBy: 'someone-else' }) }), step: 'DatabasePauseSucceeded', paused: false },
  { name: 'certificates (add)', obs: observed({ request: request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer' } }, { conds: PRE_CERT }), database: database(undefined, { pausedBy: REQ }) }), step: 'CertificateSynced', paused: true },
  { name: 'certificates (rotate)', obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_CERT, 'IssueCertificatesSucceeded'] }), database: database(TLS_ON, { pausedBy: REQ }) }), step: 'CertificateSynced', paused: true },
  { name: 'certificates (remove)', obs: observed({ request: request({ remove: true }, { conds: PRE_CERT }), database: database(TLS_ON, { pausedBy: REQ }), certificates: [serverCert()] }), step: 'CertificateSynced', paused: true },
  { name: 'PetSets', obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_PS }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON, { generation: 2, observedGeneration: 1 }) }), step: 'UpdatePetSets', paused: true },
  { name: 'get pod', obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_RESTART }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: PODS.map((p, i) => pod(p, `old-${i}`)) }), step: 'GetPod--sample-sdb-aggregator-0', paused: true },
  { name: 'evict pod', obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'GetPod--sample-sdb-aggregator-0'] }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: PODS.map((p, i) => pod(p, `old-${i}`)) }), step: 'EvictPod--sample-sdb-aggregator-0', paused: true },
  { name: 'pod ready', obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'EvictPod--sample-sdb-aggregator-0'], condMessages: EVICTED_MSG }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: [] }), step: 'CheckPodReady--sample-sdb-aggregator-0', paused: true },
  { name: 'restart nodes', obs: observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, ...RESTARTED], condMessages: EVICTED_MSG }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: newPods() }), step: 'RestartNodes', paused: true },
  { name: 'update database', obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_UPDATE }), database: database(TLS_ON, { pausedBy: REQ }) }), step: 'UpdateDatabase', paused: true },
  { name: 'resume', obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_RESUME }), database: database(TLS_ON, { pausedBy: REQ }) }), step: 'DatabaseResumeSucceeded', paused: true },
  { name: 'successful', obs: observed({ request: request({ rotateCertificates: true }, { conds: PRE_SUCCESS }), database: database(TLS_ON) }), step: 'Successful', paused: false },
];

for (const c of timeoutCases) {
  t.test(`timeout at ${c.name} → Failed with the database resumed`, async (t) => {
    const before = plan(c.obs, T0 + 9 * MIN);
    t.not(before.type === 'act' && before.step === 'Failed', true, 'within the timeout the step goes on');
    const p = act(plan(c.obs, late));
    t.equal(p.step, 'Failed');
    t.equal(p.status?.phase, 'Failed');
    t.equal(p.status?.condition?.type, 'Failed');
    t.equal(p.status?.condition?.reason, 'Failed');
    t.match(p.status?.condition?.message, new RegExp(`^step ${c.step} did not finish within spec.timeout 10m`));
    t.strictSame(p.actions, c.paused ? [{ kind: 'resumeDatabase', reason: REQ }] : []);
    t.equal(p.event.type, 'Warning');
  });
}

t.test('the timeout counts from the start of the current step, not of the request', async (t) => {
  const o = observed({ request: request({ rotateCertificates: true }, { conds: PRE_PS, condTime: T0 }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON, { generation: 2, observedGeneration: 1 }) });
  const first = o.request.status?.conditions?.[0];
  if (!first) throw new Error('the request has no condition');
  first.lastTransitionTime = iso(T0 - 60 * MIN);
  t.equal(plan(o, T0 + 5 * MIN).type, 'wait');
  t.equal(act(plan(o, T0 + 10 * MIN + 1)).step, 'Failed');
});

t.test('spec.timeout is honoured (1m)', async (t) => {
  const o = observed({ request: request({ rotateCertificates: true }, { conds: PRE_PS, timeout: '1m' }), database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON, { generation: 2, observedGeneration: 1 }) });
  t.equal(plan(o, T0 + 59_000).type, 'wait');
  t.equal(act(plan(o, T0 + 61_000)).status?.condition?.message, 'step UpdatePetSets did not finish within spec.timeout 1m: waiting for the PetSet controller to observe sample-sdb-aggregator, sample-sdb-leaf');
});

t.test('pauseReason names the request', async (t) => {
  t.equal(pauseReason(request({}, { name: 'sdbops-rotate' })), 'SinglestoreOpsRequest demo/sdbops-rotate');
});

// ---- issue 12: KubeDB's per-pod conditions, replica defaults, names ------------------

t.test('per-pod conditions GetPod--, EvictPod--, CheckPodReady-- carry no reason (as KubeDB); step conditions do', async (t) => {
  const pods = PODS.map((p, i) => pod(p, `old-${i}`));
  const base = { database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON) };
  const get = act(plan(observed({ request: request({ rotateCertificates: true }, { conds: PRE_RESTART }), pods, ...base }), now));
  t.strictSame(get.status?.condition, { type: 'GetPod--sample-sdb-aggregator-0', status: 'True', reason: '', message: 'Successfully got pod demo/sample-sdb-aggregator-0 (uid old-0)' });
  const evict = act(plan(observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'GetPod--sample-sdb-aggregator-0'] }), pods, ...base }), now));
  t.equal(evict.status?.condition?.reason, '');
  const ready = act(plan(observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'GetPod--sample-sdb-aggregator-0', 'EvictPod--sample-sdb-aggregator-0'], condMessages: EVICTED_MSG }), pods: [pod(PODS[0], 'new-0')], ...base }), now));
  t.equal(ready.status?.condition?.type, 'CheckPodReady--sample-sdb-aggregator-0');
  t.equal(ready.status?.condition?.reason, '');
  const restart = act(plan(observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, ...RESTARTED], condMessages: EVICTED_MSG }), pods: newPods(), ...base }), now));
  t.equal(restart.status?.condition?.reason, 'RestartNodes', 'step conditions keep reason == type');
  // nextStatus writes no reason key at all for them
  if (!get.status) throw new Error('GetPod changes no status');
  const st = nextStatus(request({ rotateCertificates: true }, { conds: PRE_RESTART }), get.status, iso(now));
  const c = st.conditions?.find((x) => x.type === 'GetPod--sample-sdb-aggregator-0');
  t.notOk(c && 'reason' in c, 'no reason key on the stored condition');
});

t.test('a pod missing at GetPod is recorded, then skipped at EvictPod (its PetSet recreates it)', async (t) => {
  const base = { database: database(TLS_ON, { pausedBy: REQ }), petSets: petSets(TLS_ON), pods: [] };
  const get = act(plan(observed({ request: request({ rotateCertificates: true }, { conds: PRE_RESTART }), ...base }), now));
  t.equal(get.status?.condition?.message, 'Pod demo/sample-sdb-aggregator-0 not found; its PetSet recreates it');
  const evict = act(plan(observed({ request: request({ rotateCertificates: true }, { conds: [...PRE_RESTART, 'GetPod--sample-sdb-aggregator-0'] }), ...base }), now));
  t.equal(evict.step, 'EvictPod--sample-sdb-aggregator-0');
  t.strictSame(evict.actions, []);
});

t.test('topology replicas default as KubeDB defaults them (aggregator 3, leaf 2), not 1', async (t) => {
  t.strictSame(KUBEDB_DEFAULT_REPLICAS, { aggregator: 3, leaf: 2, standalone: 1 });
  const db = database(TLS_ON);
  db.spec = { ...db.spec, topology: { aggregator: {}, leaf: {} } };
  t.strictSame(restartOrder(db, []), ['sample-sdb-aggregator-0', 'sample-sdb-aggregator-1', 'sample-sdb-aggregator-2', 'sample-sdb-leaf-0', 'sample-sdb-leaf-1']);
  t.equal(replicasOf(db, 'leaf'), 2);
  db.spec = { ...db.spec, topology: { aggregator: { replicas: 1 }, leaf: {} } };
  t.equal(replicasOf(db, 'aggregator'), 1, 'given replicas win');
  t.equal(replicasOf(db, 'leaf', petSet('sample-sdb-leaf', 4, TLS_ON)), 4, "the PetSet's own replicas win over everything");
  const standalone = database(TLS_ON);
  const { topology: _topology, ...standaloneSpec } = standalone.spec ?? {};
  standalone.spec = standaloneSpec;
  t.strictSame(restartOrder(standalone, []), ['sample-sdb-0'], 'standalone: one pod');
});

t.test('a long database name: the planner waits for and creates the Certificates KubeDB names', async (t) => {
  const long = 's' + 'x'.repeat(57); // 58 characters
  const db = database(undefined, { pausedBy: REQ });
  db.metadata = { ...db.metadata, name: long };
  const req = request({ issuerRef: { name: 'sdb-issuer', kind: 'Issuer', apiGroup: 'cert-manager.io' } }, { conds: PRE_CERT });
  req.spec = { ...req.spec, databaseRef: { name: long } };
  const p = act(plan(observed({ request: req, database: db }), now));
  const made = p.actions.map((a) => (a.kind === 'createCertificate' ? [a.certificate.metadata?.name, a.certificate.spec?.secretName, a.certificate.metadata?.labels?.['app.kubernetes.io/component']] : []));
  t.strictSame(made, [
    [`${long.slice(0, 51)}-server-cert`, `${long.slice(0, 51)}-server-cert`, 'database'],
    [`${long.slice(0, 51)}-client-cert`, `${long.slice(0, 51)}-client-cert`, 'database'],
  ]);
});
