// The PromQL of the Grafana dashboard and the Prometheus rules in observability/,
// and which daemon metrics and labels it uses: the unit tier checks the files,
// the interop tier compares the names with what a running daemon exports.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

export const OBSERVABILITY = path.resolve(__dirname, '../../../../observability');
export const DASHBOARD = path.join(OBSERVABILITY, 'grafana/keepalive-ts.json');
export const RULES = path.join(OBSERVABILITY, 'prometheus/keepalive-ts.rules.yml');
export const RULE_TESTS = path.join(OBSERVABILITY, 'prometheus/keepalive-ts.rules.test.yml');

/** A query and where it is (for messages). */
export interface Query {
  where: string;
  expr: string;
}

export interface Target {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  gridPos: { x: number; y: number; w: number; h: number };
  panels?: Panel[];
}
export interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: {
    list: {
      name: string;
      type: string;
      query: string | { query: string };
      datasource?: { uid?: string };
    }[];
  };
}

export const readDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD, 'utf8'));

/** Every panel, rows' collapsed children included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Panel targets and the query variables' selectors (label_values(SELECTOR, label)). */
export function dashboardQueries(d = readDashboard()): Query[] {
  const out: Query[] = [];
  for (const p of allPanels(d))
    for (const t of p.targets ?? [])
      out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    const m = /^label_values\((.+),\s*\w+\)$/.exec(q);
    out.push({ where: `variable $${v.name}`, expr: m ? m[1] : q });
  }
  return out;
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
export const readRules = (): RuleFile => parse(readFileSync(RULES, 'utf8'));

export function ruleQueries(r = readRules()): Query[] {
  return r.groups.flatMap((g) =>
    g.rules.map((x) => ({ where: `rule ${x.alert ?? x.record}`, expr: x.expr })),
  );
}

/** The dashboard's PromQL with Grafana's variables replaced, so promtool can parse it. */
export function asPromql(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m').replace(/\$\w+/g, '.*');
}

const withoutStrings = (expr: string) => expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');

/** keepalive-ts metric names an expression reads (string literals ignored). */
export function metricNames(expr: string): string[] {
  return [...new Set(withoutStrings(expr).match(/\bkeepalive_[a-zA-Z0-9_:]*/g) ?? [])];
}

/** Label names matched in the selectors of keepalive-ts metrics: [metric, label]. */
export function selectorLabels(expr: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of expr.matchAll(/\b(keepalive_[a-zA-Z0-9_:]*)\{([^}]*)\}/g))
    for (const l of withoutStrings(m[2]).matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g))
      out.push([m[1], l[1]]);
  return out;
}

/** Label names in by/without/on/ignoring clauses. */
export function groupingLabels(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g))
    out.push(
      ...m[1]
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
  return out;
}

/**
 * Label names as Prometheus stores a scrape by default (honor_labels false):
 * the target adds job and instance, and the daemon's own `instance` label
 * (the VRRP instance) becomes exported_instance.
 */
export function storedLabels(exported: Iterable<string>): Set<string> {
  const out = new Set(['job', 'instance']);
  for (const l of exported) out.add(l === 'instance' ? 'exported_instance' : l);
  return out;
}

/** Sample names and their label names in Prometheus text exposition. */
export function exposition(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(l[1]);
    out.set(m[1], labels);
  }
  return out;
}

/**
 * What the queries use that the exposition lacks: metric names, and label
 * names (as stored, see storedLabels) on a metric that has none such.
 */
export function missingFromExposition(queries: Query[], exp: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const q of queries) {
    for (const name of metricNames(q.expr))
      if (!exp.has(name)) problems.push(`${q.where}: metric ${name} is not exported`);
    for (const [name, label] of selectorLabels(q.expr)) {
      const labels = exp.get(name);
      if (labels && !storedLabels(labels).has(label))
        problems.push(`${q.where}: ${name} has no label ${label}`);
    }
    // a grouping label must be on one of the expression's metrics
    const known = storedLabels(metricNames(q.expr).flatMap((n) => [...(exp.get(n) ?? [])]));
    for (const label of groupingLabels(q.expr))
      if (!known.has(label)) problems.push(`${q.where}: no metric of it has label ${label}`);
  }
  return problems;
}
