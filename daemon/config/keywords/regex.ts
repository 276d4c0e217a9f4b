// HTTP_GET/SSL_GET url regex keywords (keepalived 2.2.7 check_http.c). keepalived
// only logs bad values of these (they never make `keepalived -t` fail), so
// neither do we: each problem is a warning and the value is dropped.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';
import { compileRegex, REGEX_FLAGS, REGEX_NO_EFFECT, REGEX_UNSUPPORTED } from '../../core/pcre';

export function regexOffset(args: string[], stmt: Stmt, ctx: Ctx): number | undefined {
  if (args.length !== 1) {
    ctx.diag.warn(stmt, `${stmt.keyword}: expects one offset; ignored`);
    return undefined;
  }
  if (!/^\d+$/.test(args[0])) {
    ctx.diag.warn(stmt, `${stmt.keyword}: invalid offset '${args[0]}'; ignored`);
    return undefined;
  }
  return Number(args[0]);
}

/** regex_stack START MAX: PCRE's JIT stack; accepted, no effect on JavaScript's matcher */
export function regexStack(
  args: string[],
  stmt: Stmt,
  ctx: Ctx,
): { start: number; max: number } | undefined {
  const [a, b] = args;
  if (args.length !== 2 || !/^\d+$/.test(a) || !/^\d+$/.test(b) || Number(a) > Number(b)) {
    ctx.diag.warn(stmt, `regex_stack: expects START MAX with START <= MAX; ignored`);
    return undefined;
  }
  return { start: Number(a), max: Number(b) };
}

interface UrlRegexFields {
  regex?: string;
  regex_no_match: boolean;
  regex_options?: string[];
  regex_min_offset?: number;
  regex_max_offset?: number;
  regex_stack?: { start: number; max: number };
  at: Position;
}

/** keepalived's url_check(): regex settings without a regex, offsets that cross, the pattern. */
export function checkUrlRegex(u: UrlRegexFields, _stmt: Stmt, ctx: Ctx) {
  for (const o of u.regex_options ?? []) {
    if (REGEX_UNSUPPORTED.has(o))
      ctx.diag.warn(u.at, `regex_options ${o}: no JavaScript equivalent, ignored`);
    else if (!REGEX_FLAGS[o] && !REGEX_NO_EFFECT.has(o))
      ctx.diag.warn(u.at, `regex_options: unknown option '${o}' ignored`);
  }
  if (u.regex === undefined) {
    if (
      u.regex_options?.length ||
      u.regex_no_match ||
      u.regex_min_offset ||
      u.regex_max_offset !== undefined ||
      u.regex_stack
    )
      ctx.diag.warn(u.at, 'regex parameters specified without regex; ignored');
    delete u.regex_options;
    u.regex_no_match = false;
    delete u.regex_min_offset;
    delete u.regex_max_offset;
    delete u.regex_stack;
    return;
  }
  if (u.regex_max_offset !== undefined && (u.regex_min_offset ?? 0) > u.regex_max_offset) {
    ctx.diag.warn(
      u.at,
      `regex min offset ${u.regex_min_offset} > regex_max_offset ${u.regex_max_offset}; offsets ignored`,
    );
    delete u.regex_min_offset;
    delete u.regex_max_offset;
  }
  const c = compileRegex(u.regex, u.regex_options);
  if ('error' in c)
    ctx.diag.warn(
      u.at,
      `regex '${u.regex}' is not valid here (${c.error}): the url will always fail`,
    );
}
