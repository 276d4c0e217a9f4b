// From a checker's config to the probe it runs: target (connect_ip /
// connect_port default to the real server's), timeout and the socket options
// (bindto, bind_port, bind_if, fwmark) every network checker honours. The
// probes themselves are injected (Probes), so this runs under fakes in tests.
// FILE_CHECK has no probe: it follows its file (file-check.ts); BFD_CHECK
// follows its BFD session (bfd-check.ts).
import type { Checker, RealServer } from '../config/model';
import { splitArgv } from '../core/argv';
import type { ProbeSocketOptions } from '../net/probe-socket';
import type { HttpTarget, ProbeResult } from './probes';
import { urlRegex } from './regex';
import type { SmtpTarget } from './smtp-probe';
import type { UdpTarget } from './udp-probe';
import { miscVerdict } from './verdict';

/** a script's `user [group]` */
export interface UserRef {
  user: string;
  group?: string;
}

export interface Probes {
  tcp(host: string, port: number, timeoutMs: number, o: ProbeSocketOptions): Promise<ProbeResult>;
  http(t: HttpTarget): Promise<ProbeResult>;
  /** a MISC_CHECK program, as `user` (MISC_CHECK user) or the default script user */
  script(argv: string[], timeoutMs: number, user?: UserRef): Promise<ProbeResult>;
  dns(
    host: string,
    port: number,
    name: string,
    type: string,
    timeoutMs: number,
    o: ProbeSocketOptions,
  ): Promise<ProbeResult>;
  udp(t: UdpTarget): Promise<ProbeResult>;
  ping(host: string, timeoutMs: number, o: ProbeSocketOptions): Promise<ProbeResult>;
  smtp(t: SmtpTarget): Promise<ProbeResult>;
}

/** A checker's connection options as socket options (only those set). */
export function socketOptions(c: {
  bindto?: string | undefined;
  bind_port?: number | undefined;
  bind_if?: string | undefined;
  fwmark?: number | undefined;
}): ProbeSocketOptions {
  return {
    ...(c.bindto ? { bindto: c.bindto } : {}),
    ...(c.bind_port ? { bindPort: c.bind_port } : {}),
    ...(c.bind_if ? { bindIf: c.bind_if } : {}),
    ...(c.fwmark ? { fwmark: c.fwmark } : {}),
  };
}

type ProbedChecker = Exclude<Checker, { type: 'BFD_CHECK' }>;

/** Run checker `c` of real server `rs` (of a virtual server with `vs`'s virtualhost) once. */
export async function runProbe(
  probes: Probes,
  rs: RealServer,
  c: ProbedChecker,
  vs: { virtualhost?: string | undefined } = {},
): Promise<ProbeResult> {
  if (c.type === 'FILE_CHECK') return { ok: true };
  const host = c.connect_ip ?? rs.address;
  const port = c.connect_port ?? rs.port;
  const timeoutMs = c.connect_timeout! * 1000;
  const socket = socketOptions(c);
  switch (c.type) {
    case 'TCP_CHECK':
      return probes.tcp(host, port, timeoutMs, socket);
    case 'HTTP_GET':
    case 'SSL_GET': {
      for (const u of c.url) {
        // keepalived's order: the url's, the checker's, the real server's, the virtual server's
        const vhost = u.virtualhost ?? c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
        const r = await probes.http({
          tls: c.type === 'SSL_GET',
          host,
          port,
          path: u.path ?? '/',
          ...(vhost ? { virtualhost: vhost } : {}),
          ...(u.status_code ? { statusCodes: u.status_code } : {}),
          ...(u.digest ? { digest: u.digest } : {}),
          ...(u.regex !== undefined ? { regex: urlRegex(u) } : {}),
          protocol: c.http_protocol,
          timeoutMs,
          socket,
          sni: c.type === 'SSL_GET' && c.enable_sni,
        });
        if (!r.ok) return { ...r, reason: `${u.path}: ${r.reason}` };
      }
      return { ok: true };
    }
    case 'MISC_CHECK': {
      const r = await probes.script(splitArgv(c.misc_path ?? ''), c.misc_timeout! * 1000, c.user);
      // a timed-out script is a failure, whatever misc_dynamic would make of its code
      const v = r.timedOut
        ? { ok: false }
        : miscVerdict(r.exitCode ?? (r.ok ? 0 : 1), c.misc_dynamic);
      return {
        ok: v.ok,
        ...(v.weight !== undefined ? { weight: v.weight } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
      };
    }
    case 'DNS_CHECK':
      return probes.dns(host, port || 53, c.name, c.query_type, timeoutMs, socket);
    case 'UDP_CHECK':
      return probes.udp({
        host,
        port,
        timeoutMs,
        ...(c.payload ? { payload: c.payload } : {}),
        ...(c.require_reply ? { requireReply: c.require_reply } : {}),
        minReplyLength: c.min_reply_length,
        maxReplyLength: c.max_reply_length,
        socket,
      });
    case 'PING_CHECK':
      return probes.ping(host, timeoutMs, socket);
    case 'SMTP_CHECK':
      return probes.smtp({ host, port, helo: c.helo_name, timeoutMs, socket });
  }
}
