// The chart's Grafana dashboard (files/grafana/sdb-tls-guard.json): valid dashboard JSON,
// every metric its queries name is one the service exports (a real /metrics scrape of
// the service, test/support/scrape.ts), the topics the operators asked for are there, and
// grafanaDashboard.enabled renders it in a ConfigMap Grafana's sidecar picks up.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CHART, find, get, render } from './helm.js';
import { scrapeService } from '../support/scrape.js';

const FILE = path.join(CHART, 'files', 'grafana', 'sdb-tls-guard.json');
const text = readFileSync(FILE, 'utf8');

// PromQL words that are not metric names.
const FUNCTIONS = new Set(['abs', 'absent', 'avg', 'bottomk', 'ceil', 'count', 'delta', 'deriv', 'floor', 'histogram_quantile', 'increase', 'irate', 'label_replace', 'max', 'min', 'quantile', 'rate', 'round', 'scalar', 'sort', 'sort_desc', 'stddev', 'sum', 'time', 'topk', 'vector', 'clamp_min', 'clamp_max', 'avg_over_time', 'max_over_time', 'min_over_time', 'changes', 'resets', 'label_values', 'group', 'count_values', 'timestamp']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/** The metric names a PromQL expression selects. */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges ($__rate_interval too)
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const out: string[] = [];
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice(m.index + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase()) || FUNCTIONS.has(word)) continue;
    if (/^[0-9]/.test(word)) continue;
    out.push(word);
  }
  return out;
}

interface Target {
  refId?: string;
  expr?: string;
}

interface Panel {
  id?: number;
  title?: string;
  type?: string;
  gridPos?: { x?: number; y?: number; w?: number; h?: number };
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

/** The fields of a Grafana dashboard these tests read. */
interface Dashboard {
  title?: unknown;
  uid?: unknown;
  schemaVersion?: unknown;
  id?: unknown;
  templating?: { list?: { type?: string; query?: string }[] };
  panels: Panel[];
}

const dashboard = JSON.parse(text) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
// An expression that is missing is reported by 'valid dashboard JSON'.
const queries = panels.flatMap((p) => (p.targets ?? []).map((q) => ({ panel: String(p.title), expr: q.expr ?? '' })));

t.test('valid dashboard JSON', async (t) => {
  t.type(dashboard.title, 'string');
  t.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/, 'a uid Grafana accepts');
  t.type(dashboard.schemaVersion, 'number');
  t.ok(typeof dashboard.schemaVersion === 'number' && dashboard.schemaVersion >= 36, 'a current schema version');
  t.notOk('id' in dashboard && dashboard.id !== null, 'no database id (the sidecar provisions it)');
  const vars = dashboard.templating?.list ?? [];
  const ds = vars.find((v) => v.type === 'datasource');
  t.ok(ds?.query === 'prometheus', 'a Prometheus datasource variable');
  const ids = new Set<number>();
  for (const p of panels) {
    const title = String(p.title);
    t.ok(p.id !== undefined && Number.isInteger(p.id) && !ids.has(p.id), `panel ${title}: a unique id`);
    if (p.id !== undefined) ids.add(p.id);
    t.match(p.type, /^(row|timeseries|stat|table|bargauge|gauge)$/, `panel ${title}: a known type`);
    const { x, y, w, h } = p.gridPos ?? {};
    t.ok(
      x !== undefined && y !== undefined && w !== undefined && h !== undefined &&
        [x, y, w, h].every(Number.isInteger) && x >= 0 && x + w <= 24 && w > 0 && h > 0,
      `panel ${title}: gridPos inside 24 columns`,
    );
    if (p.type === 'row') continue;
    t.equal(p.datasource?.uid, '${datasource}', `panel ${title}: uses the datasource variable`);
    const targets = p.targets ?? [];
    t.ok(targets.length > 0, `panel ${title}: has queries`);
    const refs = targets.map((q) => q.refId);
    t.equal(new Set(refs).size, refs.length, `panel ${title}: unique refIds`);
    for (const q of targets) t.ok(typeof q.expr === 'string' && q.expr.length > 0, `panel ${title}: ${String(q.refId)} has an expression`);
  }
  // Panels do not overlap.
  const cells = new Map<string, string | undefined>();
  const overlaps: string[] = [];
  for (const p of panels) {
    const { x: x0, y: y0, w, h } = p.gridPos ?? {};
    // A panel without a whole gridPos is reported above and covers no cell.
    if (x0 === undefined || y0 === undefined || w === undefined || h === undefined) continue;
    for (let x = x0; x < x0 + w; x++)
      for (let y = y0; y < y0 + h; y++) {
        const other = cells.get(`${x},${y}`);
        if (other) overlaps.push(`${String(p.title)} / ${other}`);
        cells.set(`${x},${y}`, p.title);
      }
  }
  t.strictSame([...new Set(overlaps)], [], 'no two panels overlap');
});

