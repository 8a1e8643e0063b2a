// The chart's PrometheusRule: rendered with helm, checked by `promtool check rules`, and
// unit-tested by `promtool test rules` on synthetic series
// (test/install/prometheus-rules/tests.yaml): every alert fires when it should and stays
// silent when it should not. promtool comes from scripts/ensure-tool.sh; when it cannot be
// had the test fails.
import t from 'tap';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import { CHART, find, get, render, ROOT, runHelm, template, type AlertRule, type PrometheusRule } from './helm.js';
import { run } from './tools.js';

const TEST_DIR = path.join(ROOT, 'test', 'install', 'prometheus-rules');
/** promtool test files: one per evaluation interval (see the head of tests.yaml). */
const TEST_FILES = ['tests.yaml', 'tests-denials.yaml', 'tests-certificate.yaml'];
const INSTALL_MD = path.join(ROOT, 'docs', 'install.md');

// helm runs take seconds each on a busy machine: the default rendering is made once.
let defaultRule: PrometheusRule | undefined;
function rule(set: string[] = []): PrometheusRule {
  if (set.length === 0 && defaultRule) return defaultRule;
  const pr = get(render({ set: ['prometheusRule.enabled=true', ...set] }), 'PrometheusRule');
  if (set.length === 0) defaultRule = pr;
  return pr;
}

function alerts(pr: PrometheusRule): AlertRule[] {
  const groups = pr.spec?.groups;
  if (!groups) throw new Error('the PrometheusRule has no groups');
  return groups.flatMap((g) => g.rules ?? []);
}

/** The parts of a promtool unit-test file read here. */
interface PromtoolTests {
  rule_files?: string[];
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

/** Writes the rule's groups as a rules file next to copies of the test files; returns the dir. */
function workdir(pr: PrometheusRule): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-prom-'));
  writeFileSync(path.join(dir, 'rules.yaml'), stringify(pr.spec));
  for (const f of TEST_FILES) copyFileSync(path.join(TEST_DIR, f), path.join(dir, f));
  return dir;
}

t.test('off by default; on, it renders one PrometheusRule with every alert', async (t) => {
  t.notOk(find(render(), 'PrometheusRule'), 'prometheusRule.enabled defaults to false');
  const pr = rule();
  t.equal(pr.apiVersion, 'monitoring.coreos.com/v1');
  t.equal(pr.metadata?.namespace, 'sdb-tls-guard');
  t.strictSame(alerts(pr).map((a) => a.alert), [
    'SdbTlsGuardOpsRequestProgressingTooLong',
    'SdbTlsGuardOpsRequestFailed',
    'SdbTlsGuardDatabasePausedWithoutRequest',
    'SdbTlsGuardWebhookDenialsHigh',
    'SdbTlsGuardWebhookSlow',
    'SdbTlsGuardCertificateExpiringSoon',
    'SdbTlsGuardNoLeader',
    'SdbTlsGuardWebhookFailOpen',
    'SdbTlsGuardWebhookCallErrors',
  ]);
  for (const a of alerts(pr)) {
    t.match(a.labels?.['severity'], /^(critical|warning|info)$/, `${String(a.alert)} has a severity`);
    t.ok(a.annotations?.['summary'], `${String(a.alert)} has a summary`);
  }
  const sev = Object.fromEntries(alerts(pr).map((a) => [String(a.alert), a.labels?.['severity']]));
  t.equal(sev.SdbTlsGuardOpsRequestProgressingTooLong, 'critical');
  t.equal(sev.SdbTlsGuardOpsRequestFailed, 'warning');
  t.equal(sev.SdbTlsGuardDatabasePausedWithoutRequest, 'critical');
  t.equal(sev.SdbTlsGuardWebhookDenialsHigh, 'info');
  // The API server's metrics are matched on the webhook names of webhook-config/.
  const hooks = ['validating.yaml', 'mutating.yaml'].flatMap((f) => (parse(readFileSync(path.join(ROOT, 'webhook-config', f), 'utf8')) as V1ValidatingWebhookConfiguration).webhooks?.map((w) => w.name) ?? []);
  t.strictSame(hooks.sort(), ['default.sdb-tls-guard.io', 'validate.sdb-tls-guard.io']);
  const failOpen = alerts(pr).find((a) => a.alert === 'SdbTlsGuardWebhookFailOpen');
  if (!failOpen) throw new Error('no SdbTlsGuardWebhookFailOpen alert');
  for (const h of hooks) t.match(failOpen.expr, h.replace(/\./g, '\\\\.'), `fail-open alert names ${h}`);
});

