// The chain of stages (src/core/reconcile/stages.ts): one ordered list decides which
// stage a request is at and what that stage reads.
import t from 'tap';
import { currentStage, STAGES, refKey } from '../../../src/core/reconcile/index.js';
import { database, observed, petSet, request, TLS_ON } from './builders.js';

const PRE_RESTART = ['ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets'];

t.test('the stages, in order', async (t) => {
  t.strictSame(STAGES.map((s) => s.name), ['Pending', 'ReconfigureTLS', 'DatabasePauseSucceeded', 'CertificateSynced', 'UpdatePetSets', 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded', 'Successful']);
  t.strictSame(STAGES.find((s) => s.name === 'CertificateSynced')?.marks, ['IssueCertificatesSucceeded', 'CertificateSynced']);
});

t.test('the current stage is the first one not done', async (t) => {
  const at = (phase: string, conds: string[]) => currentStage(request({ rotateCertificates: true }, { phase, conds }))?.name;
  t.equal(at('', []), 'Pending');
  t.equal(at('Pending', []), 'ReconfigureTLS');
  t.equal(at('Progressing', ['ReconfigureTLS']), 'DatabasePauseSucceeded');
  t.equal(at('Progressing', ['ReconfigureTLS', 'DatabasePauseSucceeded', 'IssueCertificatesSucceeded']), 'CertificateSynced');
  t.equal(at('Progressing', PRE_RESTART), 'RestartNodes');
  t.equal(at('Progressing', [...PRE_RESTART, 'RestartNodes', 'UpdateDatabase', 'DatabaseResumeSucceeded']), 'Successful');
  t.equal(at('Failed', []), 'Terminal', 'finished: the safety net');
  const other = request({ rotateCertificates: true }, { phase: '' });
  other.spec = { ...other.spec, type: 'Restart' };
  t.equal(currentStage(other), undefined, 'not ours');
});

t.test('each stage reads what it decides on, and no more', async (t) => {
  const reads = (conds: string[], o: Parameters<typeof observed>[0]) => {
    const req = request({ rotateCertificates: true }, { conds });
    const stage = currentStage(req);
    if (!stage) throw new Error(`no current stage after ${conds.join(', ')}`);
    const seen = observed({ ...o, request: req });
    return stage.reads(req, seen.database, seen).map(refKey);
  };
  const db = database(TLS_ON);
  t.strictSame(reads(['ReconfigureTLS'], { request: request({}), database: db }), ['singlestores/demo/sample-sdb']);
  t.strictSame(reads(['ReconfigureTLS', 'DatabasePauseSucceeded'], { request: request({}), database: db }), [
    'singlestores/demo/sample-sdb',
    'certificates/demo/sample-sdb-server-cert',
    'certificates/demo/sample-sdb-client-cert',
    'certificates/demo/sample-sdb-metrics-exporter-cert',
  ]);
  t.strictSame(reads(PRE_RESTART, { request: request({}), database: db }), ['singlestores/demo/sample-sdb', 'petsets/demo/sample-sdb-aggregator', 'petsets/demo/sample-sdb-leaf'], 'pods are named once the PetSets are read');
  const petSets = [petSet('sample-sdb-aggregator', 2, TLS_ON), petSet('sample-sdb-leaf', 1, TLS_ON)];
  t.strictSame(
    reads([...PRE_RESTART, 'GetPod--sample-sdb-aggregator-0', 'EvictPod--sample-sdb-aggregator-0', 'CheckPodReady--sample-sdb-aggregator-0'], { request: request({}), database: db, petSets }).slice(3),
    ['pods/demo/sample-sdb-aggregator-1'],
    'the restart stage reads (and so watches) only the pod it is at',
  );
});
