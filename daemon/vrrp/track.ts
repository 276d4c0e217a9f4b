// Trackers (keepalived's vrrp_track.c): what an instance watches besides its
// peer, and how their results move its priority or put it in FAULT. Pure:
// the watchers that feed them results are in track-watch.ts.
import type { Config, VrrpInstance } from '../config/model';

export type TrackerKind =
  | 'script'
  | 'interface'
  | 'reference'
  | 'file'
  | 'process'
  | 'bfd'
  | 'source';

export interface Tracker {
  name: string;
  kind: TrackerKind;
  /** 0 = failure means FAULT */
  weight: number;
  /** keepalived's weight multiplier -1: the adjustment goes the other way (weight 0: FAULT when up) */
  reverse: boolean;
  /** up (a file tracker: not in FAULT) */
  ok: boolean;
  /** a file tracker's number, as last read (a missing file reads 0) */
  value?: number;
  /** a sync group's tracker, applied to this member */
  group?: string;
}

/** What the trackers start from: link states, the values of track files, process quorums. */
export interface TrackerStart {
  linkUp(ifname: string): boolean;
  /** the number in a track_file's file (0 when missing) */
  fileValue?(name: string): number;
  /** does a vrrp_track_process have its quorum? */
  processUp?(name: string): boolean;
}

type Ref = { name: string; weight?: number; reverse?: boolean };
type Lists = Record<'track_script' | 'track_interface' | 'track_file' | 'track_process', Ref[]>;

/**
 * An instance's trackers as configured, its sync group's included, with
 * keepalived's rules (vrrp.c vrrp_complete_instance, sync_group_tracking_init):
 * in a sync group without sync_group_tracking_weight, and for the address
 * owner, an instance's weighted trackers lose their weight (interfaces, files
 * at the default weight 1) or are dropped (scripts, other weighted files); a
 * group with an owner member applies its trackers unweighted.
 */
export function trackersFor(cfg: VrrpInstance, config: Config, start: TrackerStart): Tracker[] {
  const out: Tracker[] = [];
  const scripts = new Map(config.vrrp_script.map((s) => [s.name, s]));
  const files = new Map(config.track_file.map((f) => [f.name, f]));
  const procs = new Map(config.vrrp_track_process.map((p) => [p.name, p]));
  const group = config.vrrp_sync_group.find((g) => g.group.some((m) => m.name === cfg.name));
  const owner = cfg.priority === 255;
  const unweighted = owner || (!!group && !group.sync_group_tracking_weight);
  const groupHasOwner =
    !!group &&
    group.group.some((m) => config.vrrp_instance.find((v) => v.name === m.name)?.priority === 255);

  const collect = (lists: Lists, from?: string) => {
    const add = (t: Tracker) => {
      const same = out.find((x) => x.kind === t.kind && x.name === t.name);
      if (!same) return void out.push(t);
      // keepalived: on both the instance and its group, the group's weight wins unless unweighted
      if (from && same.weight !== 0) Object.assign(same, { weight: t.weight, reverse: t.reverse });
    };
    /** the weight this instance gives a tracker, or undefined to drop it */
    const weigh = (kind: TrackerKind, w: number) => {
      if (from) return groupHasOwner ? 0 : w;
      if (!unweighted || w === 0) return w;
      if (kind === 'interface') return owner ? undefined : 0;
      if (kind === 'file') return w === 1 ? 0 : undefined;
      if (kind === 'process') return w;
      return undefined;
    };
    for (const t of lists.track_script) {
      const s = scripts.get(t.name);
      const w = s && weigh('script', t.weight ?? s.weight.value);
      if (!s || w === undefined) continue;
      add({
        name: t.name,
        kind: 'script',
        weight: w,
        reverse: t.reverse ?? s.weight.reverse,
        ok: !s.init_fail,
        ...(from ? { group: from } : {}),
      });
    }
    for (const t of lists.track_interface) {
      const w = weigh('interface', t.weight ?? 0);
      if ((t.name === cfg.interface && !from) || w === undefined) continue;
      add({
        name: t.name,
        kind: 'interface',
        weight: w,
        reverse: !!t.reverse,
        ok: start.linkUp(t.name),
        ...(from ? { group: from } : {}),
      });
    }
    for (const t of lists.track_file) {
      const f = files.get(t.name);
      const w = f && weigh('file', t.weight ?? f.weight.value);
      if (!f || w === undefined) continue;
      const tr: Tracker = {
        name: t.name,
        kind: 'file',
        weight: w,
        reverse: t.reverse ?? f.weight.reverse,
        ok: true,
        value: start.fileValue?.(t.name) ?? 0,
        ...(from ? { group: from } : {}),
      };
      tr.ok = !contribution(tr).fault;
      add(tr);
    }
    for (const t of lists.track_process) {
      const p = procs.get(t.name);
      const w = p && weigh('process', t.weight ?? p.weight.value);
      if (!p || w === undefined) continue;
      add({
        name: t.name,
        kind: 'process',
        weight: w,
        reverse: t.reverse ?? p.weight.reverse,
        ok: start.processUp?.(t.name) ?? false,
        ...(from ? { group: from } : {}),
      });
    }
  };
  collect(cfg);
  if (group) collect(group, group.name);
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
      ok: start.linkUp(cfg.interface!),
    });
  }
  return out;
}

/** keepalived: a track file's status at or below this is FAULT */
const FILE_FAULT = -254;

/**
 * What one tracker does to its instance (keepalived vrrp_track.c): weight 0
 * means FAULT while down (reverse: while up); a positive weight adds itself
 * while up, a negative one while down, both times -1 when reversed. A track
 * file adds value*weight (reversed: negated), clamped to [-254, 253], -254
 * being FAULT; unweighted, a non-zero value is FAULT (reverse: zero is).
 */
export function contribution(t: Tracker): { fault: boolean; delta: number } {
  const m = t.reverse ? -1 : 1;
  if (t.kind === 'file') {
    const v = t.value ?? 0;
    if (t.weight === 0) return { fault: (v !== 0) === (m === 1), delta: 0 };
    const s = Math.max(FILE_FAULT, Math.min(253, v * t.weight * m));
    return s === FILE_FAULT ? { fault: true, delta: 0 } : { fault: false, delta: s };
  }
  if (t.weight === 0) return { fault: t.ok !== (m === 1), delta: 0 };
  if (t.ok) return { fault: false, delta: t.weight > 0 ? t.weight * m : 0 };
  return { fault: false, delta: t.weight < 0 ? t.weight * m : 0 };
}

/** Effective priority and fault from trackers (keepalived semantics; the owner's 255 never moves). */
export function effectivePriority(
  base: number,
  trackers: readonly Tracker[],
): { priority: number; fault: boolean } {
  let p = base;
  let fault = false;
  for (const t of trackers) {
    const c = contribution(t);
    if (c.fault) fault = true;
    p += c.delta;
  }
  if (base === 255) return { priority: 255, fault };
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
