// Small value grammars several keepalived sections share: addresses, ports,
// timers, script references, user/group pairs.
import { isIP } from 'node:net';
import type { Stmt } from '../ast';
import { kw, readInt, type Ctx } from '../schema';

export const ip = (v: string) => (isIP(v) ? undefined : `'${v}' is not an IP address`);

export const addressArg = (args: string[], stmt: Stmt, ctx: Ctx): string | undefined => {
  const problem = ip(args[0]);
  if (problem) ctx.diag.error(stmt, `${stmt.keyword}: ${problem}`);
  return problem ? undefined : args[0];
};

export const portOf = (text: string, stmt: Stmt, ctx: Ctx) =>
  readInt(text, 0, 65535, stmt.keyword, stmt, ctx);

/** `notify_master "/path/script arg" [user [group]]` and friends. */
export interface ScriptRef {
  cmd: string;
  user?: string;
  group?: string;
}
export const script = () =>
  kw.custom<ScriptRef>(1, 3, ([cmd, user, group]) => ({
    cmd,
    ...(user ? { user } : {}),
    ...(group ? { group } : {}),
  }));

/** Timers are seconds, fractions allowed (keepalived <TIMER>). */
export const timer = (min = 0, max = 31 * 86400) => kw.number(min, max);

/** `user [group]` (script_user, a vrrp_script's or MISC_CHECK's user). */
export const userAndGroup = () =>
  kw.custom(1, 2, ([user, group]) => ({ user, ...(group ? { group } : {}) }));

/** `[all] SECONDS` (garp_extra_if): periodic GARP/NA on the other interfaces, every 1..86400 s. */
export const garpExtraIf = () =>
  kw.custom(1, 2, (args, stmt, ctx) => {
    const all = args.includes('all');
    const rest = args.filter((a) => a !== 'all');
    if (rest.length !== 1) {
      ctx.diag.error(stmt, `${stmt.keyword}: expects [all] SECONDS`);
      return undefined;
    }
    const seconds = readInt(rest[0], 1, 86400, stmt.keyword, stmt, ctx);
    return seconds === undefined ? undefined : { all, seconds };
  });
