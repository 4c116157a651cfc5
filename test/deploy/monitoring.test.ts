import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestContext, type TestContext } from '../support/context.js';
import { readRepoFile, readYaml, ROOT } from './support.js';

/**
 * The Grafana dashboard and the Prometheus alert rules (deploy/monitoring) against the metrics the platform
 * really exports: every metric an expression names must be in a GET /metrics scrape. promtool (Debian package
 * `prometheus`) checks the rules, their unit tests, and the dashboard's expressions as PromQL; CI installs it.
 */
const dashboard = JSON.parse(readRepoFile('deploy/monitoring/grafana-dashboard.json'));
const alerts = readYaml('deploy/monitoring/alerts.yaml');
const dashboardExprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr as string));
const alertExprs: { alert: string; expr: string }[] = alerts.groups.flatMap((g: any) => g.rules.map((r: any) => ({ alert: r.alert, expr: r.expr })));
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

let t: TestContext;
/** Metric families of a scrape, by name: `# TYPE <name> <type>`. */
let families: Map<string, string>;
let scrape: string;

beforeAll(async () => {
  t = await createTestContext();
  // A request first, so the HTTP histogram has samples like in production.
  await t.as(null, { method: 'GET', url: '/health' });
  const r = await t.as(null, { method: 'GET', url: '/metrics' });
  expect(r.status).toBe(200);
  scrape = r.text;
  families = new Map([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
});
afterAll(async () => {
  await t?.close();
});

/** The metric names in a PromQL expression (label values and Grafana variables are not names). */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set([...withoutStrings.matchAll(/\bsmarthydro_[a-zA-Z0-9_]+/g)].map((m) => m[0]))];
}

/** Whether a sample name belongs to an exported family (histograms export name_bucket, name_sum, name_count). */
function exported(name: string): boolean {
  if (families.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ['histogram', 'summary'].includes(families.get(base) ?? '') && (name.endsWith('_bucket') ? families.get(base) === 'histogram' : true);
}

describe('monitoring (deploy/monitoring)', () => {
  it('the scrape is the real registry: the platform families are there, the DGA queue counted from the database', () => {
    expect(families.get('smarthydro_http_request_duration_seconds')).toBe('histogram');
    expect(families.get('smarthydro_bus_consumer_lag')).toBe('gauge');
    expect(scrape).toMatch(/^smarthydro_dga_queue\{status="needs_attention"\} 0$/m);
    expect(exported('smarthydro_http_request_duration_seconds_bucket')).toBe(true);
    expect(exported('smarthydro_bus_consumer_lag_bucket')).toBe(false);
    expect(exported('smarthydro_readings_total')).toBe(false);
  });

  it('every metric the dashboard queries is exported', () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
    const missing = dashboardExprs.flatMap((e) => metricNames(e).filter((n) => !exported(n)).map((n) => `${n} in ${e}`));
    expect(missing).toEqual([]);
    expect(dashboardExprs.every((e) => metricNames(e).length > 0)).toBe(true);
  });

  it('the dashboard shows ingest rate, bus lag, tick outcomes per provider, the DGA queue and outcomes, API latency', () => {
    const panel = (metric: string, by?: string) =>
      dashboard.panels.find((p: any) => (p.targets ?? []).some((tg: any) => metricNames(tg.expr).includes(metric) && (!by || tg.expr.includes(by))));
    expect(panel('smarthydro_processed_readings_total', 'rate(')).toBeDefined();
    expect(panel('smarthydro_bus_consumer_lag', 'by (group)')).toBeDefined();
    expect(panel('smarthydro_collection_results_total', 'by (provider, result)')).toBeDefined();
    expect(panel('smarthydro_dga_queue', 'by (status)')).toBeDefined();
    expect(panel('smarthydro_dga_submissions_total', 'by (outcome)')).toBeDefined();
    expect(panel('smarthydro_http_request_duration_seconds_bucket', 'histogram_quantile(0.99')).toBeDefined();
    // Panels do not overlap on the grid.
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('every metric the alert rules use is exported, and the four asked-for alerts exist', () => {
    const missing = alertExprs.flatMap(({ alert, expr }) => metricNames(expr).filter((n) => !exported(n)).map((n) => `${n} in ${alert}`));
    expect(missing).toEqual([]);
    expect(alertExprs.map((a) => a.alert)).toEqual(
      expect.arrayContaining(['SmartHydroCollectionStalled', 'SmartHydroBusLagGrowing', 'SmartHydroDgaNeedsAttention', 'SmartHydroApiErrorRate']),
    );
  });

  it('a misspelt metric is caught', () => {
    expect(metricNames('sum(rate(smarthydro_processed_reading_total[5m]))').filter((n) => !exported(n))).toEqual(['smarthydro_processed_reading_total']);
  });

  describe.runIf(hasPromtool || process.env.CI)('promtool', () => {
    it('promtool check rules and promtool test rules pass', () => {
      const dir = join(ROOT, 'deploy/monitoring');
      expect(execFileSync('promtool', ['check', 'rules', 'alerts.yaml'], { cwd: dir, encoding: 'utf8' })).toMatch(/SUCCESS: \d+ rules found/);
      expect(execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8' })).toMatch(/SUCCESS/);
    });

    it("the dashboard's expressions are valid PromQL (checked by promtool as recording rules)", () => {
      const tmp = mkdtempSync(join(tmpdir(), 'smarthydro-promql-'));
      try {
        const rules = dashboardExprs.map((expr, i) => ({
          record: `smarthydro:dashboard_${i}`,
          expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m'),
        }));
        const file = join(tmp, 'dashboard.rules.yaml');
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
        expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toContain(`SUCCESS: ${rules.length} rules found`);
        // And a broken one is refused.
        writeFileSync(file, stringify({ groups: [{ name: 'broken', rules: [{ record: 'x:y', expr: 'sum by (le (rate(smarthydro_x[5m]))' }] }] }));
        expect(spawnSync('promtool', ['check', 'rules', file]).status).not.toBe(0);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
});
