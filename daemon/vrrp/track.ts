// Trackers (keepalived's vrrp_track.c): what an instance watches besides its
// peer, and how their results move its priority or put it in FAULT. Pure:
// the watchers that feed them results are in track-watch.ts.
import type { Config, VrrpInstance } from '../config/model';

export type TrackerKind = 'script' | 'interface' | 'reference' | 'bfd';

export interface Tracker {
  name: string;
  kind: TrackerKind;
  /** 0 = failure means FAULT */
  weight: number;
  reverse: boolean;
  ok: boolean;
}

/** An instance's trackers as configured; `linkUp` gives interfaces their first state. */
export function trackersFor(
  cfg: VrrpInstance,
  config: Config,
  linkUp: (ifname: string) => boolean,
): Tracker[] {
  const out: Tracker[] = [];
  const scripts = new Map(config.vrrp_script.map((s) => [s.name, s]));
  for (const t of cfg.track_script) {
    const s = scripts.get(t.name);
    if (!s) continue;
    out.push({
      name: t.name,
      kind: 'script',
      weight: t.weight ?? s.weight.value,
      reverse: t.reverse ?? s.weight.reverse,
      ok: !s.init_fail,
    });
  }
  for (const t of cfg.track_interface) {
    if (t.name === cfg.interface) continue;
    out.push({
      name: t.name,
      kind: 'interface',
      weight: t.weight ?? 0,
      reverse: !!t.reverse,
      ok: linkUp(t.name),
    });
  }
  out.push(...bfdTrackers(cfg, config));
  if (cfg.track_reference?.address) {
    out.push({
      name: cfg.track_reference.address,
      kind: 'reference',
      weight: 0,
      reverse: false,
      ok: true,
    });
  }
  // the instance's own interface is always tracked, failure = FAULT
  if (!cfg.dont_track_primary) {
    out.push({
      name: cfg.interface!,
      kind: 'interface',
      weight: 0,
      reverse: false,
      ok: linkUp(cfg.interface!),
    });
  }
  return out;
}

/** Effective priority and fault from trackers (keepalived semantics). */
export function effectivePriority(
  base: number,
  trackers: readonly Tracker[],
): { priority: number; fault: boolean } {
  if (base === 255)
    return { priority: 255, fault: trackers.some((t) => t.weight === 0 && t.ok === t.reverse) };
  let p = base;
  let fault = false;
  for (const t of trackers) {
    const up = t.reverse ? !t.ok : t.ok;
    if (t.weight === 0) {
      if (!up) fault = true;
    } else if (t.weight > 0 && up) p += t.weight;
    else if (t.weight < 0 && !up) p += t.weight;
  }
  return { priority: Math.max(1, Math.min(254, p)), fault };
}

/**
 * keepalived's rise/fall hysteresis: a healthy tracker fails after `fall`
 * consecutive failures, a failed one recovers after `rise` consecutive
 * successes. One definition for scripts, reference probes and the trackers
 * still to come.
 */
export class RiseFall {
  private rise = 0;
  private fall = 0;

  constructor(
    private readonly riseAfter: number,
    private readonly fallAfter: number,
  ) {}

  /** Count one result (a probe or script run). */
  record(resultOk: boolean) {
    if (resultOk) {
      this.rise++;
      this.fall = 0;
    } else {
      this.fall++;
      this.rise = 0;
    }
  }

  /** The tracker's state after the results so far, given its state before them. */
  state(wasOk: boolean): boolean {
    return wasOk ? this.fall < this.fallAfter : this.rise >= this.riseAfter;
  }
}

/**
 * track_bfd of the instance and of its sync groups (keepalived: a group's
 * trackers put every member in FAULT, or move priorities only with
 * sync_group_tracking_weight). A session starts down, as in keepalived.
 */
function bfdTrackers(cfg: VrrpInstance, config: Config): Tracker[] {
  const sessions = new Map(config.bfd_instance.map((b) => [b.name, b]));
  const groups = config.vrrp_sync_group.filter((g) => g.group.some((m) => m.name === cfg.name));
  const lines = [
    ...cfg.track_bfd.map((t) => ({ t, weighted: true })),
    ...groups.flatMap((g) =>
      g.track_bfd.map((t) => ({ t, weighted: g.sync_group_tracking_weight })),
    ),
  ];
  const out: Tracker[] = [];
  for (const { t, weighted } of lines) {
    const b = sessions.get(t.name);
    if (!b || out.some((x) => x.name === t.name)) continue; // keepalived ignores both
    out.push({
      name: t.name,
      kind: 'bfd',
      weight: weighted ? (t.weight ?? b.weight.value) : 0,
      reverse: t.reverse ?? b.weight.reverse,
      ok: false,
    });
  }
  return out;
}
