// HTTP_GET/SSL_GET `regex` matching, keepalived 2.2.7's meaning (check_http.c),
// pure. keepalived compiles the pattern with PCRE2; we use JavaScript RegExp,
// which agrees on the common syntax (classes, alternation, anchors,
// quantifiers, lookaround, backreferences, named groups). Differences:
//   - PCRE-only syntax (possessive quantifiers `a++`, atomic groups `(?>`,
//     inline option settings `(?i)`, `\A` `\Z` `\z`, recursion, callouts) is not
//     JavaScript: such a pattern is reported invalid and its url always fails
//     (keepalived would match with it).
//   - `$` without `multiline` matches only at the very end of the subject (PCRE
//     also matches before a final newline unless `dollar_endonly`).
//   - regex_options: caseless (i), multiline (m), dotall (s), utf/ucp (u) map to
//     flags; dollar_endonly is JavaScript's behaviour anyway; options that only
//     tune PCRE's compiler or JIT are accepted and have no effect here
//     (REGEX_NO_EFFECT); the rest (REGEX_UNSUPPORTED) cannot be emulated and are
//     warned about at load time.
//   - regex_stack sizes PCRE's JIT stack; V8's matcher has none, it is accepted
//     and ignored.
// keepalived matches against the response as read, headers included (its
// first read buffer holds the status line, headers and the start of the body),
// so offsets count from the first byte of the status line. A match counts when
// it starts at or after regex_min_offset and at or before regex_max_offset.

import { compileRegex } from '../core/pcre';

export interface UrlRegex {
  pattern: string;
  options?: readonly string[];
  /** fail when the pattern matches (regex_no_match) */
  noMatch?: boolean;
  minOffset?: number;
  /** the last offset a match may start at (keepalived's regex_max_offset as written) */
  maxOffset?: number;
}

/** Is `subject` (the response from its first byte) a pass for this url's regex? */
export function regexPasses(subject: string, r: UrlRegex, re?: RegExp): boolean {
  let rx = re;
  if (!rx) {
    const c = compileRegex(r.pattern, r.options);
    if ('error' in c) return false;
    rx = c.re;
  }
  // keepalived ignores offsets when min >= max+1 (max is one past the last start)
  const ignore = r.maxOffset !== undefined && (r.minOffset ?? 0) > r.maxOffset;
  const min = ignore ? 0 : (r.minOffset ?? 0);
  const max = ignore ? undefined : r.maxOffset;
  rx.lastIndex = min;
  const m = rx.exec(subject);
  const matched = !!m && (max === undefined || m.index <= max);
  return matched !== !!r.noMatch;
}

/** The url block's regex settings as the matcher takes them. */
export function urlRegex(u: {
  regex?: string;
  regex_no_match: boolean;
  regex_options?: string[];
  regex_min_offset?: number;
  regex_max_offset?: number;
}): UrlRegex {
  return {
    pattern: u.regex ?? '',
    ...(u.regex_options ? { options: u.regex_options } : {}),
    ...(u.regex_no_match ? { noMatch: true } : {}),
    ...(u.regex_min_offset !== undefined ? { minOffset: u.regex_min_offset } : {}),
    ...(u.regex_max_offset !== undefined ? { maxOffset: u.regex_max_offset } : {}),
  };
}
