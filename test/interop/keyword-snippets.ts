// A minimal valid snippet per keyword of keepalived.conf(5) for the interop
// tier: the keyword's line with a value keepalived accepts, inside the blocks
// of its section, inside a config that is otherwise clean for both config
// tests (keepalived -t fails on any reported problem, even "no scheduler set").
import type { ManKeyword } from '../unit/config/manpage-keywords';

/** `keyword value` lines where the bare keyword is not a valid use (by keyword, any section). */
const VALUE: Record<string, string> = {
  notification_email: 'notification_email {\n  ops@example.org\n }',
  notification_email_from: 'notification_email_from k@example.org',
  smtp_server: 'smtp_server 127.0.0.1 25',
  smtp_connect_timeout: 'smtp_connect_timeout 30',
  router_id: 'router_id lb1',
  lvs_sync_daemon: 'lvs_sync_daemon eth0 id 5 port 8849 ttl 2 group 239.0.0.9',
  vrrp_mcast_group4: 'vrrp_mcast_group4 224.0.0.18',
  vrrp_garp_master_delay: 'vrrp_garp_master_delay 5',
  vrrp_garp_master_repeat: 'vrrp_garp_master_repeat 2',
  vrrp_garp_lower_prio_delay: 'vrrp_garp_lower_prio_delay 5',
  vrrp_garp_lower_prio_repeat: 'vrrp_garp_lower_prio_repeat 2',
  vrrp_garp_master_refresh: 'vrrp_garp_master_refresh 60',
  vrrp_garp_master_refresh_repeat: 'vrrp_garp_master_refresh_repeat 2',
  vrrp_version: 'vrrp_version 3',
  vrrp_priority: 'vrrp_priority -5',
  vrrp_rt_priority: 'vrrp_rt_priority 50',
  script_user: 'script_user root',
  notify_fifo: 'notify_fifo @DIR@/notify.fifo',
  vrrp_notify_fifo: 'vrrp_notify_fifo @DIR@/vrrp.fifo',
  lvs_notify_fifo: 'lvs_notify_fifo @DIR@/lvs.fifo',
  script: 'script "/bin/true"',
  interval: 'interval 2',
  timeout: 'timeout 2',
  rise: 'rise 2',
  fall: 'fall 2',
  state: 'state MASTER',
  interface: 'interface eth0',
  track_interface: 'track_interface {\n  lan0 weight 10\n }',
  track_script: 'track_script {\n  chk\n }',
  smtp_helo_name: 'smtp_helo_name lb1.example.org',
  mcast_src_ip: 'mcast_src_ip 10.0.0.2',
  unicast_src_ip: 'unicast_src_ip 10.0.0.2',
  version: 'version 3',
  unicast_peer: 'unicast_peer {\n  10.0.0.3\n }',
  garp_master_delay: 'garp_master_delay 5',
  garp_master_repeat: 'garp_master_repeat 2',
  garp_lower_prio_delay: 'garp_lower_prio_delay 5',
  garp_lower_prio_repeat: 'garp_lower_prio_repeat 2',
  garp_master_refresh: 'garp_master_refresh 60',
  garp_master_refresh_repeat: 'garp_master_refresh_repeat 2',
  down_timer_adverts: 'down_timer_adverts 4',
  virtual_router_id: 'virtual_router_id 51',
  priority: 'priority 150',
  advert_int: 'advert_int 2',
  authentication: 'authentication {\n  auth_type PASS\n  auth_pass secret\n }',
  virtual_ipaddress: 'virtual_ipaddress {\n  10.0.0.5/24 brd + dev eth0\n }',
  virtual_ipaddress_excluded: 'virtual_ipaddress_excluded {\n  10.0.0.6/24\n }',
  preempt_delay: 'preempt_delay 10',
  debug: 'debug 1',
  notify_master: 'notify_master "/bin/true master"',
  notify_backup: 'notify_backup /bin/true',
  notify_fault: 'notify_fault /bin/true',
  notify_stop: 'notify_stop /bin/true',
  notify: 'notify /bin/true',
  notify_master_rx_lower_pri: 'notify_master_rx_lower_pri /bin/true',
  notify_fifo_script: 'notify_fifo_script /bin/true',
  vrrp_notify_fifo_script: 'vrrp_notify_fifo_script /bin/true',
  startup_script: 'startup_script /bin/true',
  startup_script_timeout: 'startup_script_timeout 5',
  shutdown_script: 'shutdown_script /bin/true',
  shutdown_script_timeout: 'shutdown_script_timeout 5',
  umask: 'umask IWGRP|IWOTH',
  lvs_sched: 'lvs_sched wrr',
  lvs_method: 'lvs_method DR',
  persistence_timeout: 'persistence_timeout 50',
  persistence_granularity: 'persistence_granularity 255.255.255.0',
  ip_family: 'ip_family inet',
  protocol: 'protocol TCP',
  virtualhost: 'virtualhost www.example.org',
  quorum: 'quorum 1',
  hysteresis: 'hysteresis 0',
  quorum_up: 'quorum_up /bin/true',
  quorum_down: 'quorum_down /bin/true',
  sorry_server: 'sorry_server 10.0.2.1 80',
  sorry_server_lvs_method: 'sorry_server_lvs_method NAT',
  connect_timeout: 'connect_timeout 3',
  retry: 'retry 2',
  delay_before_retry: 'delay_before_retry 2',
  warmup: 'warmup 2',
  delay_loop: 'delay_loop 10',
  real_server: 'real_server 10.0.1.2 80 {\n  weight 1\n }',
  weight: 'weight 2',
  notify_up: 'notify_up /bin/true',
  notify_down: 'notify_down /bin/true',
  HTTP_GET: 'HTTP_GET {\n  url {\n   path /\n   status_code 200\n  }\n }',
  SSL_GET: 'SSL_GET {\n  url {\n   path /\n   status_code 200\n  }\n }',
  TCP_CHECK: 'TCP_CHECK {\n  connect_timeout 3\n }',
  DNS_CHECK: 'DNS_CHECK {\n  name example.org\n }',
  UDP_CHECK: 'UDP_CHECK {\n  connect_timeout 3\n }',
  PING_CHECK: 'PING_CHECK {\n  connect_timeout 3\n }',
  SMTP_CHECK: 'SMTP_CHECK {\n  helo_name lb1.example.org\n }',
  helo_name: 'helo_name lb1.example.org',
  payload: 'payload 0a0b0c',
  require_reply: 'require_reply 0X0b',
  min_reply_length: 'min_reply_length 1',
  max_reply_length: 'max_reply_length 100',
  MISC_CHECK: 'MISC_CHECK {\n  misc_path /bin/true\n }',
  connect_ip: 'connect_ip 10.0.1.1',
  connect_port: 'connect_port 8080',
  bindto: 'bindto 10.0.0.2',
  fwmark: 'fwmark 5',
  bind_if: 'bind_if lo',
  bind_port: 'bind_port 10000',
  BFD_CHECK: 'BFD_CHECK {\n  name b1\n }',
  url: 'url {\n  path /health\n  status_code 200\n }',
  path: 'path /x',
  digest: 'digest 9b3a0c85a887a256d6939da88aabd8cd',
  status_code: 'status_code 200-299',
  type: 'type A',
  name: 'name example.org',
  misc_path: 'misc_path /bin/true',
  misc_timeout: 'misc_timeout 5',
  auth_type: 'auth_type PASS',
  regex: 'regex ^OK',
  regex_options: 'regex_options caseless multiline',
  regex_min_offset: 'regex_min_offset 2',
  regex_max_offset: 'regex_max_offset 200',
  regex_stack: 'regex_stack 1000 20000',
  http_protocol: 'http_protocol 1.0C',
  auth_pass: 'auth_pass secret',
  group: 'group {\n  VI_1\n }',
  nftables_ipvs_priority: 'nftables_ipvs_priority -5',
  nftables_ipvs_start_fwmark: 'nftables_ipvs_start_fwmark 2000',
  lvs_netlink_cmd_rcv_bufs: 'lvs_netlink_cmd_rcv_bufs 1048576',
  lvs_netlink_monitor_rcv_bufs: 'lvs_netlink_monitor_rcv_bufs 1048576',
  // the sh / mh flags count after their scheduler; sorry_server_inhibit after sorry_server
  'sh-port': 'lvs_sched sh\n sh-port',
  'sh-fallback': 'lvs_sched sh\n sh-fallback',
  'mh-port': 'lvs_sched mh\n mh-port',
  'mh-fallback': 'lvs_sched mh\n mh-fallback',
  persistence_engine: 'persistence_timeout 50\n persistence_engine sip',
  sorry_server_inhibit: 'sorry_server 10.0.2.1 80\n sorry_server_inhibit',
};

