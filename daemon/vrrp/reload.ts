// Which instances a reload may leave running (pure). An instance whose own
// settings, the scripts it tracks and the global settings are unchanged keeps
// its state, timers and VIPs; the others restart, stop or start.
import type { Config, VrrpInstance } from '../config/model';

export interface ReloadPlan {
  kept: string[];
  restarted: string[];
  added: string[];
  removed: string[];
}

/**
 * Compare config objects ignoring source positions. Remembered per object: the
 * next config's instances are the current ones at the following reload, so a
 * reload serialises only the new config.
 */
const seen = new WeakMap<object, string>();
const fingerprint = (v: object) => {
  let f = seen.get(v);
  if (f === undefined) {
    f = JSON.stringify(v, (k, x) => (k === 'at' ? undefined : x));
    seen.set(v, f);
  }
  return f;
};

/** An instance the engine can run: it has an interface and a VRID. */
export const runnable = (vi: VrrpInstance) => !!vi.interface && vi.virtual_router_id !== undefined;

export function planReload(current: Config, running: readonly string[], next: Config): ReloadPlan {
  const r: ReloadPlan = { kept: [], restarted: [], added: [], removed: [] };
  const sameGlobals = fingerprint(current.global_defs) === fingerprint(next.global_defs);
  // what an instance tracks by name, and its sync group (whose trackers it takes on)
  const scriptsOf = (c: Config, vi: VrrpInstance) => {
    const group = c.vrrp_sync_group.find((g) => g.group.some((m) => m.name === vi.name));
    const refs = (l: keyof Pick<VrrpInstance, 'track_script' | 'track_file' | 'track_process'>) =>
      new Set([...vi[l], ...(group?.[l] ?? [])].map((t) => t.name));
    const [s, f, p] = [refs('track_script'), refs('track_file'), refs('track_process')];
    return JSON.stringify([
      fingerprint(c.vrrp_script.filter((x) => s.has(x.name))),
      fingerprint(c.track_file.filter((x) => f.has(x.name))),
      fingerprint(c.vrrp_track_process.filter((x) => p.has(x.name))),
      // the group's members and trackers (its notify scripts run on the main thread)
      group
        ? fingerprint({
            members: group.group.map((m) => m.name),
            s: group.track_script,
            i: group.track_interface,
            f: group.track_file,
            p: group.track_process,
            w: group.sync_group_tracking_weight,
          })
        : '',
    ]);
  };
  const bfdsOf = (c: Config, vi: VrrpInstance) =>
    fingerprint(
      c.bfd_instance
        .filter((b) => vi.track_bfd.some((t) => t.name === b.name))
        .map((b) => ({ name: b.name, weight: b.weight })), // sessions follow reloads by themselves
    );
  const nextByName = new Map(next.vrrp_instance.map((v) => [v.name, v]));
  const currentByName = new Map(current.vrrp_instance.map((v) => [v.name, v]));
  for (const name of running) {
    const n = nextByName.get(name);
    const cur = currentByName.get(name);
    const unchanged =
      n &&
      cur &&
      sameGlobals &&
      fingerprint(n) === fingerprint(cur) &&
      scriptsOf(next, n) === scriptsOf(current, cur) &&
      bfdsOf(next, n) === bfdsOf(current, cur);
    if (unchanged) r.kept.push(name);
    else (n ? r.restarted : r.removed).push(name);
  }
  const known = new Set(running);
  for (const vi of next.vrrp_instance)
    if (runnable(vi) && !known.has(vi.name)) r.added.push(vi.name);
  return r;
}

/** The names an engine runs for `config` (its runnable instances). */
export const runningOf = (config: Config) =>
  config.vrrp_instance.filter(runnable).map((vi) => vi.name);

/**
 * What the VRRP thread needs to apply `plan`: `next` with only the instances it
 * creates. Planned where both configs are (the main thread), so the thread's
 * adverts never wait for a large diff or a large clone.
 */
export function reloadMessage(plan: ReloadPlan, next: Config): Config {
  const create = new Set([...plan.restarted, ...plan.added]);
  return { ...next, vrrp_instance: next.vrrp_instance.filter((vi) => create.has(vi.name)) };
}