t.test('helm lint --strict passes with the rule and the dashboard on', async (t) => {
  const r = runHelm(['lint', '--strict', CHART, '--set', 'prometheusRule.enabled=true', '--set', 'grafanaDashboard.enabled=true']);
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

t.test('promtool check rules and promtool test rules pass', async (t) => {
  const dir = workdir(rule());
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const check = run('promtool', ['check', 'rules', 'rules.yaml'], { cwd: dir });
  t.equal(check.status, 0, `promtool check rules: ${check.stdout}${check.stderr}`);
  const test = run('promtool', ['test', 'rules', ...TEST_FILES], { cwd: dir });
  t.equal(test.status, 0, `promtool test rules:\n${test.stdout}${test.stderr}`);
  t.equal(test.stdout.match(/SUCCESS/g)?.length, TEST_FILES.length, 'every test file passed');
});

t.test('the unit tests cover every alert, firing and silent', async (t) => {
  const fires = new Set<string>();
  const silent = new Set<string>();
  for (const f of TEST_FILES) {
    const tests = parse(readFileSync(path.join(TEST_DIR, f), 'utf8')) as PromtoolTests;
    t.strictSame(tests.rule_files, ['rules.yaml'], `${f} tests the rendered rules`);
    for (const group of tests.tests) {
      for (const c of group.alert_rule_test) (c.exp_alerts.length ? fires : silent).add(c.alertname);
    }
  }
  for (const a of alerts(rule())) {
    t.ok(a.alert !== undefined && fires.has(a.alert), `${String(a.alert)}: a test where it fires`);
    t.ok(a.alert !== undefined && silent.has(a.alert), `${String(a.alert)}: a test where it stays silent`);
  }
});

t.test('the unit tests have teeth: other thresholds make them fail', async (t) => {
  // Tests written for a 30m threshold must fail against a 1h one (and so on): the
  // thresholds of values.yaml really are what the rules use.
  for (const [set, file] of [
    ['prometheusRule.thresholds.progressingLongerThan=1h', 'tests.yaml'],
    ['prometheusRule.thresholds.denials.timesUsual=500', 'tests-denials.yaml'],
    ['prometheusRule.thresholds.certificateExpiresWithin=10d', 'tests-certificate.yaml'],
  ] as const) {
    const dir = workdir(rule([set]));
    const r = run('promtool', ['test', 'rules', file], { cwd: dir });
    rmSync(dir, { recursive: true, force: true });
    t.not(r.status, 0, `${set}: the tests fail`);
  }
});

t.test('values: selector, labels, alert labels, runbook URL; no leader alert without the reconciler', async (t) => {
  const pr = rule([
    'prometheusRule.selector=job="sdb"',
    'prometheusRule.labels.release=kube-prometheus-stack',
    'prometheusRule.alertLabels.team=dba',
    'prometheusRule.runbookBaseURL=https://example.com/docs/install.md',
  ]);
  t.equal(pr.metadata?.labels?.['release'], 'kube-prometheus-stack');
  for (const a of alerts(pr)) {
    t.equal(a.labels?.['team'], 'dba', `${String(a.alert)}: alert label`);
    t.equal(a.annotations?.['runbook_url'], `https://example.com/docs/install.md#${String(a.alert).toLowerCase()}`);
    if (a.expr?.includes('sdb_tls_guard_')) {
      t.match(a.expr, /job="sdb"/, `${String(a.alert)}: uses the selector`);
      t.notMatch(a.expr, /namespace="sdb-tls-guard"/);
    }
  }
  const off = rule(['reconcile=false']);
  t.notOk(alerts(off).some((a) => a.alert === 'SdbTlsGuardNoLeader'), 'webhook-only installs have no leader to miss');
  const dir = workdir(off);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(run('promtool', ['check', 'rules', 'rules.yaml'], { cwd: dir }).status, 0);
});

t.test('values.schema.json rejects bad thresholds', async (t) => {
  // One helm run; the schema error names every offending path.
  const r = template({
    set: [
      'prometheusRule.enabled=true',
      'prometheusRule.thresholds.progressingLongerThan=30 minutes',
      'prometheusRule.thresholds.latencyP99Seconds=0',
      'prometheusRule.selector=\\{x="y"\\}',
      'prometheusRule.bogus=1',
    ],
  });
  t.not(r.status, 0, 'helm template fails');
  for (const p of ['/prometheusRule/thresholds/progressingLongerThan', '/prometheusRule/thresholds/latencyP99Seconds', '/prometheusRule/selector', 'bogus']) t.match(r.stderr, p, `names ${p}`);
});

t.test('docs/install.md has a runbook section for every alert', async (t) => {
  const md = readFileSync(INSTALL_MD, 'utf8');
  for (const a of alerts(rule())) {
    const heading = new RegExp(`^#### ${String(a.alert)}$`, 'm');
    t.match(md, heading, `${String(a.alert)}: a "#### ${String(a.alert)}" section`);
  }
});
