// The soak's fault schedule: a seed in, a list of faults with their planned
// start, target and hold time out. Pure and reproducible: the same seed gives
// the same run. The first round holds every class once (in a shuffled order),
// so even a short run covers them all; after that classes are drawn at random
// until the planned time is used up.
import { CLASSES, FAULT_CLASSES, type FaultClass } from './classes';
import { rng } from './seeded-random';

export { rng };

export interface Fault {
  /** position in the run, from 0 */
  index: number;
  cls: FaultClass;
  target: string;
  /** planned start, ms from the soak's start (the runner never starts a fault before the last one settled) */
  at: number;
  /** how long the fault holds before it is healed, ms */
  holdMs: number;
}

export interface ScheduleOptions {
  seed: number;
  /** planned length of the run; the first round may go past it */
  durationMs: number;
  /** hold of a real-server death (from the checker's bound) */
  rsDeathHoldMs: number;
  /** quiet time between one fault settling and the next starting */
  gapMs?: number;
}

export function buildSchedule(o: ScheduleOptions): Fault[] {
  const rand = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const gap = o.gapMs ?? 1_000;
  const firstRound = [...FAULT_CLASSES];
  // Fisher-Yates
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j], firstRound[i]];
  }
  const out: Fault[] = [];
  let at = gap;
  const add = (cls: FaultClass) => {
    const c = CLASSES[cls];
    const [lo, hi] = c.holdMs;
    const holdMs = cls === 'rs-death' ? o.rsDeathHoldMs : Math.round(lo + rand() * (hi - lo));
    out.push({ index: out.length, cls, target: pick(c.targets), at, holdMs });
    at += holdMs + c.settleMs + gap;
  };
  for (const cls of firstRound) add(cls);
  while (at < o.durationMs) add(pick(FAULT_CLASSES));
  return out;
}

/** Faults per class, in class order. */
export function countByClass(faults: readonly { cls: FaultClass }[]): Record<FaultClass, number> {
  const n = Object.fromEntries(FAULT_CLASSES.map((c) => [c, 0])) as Record<FaultClass, number>;
  for (const f of faults) n[f.cls]++;
  return n;
}
