// A real /metrics scrape of the service (fastify inject), with every metric family fed:
// admission reviews through /validate and /mutate, the reconciler carrying the docs'
// rotate request through the in-memory ports, the caches and the ops-request gauges.
// Used by the metrics documentation test and the dashboard test.
import type { Singlestore, SinglestoreOpsRequest } from '../../src/api/types.js';
import { requestStats } from '../../src/controller/request-stats.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { addRequest, drive, makeReconciler, newHarness, seedState } from './reconcile-harness.js';
import { admissionFixture, makeApp, post } from '../server/helpers.js';

export interface Scrape {
  text: string;
  metrics: Metrics;
  /** Metric family name → type, from the `# TYPE` lines. */
  families: Map<string, string>;
  /** Names of the samples (histograms: `<name>_bucket`, `_sum`, `_count`). */
  samples: Set<string>;
}

export function parseExposition(text: string): { families: Map<string, string>; samples: Set<string> } {
  const families = new Map<string, string>();
  const samples = new Set<string>();
  for (const line of text.split('\n')) {
    const [, family, type] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? [];
    if (family !== undefined && type !== undefined) families.set(family, type);
    else if (line && !line.startsWith('#')) {
      const [sample] = /^[^{ ]+/.exec(line) ?? [];
      if (sample === undefined) throw new Error(`not a sample line: ${line}`);
      samples.add(sample);
    }
  }
  return { families, samples };
}

export async function scrapeService(): Promise<Scrape> {
  const metrics = createMetrics({ processMetrics: true, version: 'test' });
  const { app } = makeApp({ metrics });
  for (const f of ['v1-create-allowed.json', 'v1-create-denied.json']) {
    await post(app, '/validate', admissionFixture(f));
    await post(app, '/mutate', admissionFixture(f));
  }
  await post(app, '/validate', 'not json');

  // The reconciler: the docs' rotate request, driven to Successful with these metrics.
  const h = newHarness();
  seedState(h, 'state-tls.yaml');
  addRequest(h, 'rotate.yaml');
  await drive(h, makeReconciler(h, { metrics }), 'demo', 'sample-sdb', 'sdbops-rotate');
  metrics.reconcileErrors.inc({ kind: 'pass' });
  metrics.reconcileFailures.inc({ step: 'CertificateSynced' });
  metrics.leader.set(1);
  metrics.tlsReloads.inc({ result: 'success' });
  metrics.tlsCertificateExpiry.set(Math.floor(Date.parse('2027-03-01T00:00:00Z') / 1000));

  // Caches and the ops-request gauges: a Progressing request on a database it paused.
  metrics.setCacheSource(() => [{ resource: 'singlestoreopsrequests', objects: 1, synced: true }]);
  const now = Date.parse('2026-12-01T12:00:00Z');
  const req: SinglestoreOpsRequest = {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'SinglestoreOpsRequest',
    metadata: { name: 'sdbops-rotate', namespace: 'demo', creationTimestamp: '2026-12-01T11:00:00Z' },
    spec: { type: 'ReconfigureTLS', databaseRef: { name: 'sample-sdb' }, tls: { rotateCertificates: true } },
    status: { phase: 'Progressing', conditions: [{ type: 'ReconfigureTLS', status: 'True', reason: 'ReconfigureTLS', lastTransitionTime: '2026-12-01T11:30:00Z' }] },
  };
  const db: Singlestore = {
    apiVersion: 'kubedb.com/v1alpha2',
    kind: 'Singlestore',
    metadata: { name: 'sample-sdb', namespace: 'demo' },
    status: { phase: 'Ready', conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/sdbops-rotate', message: 'Paused by sdb-tls-guard while it carries out SinglestoreOpsRequest demo/sdbops-rotate', lastTransitionTime: '2026-12-01T11:31:00Z' }] },
  };
  metrics.setRequestSource(() => requestStats([req], [db], now));

  const res = await app.inject({ method: 'GET', url: '/metrics' });
  await app.close();
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
  return { text: res.body, metrics, ...parseExposition(res.body) };
}
