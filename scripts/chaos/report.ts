// The soak's report: faults per class, violations, the worst client outage
// per class against its bound, and the RSS / open-fd slopes. Pure text.
import { CLASSES, FAULT_CLASSES, type FaultClass } from './classes';
import type { FaultRecord, Flatness, Outage, Violation } from './invariants';

export interface SoakSummary {
  seed: number;
  minutes: number;
  faults: FaultRecord[];
  outages: Outage[];
  violations: Violation[];
  slopes: Flatness[];
  bounds: Record<FaultClass, { s: number; why: string }>;
  /** the longest two-holder overlap judged a VIP move (within the takeover allowance), ms */
  longestMoveOverlapMs?: number;
  observed: {
    holderSamples: number;
    probes: number;
    events: number;
    usageSamples: number;
    lives: number;
  };
}

export interface ClassRow {
  cls: FaultClass;
  faults: number;
  violations: number;
  worstMs?: number;
  boundMs: number;
}

export function classRows(s: SoakSummary): ClassRow[] {
  return FAULT_CLASSES.map((cls) => {
    const mine = s.outages.filter((o) => o.fault.cls === cls);
    const mineIdx = new Set(s.faults.filter((f) => f.cls === cls).map((f) => f.index));
    return {
      cls,
      faults: s.faults.filter((f) => f.cls === cls).length,
      violations: s.violations.filter((v) => v.fault !== undefined && mineIdx.has(v.fault)).length,
      worstMs: mine.length ? Math.max(...mine.map((o) => o.ms)) : undefined,
      boundMs: s.bounds[cls].s * 1000,
    };
  });
}

const pad = (x: string, n: number) => x.padEnd(n);
const num = (x: number | undefined, d = 1) => (x === undefined ? 'n/a' : x.toFixed(d));

export function formatReport(s: SoakSummary): string {
  const lines: string[] = [];
  lines.push(
    `chaos soak: seed ${s.seed}, ${s.minutes.toFixed(1)} min, ${s.faults.length} faults, ${s.violations.length} invariant violations`,
  );
  lines.push('');
  lines.push(
    `${pad('class', 16)}${pad('faults', 8)}${pad('violations', 12)}${pad('worst outage', 14)}bound`,
  );
  for (const r of classRows(s))
    lines.push(
      `${pad(r.cls, 16)}${pad(String(r.faults), 8)}${pad(String(r.violations), 12)}${pad(r.worstMs === undefined ? 'n/a' : `${r.worstMs.toFixed(0)} ms`, 14)}${r.boundMs.toFixed(0)} ms`,
    );
  lines.push('');
  lines.push('bounds:');
  for (const c of FAULT_CLASSES) lines.push(`  ${pad(c, 16)}${s.bounds[c].why}`);
  lines.push('');
  lines.push('faults:');
  for (const c of FAULT_CLASSES) lines.push(`  ${pad(c, 16)}${CLASSES[c].what}`);
  lines.push('');
  lines.push(
    "RSS and open fds (least-squares slope of each minute's minimum, pooled over the daemon lives, after 60 s warm-up):",
  );
  for (const f of s.slopes)
    lines.push(
      `  ${f.host}: RSS ${num(f.rssMbPerHour)} MB/h, fds ${num(f.fdsPerHour)}/h over ${f.observedMin.toFixed(1)} min (${f.samples} samples)${f.rssMbPerHour === undefined ? ' - too little observed to judge' : ''}`,
    );
  if (s.longestMoveOverlapMs !== undefined)
    lines.push(
      `VIP moves after heals: longest overlap of two holders ${s.longestMoveOverlapMs} ms (a move: within the takeover allowance, verify/bounds.ts SLACK.takeover)`,
    );
  const o = s.observed;
  lines.push(
    `observed: ${o.holderSamples} VIP holder samples, ${o.probes} client probes, ${o.events} daemon events, ${o.usageSamples} RSS/fd samples, ${o.lives} daemon lives`,
  );
  lines.push('');
  lines.push(s.violations.length ? 'violations:' : 'violations: none');
  for (const v of s.violations)
    lines.push(`  [${v.invariant}] ${new Date(v.at).toISOString()} ${v.detail}`);
  lines.push('');
  lines.push('every fault (start, heal after, window, outage):');
  for (const f of s.faults) {
    const og = s.outages.find((x) => x.fault.index === f.index);
    lines.push(
      `  #${f.index} ${pad(f.cls, 15)} ${pad(f.target, 6)} ${new Date(f.start).toISOString().slice(11, 23)} heal +${f.heal - f.start} ms, window ${f.end - f.start} ms, outage ${og ? `${og.ms.toFixed(0)} ms (${og.failed}/${og.probes} probes failed)` : 'n/a'}`,
    );
  }
  return lines.join('\n') + '\n';
}
