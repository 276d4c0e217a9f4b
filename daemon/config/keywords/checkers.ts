// The health checkers of a real_server (TCP_CHECK, HTTP_GET, SSL_GET,
// MISC_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, SMTP_CHECK, FILE_CHECK,
// BFD_CHECK) and keepalived's per-type defaults for their timings.
import { kw, type TaggedOf } from '../schema';
import { statusCodeRanges } from './lines';
import { checkUrlRegex, regexOffset, regexStack } from './regex';
import { checkReplyLengths, hexPayload, hexReply } from './udp';
import { weightReverse } from './trackers';
import { ip, timer, userAndGroup } from './values';

/** Options every checker shares; unset ones inherit from real_server, then virtual_server. */
const commonCheck = {
  connect_ip: kw.string(ip).optional(),
  connect_port: kw.int(0, 65535).optional(),
  bindto: kw.string(ip).optional(),
  bind_port: kw.int(0, 65535).optional(),
  bind_if: kw.string().optional(),
  fwmark: kw.int(0, 2 ** 32 - 1).optional(),
  connect_timeout: timer(0.001).optional(),
  retry: kw.int(0, 1000).alias('nb_get_retry').optional(),
  delay_before_retry: timer(0).optional(),
  warmup: timer(0).optional(),
  delay_loop: timer(0.001).optional(),
  alpha: kw.flag().optional(),
  log_all_failures: kw.flag(),
};

const url = kw.block(
  {
    path: kw.string().optional(),
    digest: kw
      .string((v) =>
        /^[0-9a-fA-F]{32}$/.test(v) ? undefined : `'${v}' is not an MD5 digest (32 hex digits)`,
      )
      .optional(),
    status_code: kw.custom(1, 64, statusCodeRanges).optional(),
    virtualhost: kw.string().optional(),
    regex: kw.string().optional(),
    regex_no_match: kw.flag(),
    regex_options: kw.custom(0, 64, (args) => args).optional(),
    regex_min_offset: kw.custom(0, 64, regexOffset).optional(),
    regex_max_offset: kw.custom(0, 64, regexOffset).optional(),
    regex_stack: kw.custom(0, 64, regexStack).optional(),
  },
  { finish: checkUrlRegex },
);

const httpCheck = {
  ...commonCheck,
  url: url.many(),
  http_protocol: kw.oneOf('1.0', '1.0C', '1.1').default('1.0'),
  virtualhost: kw.string().optional(),
  fast_recovery: kw.flag(),
  enable_sni: kw.flag(),
};

export const CHECKERS = {
  TCP_CHECK: kw.block({ ...commonCheck }),
  HTTP_GET: kw.block(httpCheck),
  SSL_GET: kw.block(httpCheck),
  MISC_CHECK: kw.block({
    ...commonCheck,
    misc_path: kw.string().optional(),
    misc_timeout: timer(0.001).optional(),
    misc_dynamic: kw.flag(),
    user: userAndGroup().optional(),
  }),
  UDP_CHECK: kw.block(
    {
      ...commonCheck,
      payload: kw.custom(1, 1024, hexPayload).optional(),
      require_reply: kw.custom(0, 1024, hexReply).optional(),
      min_reply_length: kw.int(0, 65535).default(0),
      max_reply_length: kw.int(0, 65535).default(255),
    },
    { finish: checkReplyLengths },
  ),
  PING_CHECK: kw.block({ ...commonCheck }),
  /** keepalived's check_smtp.c: greeting 220, HELO helo_name -> 250, QUIT */
  SMTP_CHECK: kw.block({
    ...commonCheck,
    helo_name: kw.string().default('smtpchecker.keepalived.org'),
  }),
  /**
   * keepalived's check_file.c: the real server follows a `track_file` (none
   * of the connection options). `weight` defaults to the track_file's own.
   */
  FILE_CHECK: kw.block(
    {
      /** the name of a top-level track_file block, and where it is named (for "not found") */
      track_file: kw
        .custom(1, 1, ([name], stmt) => ({ name, at: { file: stmt.file, line: stmt.line } }))
        .optional(),
      weight: weightReverse(-2147483647, 2147483647).optional(),
    },
    {
      finish: (v, stmt, ctx) => {
        if (!v.track_file) ctx.diag.error(stmt, 'FILE_CHECK has no track_file specified');
      },
    },
  ),
  DNS_CHECK: kw.block({
    ...commonCheck,
    /** keyword `type` (the checker's own `type` is the tag) */
    query_type: kw.oneOf('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA').as('type').default('SOA'),
    name: kw.string().default('.'),
  }),
  /**
   * A real server following a bfd_instance's session (keepalived's check_bfd.c):
   * only `name` and `alpha`, no timings; the session is the VRRP side's.
   */
  BFD_CHECK: kw.block({
    name: kw.string().optional(),
    alpha: kw.flag().optional(),
  }),
};

export type CheckerType = keyof typeof CHECKERS;
export type Checker = TaggedOf<typeof CHECKERS>;

/** keepalived's per-type checker defaults (keepalived.conf(5)). */
export function checkerDefaults(type: CheckerType, delayLoop: number) {
  return {
    retry: type === 'DNS_CHECK' ? 3 : type === 'MISC_CHECK' ? 0 : 1,
    delay_before_retry:
      type === 'DNS_CHECK' ? delayLoop : type === 'HTTP_GET' || type === 'SSL_GET' ? 3 : 1,
  };
}
