// SMTP alerts as keepalived 2.2.7 sends them (core/smtp.c, vrrp_notify.c,
// check_*.c): which events make which mail, with keepalived's subjects and
// bodies, and who gets it. Pure: the sender (system/mailer.ts) does the I/O.
import type { CheckerType, Config, GlobalDefs } from '../config/model';
import { vsId } from '../check/manager';
import type { RealServerEvent } from '../check/status';
import type { State } from '../vrrp/fsm';
import type { Transition } from '../vrrp/status';

export interface MailSettings {
  server: { host: string; port: number };
  /** smtp_helo_name, else the host name */
  helo: string;
  /** notification_email_from, else <user>@<host name> */
  from: string;
  to: string[];
  /** router_id, else the host name: every subject starts with [router_id] */
  routerId: string;
  timeoutMs: number;
}

export interface AlertMail {
  subject: string;
  body: string;
}

/** What keepalived takes from the machine for its defaults (local_name, the running user). */
export interface HostFacts {
  hostname: string;
  user: string;
}

/** undefined when keepalived would send nothing: no notification_email or no smtp_server. */
export function mailSettings(g: GlobalDefs, host: HostFacts): MailSettings | undefined {
  if (g.notification_email.length === 0 || !g.smtp_server) return undefined;
  return {
    server: { host: g.smtp_server.address, port: g.smtp_server.port },
    helo: g.smtp_helo_name ?? host.hostname,
    from: g.notification_email_from ?? `${host.user}@${host.hostname}`,
    to: [...g.notification_email],
    routerId: g.router_id ?? host.hostname,
    timeoutMs: g.smtp_connect_timeout * 1000,
  };
}

/** keepalived's precedence: own smtp_alert, then smtp_alert_vrrp|_checker, then smtp_alert. */
const pick = (
  own: boolean | undefined,
  specific: boolean | undefined,
  g: GlobalDefs,
  dflt: boolean,
) => own ?? specific ?? g.smtp_alert ?? dflt;

const rsKey = (vs: string, rs: string) => `${vs}\0${rs}`;

/** Who alerts, resolved once per config (keepalived resolves it after reading the config). */
export interface AlertPolicy {
  instances: Set<string>;
  /** sync group name -> its members, for the groups that alert */
  groups: Map<string, string[]>;
  /** real servers that alert, by (vsId, "address:port"), with their subject names */
  realServers: Map<string, { vs: string; rs: string }>;
  noEmailFaults: boolean;
}

const proto = (p: string | undefined) => (p ?? 'TCP').toLowerCase();
const trio = (addr: string, p: string | undefined, port: number | undefined) =>
  `[${addr}]:${proto(p)}:${port ?? 0}`;

export function alertPolicy(config: Config): AlertPolicy {
  const g = config.global_defs;
  const instances = new Set(
    config.vrrp_instance
      .filter((vi) => pick(vi.smtp_alert, g.smtp_alert_vrrp, g, false))
      .map((vi) => vi.name),
  );
  const groups = new Map(
    config.vrrp_sync_group
      .filter((sg) => pick(sg.smtp_alert, g.smtp_alert_vrrp, g, false))
      .map((sg) => [sg.name, sg.group.map((m) => m.name)] as const),
  );
  const realServers = new Map<string, { vs: string; rs: string }>();
  for (const vs of config.virtual_server) {
    const k = vs.key;
    const vsName =
      k.kind === 'fwmark'
        ? `FWM ${k.fwmark}`
        : k.kind === 'group'
          ? `[${k.group}]:0`
          : trio(k.address, vs.protocol, k.port);
    for (const rs of vs.real_server) {
      // keepalived: real servers alert unless told not to (backward compatibility)
      if (!pick(rs.smtp_alert ?? vs.smtp_alert, g.smtp_alert_checker, g, true)) continue;
      realServers.set(rsKey(vsId(vs), `${rs.address}:${rs.port}`), {
        vs: vsName,
        rs: trio(rs.address, vs.protocol, rs.port),
      });
    }
  }
  return { instances, groups, realServers, noEmailFaults: g.no_email_faults };
}

