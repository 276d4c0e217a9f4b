// keepalived keywords keepalive-ts does not implement, each with the reason
// and what to do instead. The reader warns "KEYWORD: not supported by
// keepalive-ts (...)" at the keyword's file and line (`-t --strict` makes it
// an error) and skips it, block and all. Rows marked `declared` are read into
// the model by the keyword files but nothing in the daemon acts on them yet.
//
// Sections are block paths as in keepalived.conf(5): `top`, `global_defs`,
// `vrrp_instance`, `virtual_server/real_server`, ...; `CHECKER_TYPE` stands for
// every checker block, and HTTP_GET's rows hold for SSL_GET too.
//
// Accepted silently instead: keywords keepalived itself ignores on Linux
// (vrrp_instance `debug`, "not implemented yet" in keepalived.conf(5)).

interface Row {
  section: string;
  keywords: string[];
  why: string;
  /** parsed into the model (the keyword files declare it), not acted on */
  declared?: true;
}

const row = (section: string, keywords: string[], why: string, declared?: true): Row => ({
  section,
  keywords,
  why,
  ...(declared ? { declared } : {}),
});

const RS = 'virtual_server/real_server';
const SNMP = 'keepalive-ts has no SNMP agent; use `keepalive-ts status --json` or the metrics';

const ROWS: Row[] = [
  row(
    'top',
    ['net_namespace', 'net_namespace_ipvs'],
    'run keepalive-ts inside the namespace: ip netns exec NAME keepalive-ts ...',
  ),
  row('top', ['namespace_with_ipsets'], 'keepalive-ts uses no ipsets'),
  row('top', ['instance', 'use_pid_dir'], 'give each daemon its own -p PIDFILE and --control PATH'),

  row(
    'global_defs',
    ['tmp_config_directory', 'config_save_dir'],
    'the config is read once by one process',
  ),
  row(
    'global_defs',
    [
      'snmp_socket',
      'enable_snmp_vrrp',
      'enable_snmp_checker',
      'enable_snmp_rfc',
      'enable_snmp_rfcv2',
      'enable_snmp_rfcv3',
      'enable_traps',
    ],
    SNMP,
  ),
  row(
    'global_defs',
    ['enable_dbus', 'dbus_service_name'],
    'keepalive-ts has no D-Bus interface; use the control socket (keepalive-ts status)',
  ),
  row(
    'global_defs',
    ['reload_time_file', 'reload_repeat', 'reload_file'],
    'reload with SIGHUP; check a new config first with keepalive-ts -t',
  ),
  row('global_defs', ['data_use_instance'], 'no per-instance data files'),

  row('vrrp_instance', ['use_ipvlan'], 'no ipvlan interfaces; use_vmac (macvlan) is supported'),
  row('vrrp_instance', ['vrf'], 'no VRF binding'),

  row(
    'vrrp_sync_group',
    ['notify_deleted'],
    'keepalived 2.2.7 does not know it either (Unknown keyword); it is a vrrp_instance keyword',
  ),

  row('virtual_server', ['snmp_name'], SNMP),
  row(RS, ['snmp_name'], SNMP),
  row(
    `${RS}/FILE_CHECK`,
    ['dynamic'],
    "keepalived 2.2.7 does not know it either (Unknown keyword; its man page documents it): a FILE_CHECK's weight always changes the real server's weight",
  ),
  row(
    `${RS}/PING_CHECK`,
    ['bind_port'],
    'ICMP has no ports; keepalived 2.2.7 accepts it and does nothing with it',
  ),
];

/** section -> keyword -> message */
const TABLE = new Map<string, Map<string, string>>();
for (const r of ROWS) {
  const m = TABLE.get(r.section) ?? new Map<string, string>();
  for (const k of r.keywords)
    m.set(k, `${k}: not supported by keepalive-ts${r.declared ? ' yet' : ''} (${r.why})`);
  TABLE.set(r.section, m);
}

export const UNSUPPORTED_ROWS: readonly Row[] = ROWS;

const CHECKER =
  /^(TCP_CHECK|HTTP_GET|SSL_GET|MISC_CHECK|DNS_CHECK|UDP_CHECK|PING_CHECK|SMTP_CHECK)$/;

/** The warning for `keyword` in the block at `path` (block keywords from the top), if unsupported. */
export function unsupportedMessage(path: readonly string[], keyword: string): string | undefined {
  const sections = [path.length ? path.join('/') : 'top'];
  const last = path[path.length - 1];
  const head = path.slice(0, -1).join('/');
  if (last && CHECKER.test(last)) sections.push(`${head}/CHECKER_TYPE`);
  if (last === 'SSL_GET') sections.push(`${head}/HTTP_GET`);
  if (last === 'url' && path[path.length - 2] === 'SSL_GET')
    sections.push(`${path.slice(0, -2).join('/')}/HTTP_GET/url`);
  for (const s of sections) {
    const m = TABLE.get(s)?.get(keyword);
    if (m) return m;
  }
  return undefined;
}
