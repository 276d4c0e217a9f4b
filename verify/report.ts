// The verification report: steps with measured values against bounds, an
// overall verdict, a table for people and an SVG timeline (who held the VIP,
// which probes succeeded) to open in a browser. Pure.
import { holderIntervals, type Timeline } from './timeline';

export interface Step {
  name: string;
  /** seconds; null for checks that are not timings (preflight) */
  measured_s: number | null;
  bound_s: number | null;
  /** the measurement's error bound from the hosts' clock offsets (± seconds); absent for checks */
  uncertainty_s?: number;
  pass: boolean;
  /** left out of the verdict by the operator's --skip */
  skipped?: boolean;
  /** what was seen, and on failure the likely cause */
  detail: string;
}

export interface Report {
  stack: string;
  daemon: string;
  startedAt: string;
  verdict: 'pass' | 'fail';
  steps: Step[];
  bounds: Record<string, number>;
  timeline?: Timeline;
  /** each host's clock as estimated from SSH round trips (host minus verifier, ms) */
  clocks?: Record<string, { offsetMs: number; uncertaintyMs: number }>;
}

/** A timing step: passes when measured and within the bound. */
export function timingStep(
  name: string,
  measuredMs: number | undefined,
  boundS: number,
  detail: string,
  uncertaintyMs = 0,
): Step {
  const measured = measuredMs === undefined ? null : round3(measuredMs / 1000);
  return {
    name,
    measured_s: measured,
    bound_s: round3(boundS),
    uncertainty_s: round3(uncertaintyMs / 1000),
    pass: measured !== null && measured <= boundS,
    detail: measured === null ? `not measured: ${detail}` : detail,
  };
}

export function checkStep(name: string, pass: boolean, detail: string): Step {
  return { name, measured_s: null, bound_s: null, pass, detail };
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Steps an operator chose to skip (`--skip NAME,...`, matched against step
 * names): reported as skipped, left out of the verdict. Nothing else is
 * ever excused: a step that observed nothing fails.
 */
export function skipSteps(r: Report, names: readonly string[]): Report {
  if (!names.length) return r;
  const steps = r.steps.map((s) =>
    names.some((n) => s.name.includes(n))
      ? { ...s, pass: true, skipped: true, detail: `skipped (--skip): ${s.detail}` }
      : s,
  );
  return makeReport({ ...r, steps });
}

export function makeReport(r: Omit<Report, 'verdict'>): Report {
  return { ...r, verdict: r.steps.length > 0 && r.steps.every((s) => s.pass) ? 'pass' : 'fail' };
}

/** A fixed-width table: step, measured, bound, PASS/FAIL, detail. */
export function renderTable(r: Report): string {
  const rows = r.steps.map((s) => [
    s.name,
    s.measured_s === null
      ? '-'
      : `${s.measured_s.toFixed(3)}${s.uncertainty_s ? ` ±${s.uncertainty_s.toFixed(3)}` : ''} s`,
    s.bound_s === null ? '-' : `<= ${s.bound_s.toFixed(3)} s`,
    s.skipped ? 'SKIP' : s.pass ? 'PASS' : 'FAIL',
    s.detail,
  ]);
  const head = ['step', 'measured', 'bound', 'result', 'detail'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [
    `failover verification: stack ${r.stack}, daemon ${r.daemon}, ${r.startedAt}`,
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...rows.map(line),
    `verdict: ${r.verdict.toUpperCase()} (${r.steps.filter((s) => s.pass).length}/${r.steps.length} steps passed)`,
  ].join('\n');
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The timeline as SVG: one lane per director (filled while it holds the VIP),
 * each address event as a band as wide as its clock uncertainty, one lane of
 * probe results (green ok, red failed), dashed lines for the verifier's actions.
 */
export function renderSvg(r: Report): string {
  const tl = r.timeline;
  const W = 1000;
  const left = 110;
  const lane = 28;
  if (!tl)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="40"><text x="10" y="25">no timeline recorded</text></svg>\n`;
  const times = [
    ...tl.probes.map((p) => p.t),
    ...tl.vip.map((e) => e.t),
    ...tl.marks.map((m) => m.t),
  ];
  const end = Math.max(tl.t0 + 1000, ...times);
  const span = end - tl.t0;
  const x = (t: number) => left + ((t - tl.t0) / span) * (W - left - 20);
  const lanes = [...tl.directors, 'probe'];
  const H = 60 + lanes.length * lane + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(`failover verification, stack ${r.stack}: ${r.verdict}`)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="20" font-size="14">${esc(`stack ${r.stack} (${r.daemon}): ${r.verdict.toUpperCase()}`)}</text>`,
  ];
  const laneY = (i: number) => 40 + i * lane;
  lanes.forEach((name, i) => {
    out.push(
      `<text x="10" y="${laneY(i) + 17}">${esc(name === 'probe' ? 'client probe' : `VIP on ${name}`)}</text>`,
    );
    out.push(
      `<rect x="${left}" y="${laneY(i) + 4}" width="${W - left - 20}" height="${lane - 8}" fill="#f2f2f2"/>`,
    );
  });
  for (const h of holderIntervals(tl, end)) {
    const i = tl.directors.indexOf(h.host);
    if (i < 0) continue;
    out.push(
      `<rect x="${x(h.from).toFixed(1)}" y="${laneY(i) + 4}" width="${Math.max(1, x(h.to) - x(h.from)).toFixed(1)}" height="${lane - 8}" fill="#3b7dd8"><title>${esc(`${h.host} holds the VIP ${((h.from - tl.t0) / 1000).toFixed(3)}-${((h.to - tl.t0) / 1000).toFixed(3)} s`)}</title></rect>`,
    );
  }
  // each address event with its clock uncertainty (the band the true moment lies in)
  for (const e of tl.vip) {
    const i = tl.directors.indexOf(e.host);
    if (i < 0) continue;
    const u = e.unc ?? 0;
    out.push(
      `<rect x="${x(e.t - u).toFixed(1)}" y="${laneY(i) + 1}" width="${Math.max(1.5, x(e.t + u) - x(e.t - u)).toFixed(1)}" height="${lane - 2}" fill="#ff7f0e" fill-opacity="0.6"><title>${esc(`${e.host}: VIP ${e.kind === 'add' ? 'added' : 'deleted'} at ${((e.t - tl.t0) / 1000).toFixed(3)} s ±${(u / 1000).toFixed(3)} s`)}</title></rect>`,
    );
  }
  const py = laneY(lanes.length - 1);
  for (const p of tl.probes)
    out.push(
      `<rect x="${x(p.t).toFixed(1)}" y="${py + 4}" width="1.5" height="${lane - 8}" fill="${p.ok ? '#2e9e44' : '#d62728'}"/>`,
    );
  const bottom = laneY(lanes.length);
  tl.marks.forEach((m, i) => {
    const mx = x(m.t).toFixed(1);
    out.push(
      `<line x1="${mx}" y1="34" x2="${mx}" y2="${bottom}" stroke="#555" stroke-dasharray="4 3"/>`,
    );
    out.push(
      `<text x="${mx}" y="${bottom + 14 + (i % 2) * 14}" font-size="11">${esc(m.label)}</text>`,
    );
  });
  // a time axis in seconds
  for (let s = 0; s <= span / 1000; s += Math.max(1, Math.ceil(span / 1000 / 10))) {
    const ax = x(tl.t0 + s * 1000).toFixed(1);
    out.push(`<text x="${ax}" y="${H - 6}" font-size="10" fill="#666">${s} s</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
