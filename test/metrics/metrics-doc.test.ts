// docs/serving.md's metrics table is the whole list of the service's own metrics: a real
// /metrics scrape must show exactly those names, with those types and label names, and
// every label must come from a bounded set of values.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestStats } from '../../src/controller/request-stats.js';
import { OPS_PHASES } from '../../src/metrics.js';
import { scrapeService } from '../support/scrape.js';
import { FIXTURES } from '../server/helpers.js';

interface DocRow {
  name: string;
  type: string;
  labels: string[];
  meaning: string;
}

function documented(): DocRow[] {
  const md = readFileSync(join(FIXTURES, '..', '..', 'docs', 'serving.md'), 'utf8');
  const section = md.slice(md.indexOf('\n## Metrics'), md.indexOf('\n## TLS'));
  const rows: DocRow[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const [name, type, labels, meaning] = cells;
    if (cells.length !== 4 || name === undefined || type === undefined || labels === undefined || meaning === undefined || !name.startsWith('`')) continue;
    rows.push({
      name: name.replace(/`/g, ''),
      type,
      labels: [...labels.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? ''),
      meaning,
    });
  }
  return rows;
}

const OWN = 'sdb_tls_guard_';

t.test('every metric the service exports is documented in docs/serving.md, and nothing else', async (t) => {
  const docs = documented();
  t.ok(docs.length >= 15, `${docs.length} documented metrics`);
  const scrape = await scrapeService();
  const exported = [...scrape.families.keys()].filter((n) => n.startsWith(OWN)).sort();
  t.strictSame(docs.map((d) => d.name).sort(), exported, 'the documented names are exactly the exported ones');
  for (const d of docs) {
    t.equal(scrape.families.get(d.name), d.type, `${d.name}: type ${d.type}`);
    const m = scrape.metrics.registry.getSingleMetric(d.name) as unknown as { labelNames?: readonly string[] } | undefined;
    t.strictSame([...(m?.labelNames ?? [])].sort(), [...d.labels].sort(), `${d.name}: labels ${d.labels.join(', ') || 'none'}`);
    t.ok(d.meaning.length > 20, `${d.name} says what it means`);
  }
  // Only prom-client's own process/nodejs metrics besides ours.
  const others = [...scrape.families.keys()].filter((n) => !n.startsWith(OWN) && !/^(process|nodejs)_/.test(n));
  t.strictSame(others, [], 'no undocumented metric outside the process_/nodejs_ families');
});

t.test('the scrape carries a sample of every family (the scrape feeds them all)', async (t) => {
  const scrape = await scrapeService();
  for (const [name, type] of scrape.families) {
    if (!name.startsWith(OWN)) continue;
    const sample = type === 'histogram' ? `${name}_bucket` : name;
    t.ok(scrape.samples.has(sample), `${sample} has a sample`);
  }
  t.match(scrape.text, /sdb_tls_guard_ops_request_oldest_age_seconds\{db_namespace="demo",database="sample-sdb",phase="Progressing"\} 1800/);
  t.match(scrape.text, /sdb_tls_guard_database_paused_seconds\{db_namespace="demo",database="sample-sdb"\} 1740/);
  t.match(scrape.text, /sdb_tls_guard_ops_requests\{phase="Progressing"\} 1/);
  t.match(scrape.text, /sdb_tls_guard_ops_request_phase_transitions_total\{phase="Successful"\} 1/);
  t.match(scrape.text, /sdb_tls_guard_leader 1/);
});

t.test('label values stay bounded', async (t) => {
  const scrape = await scrapeService();
  const steps = new Set<string>();
  for (const line of scrape.text.split('\n')) {
    const [, step] = /^sdb_tls_guard_reconcile_steps_total\{step="([^"]+)"/.exec(line) ?? [];
    if (step !== undefined) steps.add(step);
  }
  t.ok(steps.has('EvictPod') && steps.has('CheckPodReady'), 'per-pod steps collapse to their kind');
  for (const s of steps) t.notMatch(s, /--/, `${s}: no pod name in a label`);
  const phases = new Set<string>();
  for (const m of scrape.text.matchAll(/^sdb_tls_guard_ops_requests\{phase="([^"]+)"\}/gm)) phases.add(m[1] ?? '');
  t.strictSame([...phases].sort(), [...OPS_PHASES].sort(), 'sdb_tls_guard_ops_requests reports every phase value, and only those');
  // A phase outside KubeDB's enum is Unknown, an unset one New.
  const stats = requestStats(
    [
      { kind: 'SinglestoreOpsRequest', metadata: { name: 'a', namespace: 'x', creationTimestamp: '2026-12-01T00:00:00Z' }, spec: { type: 'ReconfigureTLS', databaseRef: { name: 'd' } }, status: { phase: 'Bogus' } },
      { kind: 'SinglestoreOpsRequest', metadata: { name: 'b', namespace: 'x', creationTimestamp: '2026-12-01T00:00:00Z' }, spec: { type: 'ReconfigureTLS', databaseRef: { name: 'd' } } },
      { kind: 'SinglestoreOpsRequest', metadata: { name: 'c', namespace: 'x', creationTimestamp: '2026-12-01T00:00:00Z' }, spec: { type: 'Restart', databaseRef: { name: 'd' } } },
    ] as never,
    [],
    Date.parse('2026-12-01T00:01:00Z'),
  );
  t.strictSame(Object.fromEntries(stats.byPhase), { Unknown: 1, New: 1 }, 'only ReconfigureTLS requests are counted');
  t.strictSame(stats.oldest, [{ namespace: 'x', database: 'd', phase: 'New', seconds: 60 }]);
});

t.test('ops-request ages: oldest per database and phase; Progressing from its start; a pause by someone else is not ours', async (t) => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const r = (name: string, created: string, phase?: string, started?: string, db = 'sdb') => ({
    kind: 'SinglestoreOpsRequest',
    metadata: { name, namespace: 'demo', creationTimestamp: created },
    spec: { type: 'ReconfigureTLS', databaseRef: { name: db } },
    status: { ...(phase ? { phase } : {}), conditions: started ? [{ type: 'ReconfigureTLS', status: 'True', lastTransitionTime: started }] : [] },
  });
  const stats = requestStats(
    [
      r('old', '2026-12-01T10:00:00Z', 'Pending'),
      r('new', '2026-12-01T11:00:00Z', 'Pending'),
      r('run', '2026-12-01T09:00:00Z', 'Progressing', '2026-12-01T11:50:00Z'),
      r('done', '2026-11-01T00:00:00Z', 'Successful'),
      r('other', '2026-12-01T11:59:00Z', 'Pending', undefined, 'sdb2'),
    ] as never,
    [
      { kind: 'Singlestore', metadata: { name: 'sdb', namespace: 'demo' }, status: { conditions: [{ type: 'Paused', status: 'True', reason: 'SinglestoreOpsRequest demo/run', message: 'Paused by sdb-tls-guard while …', lastTransitionTime: '2026-12-01T11:51:00Z' }] } },
      { kind: 'Singlestore', metadata: { name: 'sdb2', namespace: 'demo' }, status: { conditions: [{ type: 'Paused', status: 'True', reason: 'Paused', message: 'kubectl dba pause', lastTransitionTime: '2026-12-01T11:00:00Z' }] } },
    ] as never,
    now,
  );
  const byKey = Object.fromEntries(stats.oldest.map((o) => [`${o.database}/${o.phase}`, o.seconds]));
  t.strictSame(byKey, { 'sdb/Pending': 7200, 'sdb/Progressing': 600, 'sdb2/Pending': 60 });
  t.strictSame(stats.paused, [{ namespace: 'demo', database: 'sdb', seconds: 540 }]);
});