t.test('every metric the queries name is one the service exports', async (t) => {
  const scrape = await scrapeService();
  const known = new Set([...scrape.families.keys(), ...scrape.samples]);
  const named = new Set<string>();
  for (const q of queries) {
    const names = metricNames(q.expr);
    t.ok(names.length > 0, `${q.panel}: names a metric (${q.expr})`);
    for (const n of names) {
      named.add(n);
      t.ok(known.has(n), `${q.panel}: ${n} is exported`);
    }
  }
  // The topics of the dashboard (issue 14): reviews by verdict and rule, latency
  // percentiles, reconcile steps and durations, requests by phase, cache sizes, cert expiry.
  for (const n of [
    'sdb_tls_guard_admission_reviews_total',
    'sdb_tls_guard_admission_rule_reviews_total',
    'sdb_tls_guard_admission_review_duration_seconds_bucket',
    'sdb_tls_guard_reconcile_steps_total',
    'sdb_tls_guard_reconcile_step_duration_seconds_bucket',
    'sdb_tls_guard_ops_requests',
    'sdb_tls_guard_cache_objects',
    'sdb_tls_guard_tls_certificate_expiry_timestamp_seconds',
  ]) t.ok(named.has(n), `the dashboard shows ${n}`);
  for (const q of [0.5, 0.9, 0.99]) t.ok(queries.some((x) => x.expr.startsWith(`histogram_quantile(${q}, sum by (le, webhook)`)), `review latency p${q * 100}`);
});

t.test('the metric-name extraction itself', async (t) => {
  t.strictSame(metricNames('histogram_quantile(0.99, sum by (le, webhook) (rate(a_bucket{x=~"$n",y="sum(z)"}[$__rate_interval])))'), ['a_bucket']);
  t.strictSame(metricNames('count(max by (db_namespace, database) (b{n="x"})) or vector(0)'), ['b']);
  t.strictSame(metricNames('(c > 0) - time() < 1209600 and on (pod) d'), ['c', 'd']);
});

t.test('grafanaDashboard.enabled renders the ConfigMap for the sidecar', async (t) => {
  t.notOk(find(render(), 'ConfigMap', 'sdb-tls-guard-dashboard'), 'off by default');
  const objs = render({ set: ['grafanaDashboard.enabled=true', 'grafanaDashboard.namespace=monitoring', 'grafanaDashboard.annotations.grafana_folder=Databases'] });
  const cm = get(objs, 'ConfigMap', 'sdb-tls-guard-dashboard');
  t.equal(cm.metadata?.labels?.['grafana_dashboard'], '1', 'labelled grafana_dashboard: "1"');
  t.equal(cm.metadata?.namespace, 'monitoring');
  t.equal(cm.metadata?.annotations?.['grafana_folder'], 'Databases');
  const json = cm.data?.['sdb-tls-guard.json'];
  if (json === undefined) throw new Error('the dashboard ConfigMap has no sdb-tls-guard.json');
  t.strictSame(JSON.parse(json) as unknown, dashboard, 'the dashboard file, intact');
  const def = get(render({ set: ['grafanaDashboard.enabled=true'] }), 'ConfigMap', 'sdb-tls-guard-dashboard');
  t.equal(def.metadata?.namespace, 'sdb-tls-guard', 'the release namespace by default');
});