const INSTANCE_MAIL: Partial<Record<State, [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  INIT: ['Stopping', '=> VRRP Instance stopping <='],
};
const GROUP_MAIL: Partial<Record<State, [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  INIT: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

/** A sync group's state from its members': FAULT if any is, else the state all share. */
export function groupState(members: (State | undefined)[]): State | undefined {
  if (members.includes('FAULT')) return 'FAULT';
  const first = members[0];
  return first !== undefined && members.every((m) => m === first) ? first : undefined;
}

/**
 * The VRRP side's memory: each instance's and group's state, and the state it
 * last mailed about (keepalived's last_email_state: one mail per state entered).
 */
export interface VrrpAlertState {
  state: Map<string, State>;
  mailed: Map<string, State>;
}
export const emptyVrrpAlertState = (): VrrpAlertState => ({ state: new Map(), mailed: new Map() });

/** The mails one transition makes (instance first, then its groups); updates `s`. */
export function vrrpMails(
  p: AlertPolicy,
  s: VrrpAlertState,
  routerId: string,
  t: Pick<Transition, 'instance' | 'to'>,
): AlertMail[] {
  const out: AlertMail[] = [];
  s.state.set(t.instance, t.to);
  const mail = (key: string, label: string, name: string, to: State, table: typeof GROUP_MAIL) => {
    const text = table[to];
    if (!text || s.mailed.get(key) === to || (p.noEmailFaults && to === 'FAULT')) return;
    // the first state an instance reports is never INIT, so INIT on first sight is not mailed
    if (to === 'INIT' && !s.mailed.has(key)) return;
    s.mailed.set(key, to);
    out.push({ subject: `[${routerId}] ${label} ${name} - ${text[0]}`, body: text[1] });
  };
  if (p.instances.has(t.instance))
    mail(`i\0${t.instance}`, 'VRRP Instance', t.instance, t.to, INSTANCE_MAIL);
  for (const [name, members] of p.groups) {
    if (!members.includes(t.instance)) continue;
    const gs = groupState(members.map((m) => s.state.get(m)));
    if (gs) mail(`g\0${name}`, 'VRRP Group', name, gs, GROUP_MAIL);
  }
  return out;
}

const CHECK_TEXT: Record<CheckerType, [string, string]> = {
  TCP_CHECK: ['=> TCP CHECK succeed on service <=', '=> TCP CHECK failed on service <='],
  HTTP_GET: [
    '=> CHECK succeed on service <=',
    '=> CHECK failed on service : HTTP request failed <=',
  ],
  SSL_GET: [
    '=> CHECK succeed on service <=',
    '=> CHECK failed on service : HTTP request failed <=',
  ],
  MISC_CHECK: ['=> MISC CHECK succeeded on service <=', '=> MISC CHECK failed on service <='],
  DNS_CHECK: ['=> DNS_CHECK: succeed on service <=', '=> DNS_CHECK: failed on service <='],
  UDP_CHECK: ['=> UDP CHECK succeed on service <=', '=> UDP CHECK failed on service <='],
  PING_CHECK: ['=> ICMP CHECK succeed on service <=', '=> ICMP CHECK failed on service <='],
  SMTP_CHECK: ['=> CHECK succeed on service <=', '=> CHECK failed on service <='],
  FILE_CHECK: ['=> FILE CHECK succeed on service <=', '=> FILE CHECK failed on service <='],
  BFD_CHECK: ['=> BFD CHECK succeeded on service <=', '=> BFD CHECK failed on service <='],
};

/** A real server went up or down: keepalived's checker mail, or none. */
export function realServerMail(
  p: AlertPolicy,
  routerId: string,
  e: Pick<RealServerEvent, 'vs' | 'rs' | 'up' | 'checker' | 'reason'>,
): AlertMail | undefined {
  const names = p.realServers.get(rsKey(e.vs, e.rs));
  if (!names || !e.checker) return undefined;
  const [up, down] = CHECK_TEXT[e.checker];
  const timedOut = e.checker === 'MISC_CHECK' && !e.up && /timed? ?out/i.test(e.reason);
  return {
    subject: `[${routerId}] Realserver ${names.rs} of virtual server ${names.vs} - ${e.up ? 'UP' : 'DOWN'}`,
    body: e.up ? up : timedOut ? '=> MISC CHECK timed out on service <=' : down,
  };
}