/** Values that differ by section. */
const SECTION_VALUE: Record<string, string> = {
  // a sync group's tracker lists name trackers no block defines here: both config tests report it
  'vrrp_sync_group track_file': 'track_file {\n  tf_missing\n }',
  'vrrp_sync_group track_process': 'track_process {\n  tp_missing\n }',
  'vrrp_sync_group track_bfd': 'track_bfd {\n  bfd_missing\n }',
  'top global_defs': 'global_defs {\n router_id lb2\n}',
  'top vrrp_script': 'vrrp_script chk2 {\n script "/bin/true"\n}',
  'top vrrp_instance':
    'vrrp_instance VI_9 {\n interface lan0\n virtual_router_id 9\n virtual_ipaddress {\n  10.9.0.1/24\n }\n}',
  'top vrrp_sync_group': 'vrrp_sync_group G9 {\n group {\n  VI_1\n  VI_2\n }\n}',
  'top virtual_server':
    'virtual_server 10.0.0.9 443 {\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n}',
  'top static_ipaddress': 'static_ipaddress {\n 10.9.9.9/24 dev eth0\n}',
  'top static_routes': 'static_routes {\n 10.8.0.0/24 dev eth0\n}',
  'top static_rules': 'static_rules {\n from 10.8.0.0/24 table 100\n}',
  'top linkbeat_interfaces': 'linkbeat_interfaces {\n eth0\n}',
  'top child_wait_time': 'child_wait_time 5',
  'top interface_up_down_delays': 'interface_up_down_delays {\n eth0 1\n}',
  'vrrp_script weight': 'weight -10',
  'vrrp_instance smtp_alert': 'smtp_alert',
  'virtual_server/real_server/HTTP_GET/url virtualhost': 'virtualhost www.example.org',
  'virtual_server/real_server/MISC_CHECK user': 'user root',
  // no track_file block here: both config tests report the name
  'virtual_server/real_server/FILE_CHECK track_file': 'track_file tf_missing',
  'top SSL': 'SSL {\n ca /etc/ssl/certs/ca-certificates.crt\n}',
  'SSL password': 'password secret',
  'SSL ca': 'ca /etc/ssl/certs/ca-certificates.crt',
  'SSL certificate': 'certificate /etc/ssl/certs/client.pem',
  'SSL key': 'key /etc/ssl/private/client.key',
  'virtual_server/real_server/BFD_CHECK name': 'name b1',
};

