// The VRRP side's named trackers besides vrrp_script (keepalived 2.2.7's
// track_file.c and vrrp_parser.c): `track_file NAME { ... }` (alias
// vrrp_track_file) and `vrrp_track_process NAME { ... }`. Instances and sync
// groups refer to them by name in their track_file / track_process lists.
import type { Stmt } from '../ast';
import { kw, readInt, type Ctx } from '../schema';
import { timer } from './values';

/** Header of a named block: `track_file NAME {`. */
export const named = (what: string) => (args: string[], stmt: Stmt, ctx: Ctx) => {
  if (args.length !== 1) {
    ctx.diag.error(stmt, `${what}: expects one name`);
    return undefined;
  }
  return { name: args[0] };
};

/** `weight N [reverse]` of a tracker declaration (vrrp_script, track_file, vrrp_track_process). */
export const weightReverse = (min: number, max: number) =>
  kw.custom(1, 2, ([w, rev], stmt, ctx) => {
    const n = readInt(w, min, max, 'weight', stmt, ctx);
    if (n === undefined) return undefined;
    if (rev !== undefined && rev !== 'reverse') {
      ctx.diag.error(stmt, `weight: unexpected '${rev}' (expected: reverse)`);
      return undefined;
    }
    return { value: n, reverse: rev === 'reverse' };
  });

export const trackFile = kw.block(
  {
    file: kw.string().optional(),
    /** keepalived's default weight is 1: the value read is added to the priority */
    weight: weightReverse(-254, 254).default({ value: 1, reverse: false }),
    /** write VALUE (default 0) at start if the file is missing, or always with `overwrite` */
    init_file: kw
      .custom(0, 2, (args, stmt, ctx) => {
        const out = { value: 0, overwrite: false };
        for (const a of args) {
          if (a === 'overwrite') out.overwrite = true;
          else if (/^-?\d/.test(a)) {
            const n = readInt(a, -2147483648, 2147483647, 'init_file', stmt, ctx);
            if (n === undefined) return undefined;
            if (n < -254 || n > 254)
              ctx.diag.warn(
                stmt,
                `init_file: value ${n} is outside the sensible range [-254, 254]`,
              );
            out.value = n;
          } else {
            ctx.diag.error(stmt, `init_file: unknown option '${a}'`);
            return undefined;
          }
        }
        return out;
      })
      .optional(),
  },
  {
    header: named('track_file'),
    finish: (v, stmt, ctx) => {
      if (!v.file) ctx.diag.error(stmt, `track_file ${v.name}: no 'file' given`);
    },
  },
);

export type ParamMatch = 'none' | 'exact' | 'partial' | 'initial';

export const trackProcess = kw.block(
  {
    /** `process NAME_OR_PATH [ARGS...]`: with arguments, the full command line is matched */
    process: kw.custom(1, 4096, ([path, ...params]) => ({ path, params })).optional(),
    param_match: kw
      .custom<ParamMatch>(0, 1, ([m], stmt, ctx) => {
        if (m === undefined) return 'exact';
        if (m === 'initial' || m === 'partial') return m;
        ctx.diag.error(stmt, `param_match: '${m}' is not initial or partial`);
        return undefined;
      })
      .optional(),
    /** keepalived 2.2.7's default is 0 (the man page says 1): quorum lost = FAULT */
    weight: weightReverse(-254, 254).default({ value: 0, reverse: false }),
    quorum: kw.int(1, 65535).default(1),
    quorum_max: kw.int(0, 65535).optional(),
    fork_delay: timer(0.000001, 3600).optional(),
    terminate_delay: timer(0.000001, 3600).optional(),
    delay: timer(0.000001, 3600).optional(),
    full_command: kw.flag(),
  },
  {
    header: named('vrrp_track_process'),
    finish: (v, stmt, ctx) => {
      if (!v.process) {
        ctx.diag.error(stmt, `vrrp_track_process ${v.name}: process name not specified`);
        return;
      }
      // keepalived: arguments or param_match mean the command line is matched
      if (v.process.params.length && !v.param_match) v.param_match = 'exact';
      if (v.param_match) v.full_command = true;
      v.fork_delay ??= v.delay;
      v.terminate_delay ??= v.delay;
      if (v.quorum_max === 0) v.quorum = 0;
      else if (v.quorum_max !== undefined && v.quorum_max < v.quorum) {
        ctx.diag.error(stmt, `vrrp_track_process ${v.name}: quorum_max is less than quorum`);
        v.quorum_max = undefined;
      }
    },
  },
);

/** A linkbeat_interfaces line: `IFNAME [MII|ETHTOOL|IOCTL]` (the kernel's carrier is read for all). */
export function linkbeatInterface([name, type]: string[], stmt: Stmt, ctx: Ctx) {
  if (type !== undefined && !['MII', 'ETHTOOL', 'IOCTL'].includes(type.toUpperCase())) {
    ctx.diag.error(stmt, `linkbeat_interfaces: ${name}: '${type}' is not MII, ETHTOOL or IOCTL`);
    return undefined;
  }
  return name;
}

/** An interface_up_down_delays line: `IFNAME DOWN_DELAY [UP_DELAY]`, seconds 0..255. */
export function upDownDelay(words: string[], stmt: Stmt, ctx: Ctx) {
  const [ifname, down, up] = words;
  if (down === undefined) {
    ctx.diag.warn(
      stmt,
      `interface_up_down_delays: no timeouts for ${ifname}, ignored (as keepalived)`,
    );
    return undefined;
  }
  if (words.length > 3)
    ctx.diag.warn(stmt, `interface_up_down_delays: too many parameters for ${ifname}`);
  const secs = (v: string, what: string) => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || n > 255) {
      ctx.diag.error(stmt, `interface_up_down_delays: invalid ${what} delay '${v}' for ${ifname}`);
      return undefined;
    }
    return n;
  };
  const d = secs(down, 'down');
  const u = up === undefined ? 0 : secs(up, 'up');
  if (d === undefined || u === undefined) return undefined;
  return { ifname, down: d, up: u };
}