const SECTION_BODY: Record<string, string> = {
  // the checker of each section, with what it needs
  'virtual_server/real_server/HTTP_GET': 'url {\n path /\n status_code 200\n}',
  'virtual_server/real_server/SSL_GET': 'url {\n path /\n status_code 200\n}',
  'virtual_server/real_server/MISC_CHECK': 'misc_path /bin/true',
  'vrrp_instance/authentication': 'auth_type PASS\n auth_pass secret',
};

const GLOBAL = ' enable_script_security\n script_user root';
const INSTANCES =
  'vrrp_script chk {\n script "/bin/true"\n}\n' +
  'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.1/24\n }\n#I\n}\n' +
  'vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {\n  10.0.0.2/24\n }\n}\n';
const VS = (rs: string, vs = '') =>
  `virtual_server 10.0.0.1 80 {\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n${vs}\n real_server 10.0.1.1 80 {\n${rs}\n }\n}\n`;

/** The keyword's line: its value from the tables, else the bare keyword (a flag). */
export const lineOf = (k: ManKeyword) =>
  SECTION_VALUE[`${k.section} ${k.keyword}`] ?? VALUE[k.keyword] ?? k.keyword;

/** Keywords with no snippet: keepalived -t would act on the host (namespaces). */
export const NO_SNIPPET: Record<string, string> = {
  'top net_namespace': 'keepalived enters (and may create) the namespace',
  'top net_namespace_ipvs': 'keepalived enters (and may create) the namespace',
};

/** A whole config using `k` (`@DIR@` stands for a scratch directory). */
export function snippet(k: ManKeyword): string {
  const text = snippetOf(k);
  // BFD_CHECK names a bfd_instance, which keepalived must have read before
  return /BFD_CHECK/.test(`${k.section} ${k.keyword}`)
    ? 'bfd_instance b1 {\n neighbor_ip 10.0.0.3\n}\n' + text
    : text;
}

function snippetOf(k: ManKeyword): string {
  const line = lineOf(k);
  const s = k.section;
  const parts = s.split('/');
  if (s === 'global_defs') return `global_defs {\n${GLOBAL}\n ${line}\n}\n`;
  const head = `global_defs {\n${GLOBAL}\n}\n`;
  if (s === 'top') return head + INSTANCES.replace('#I', '') + line + '\n';
  if (s === 'vrrp_instance') return head + INSTANCES.replace('#I', ` ${line}`);
  if (s === 'vrrp_instance/authentication')
    return head + INSTANCES.replace('#I', ` authentication {\n  ${line}\n }`);
  if (s === 'vrrp_script')
    return head + INSTANCES.replace('script "/bin/true"', `script "/bin/true"\n ${line}`);
  if (s === 'vrrp_sync_group')
    return head + INSTANCES + `vrrp_sync_group G1 {\n group {\n  VI_1\n  VI_2\n }\n ${line}\n}\n`;
  if (s === 'virtual_server') return head + VS('  weight 1', ` ${line}`);
  if (s === 'virtual_server/real_server') return head + VS(`  ${line}`);
  if (parts[0] === 'virtual_server' && parts.length >= 3) {
    const checker = parts[2] === 'CHECKER_TYPE' ? 'TCP_CHECK' : parts[2];
    const own = SECTION_BODY[`virtual_server/real_server/${checker}`] ?? '';
    const body =
      parts[3] === 'url' ? `url {\n path /\n status_code 200\n ${line}\n}` : `${own}\n ${line}`;
    return head + VS(`  ${checker} {\n ${body}\n  }`);
  }
  if (parts[0] === 'SSL') return head + INSTANCES.replace('#I', '') + `SSL {\n ${line}\n}\n`;
  // the other top-level blocks keepalive-ts does not implement
  return head + `${parts[0]} X1 {\n ${line}\n}\n`;
}
