// Keyword tables: global_defs, vrrp_instance, vrrp_sync_group, vrrp_script.
import { instance } from './helpers';
import { g, vi, table } from './keyword-table';
import { globalGarp } from '../../../daemon/vrrp/announce';

table(
  'global_defs',
  [
    [g(' vrrp_priority -10'), (c) => c.global_defs.vrrp_priority, -10],
    [g(' vrrp_rt_priority 50'), (c) => c.global_defs.vrrp_rt_priority, 50],
    [g(' router_id lb1'), (c) => c.global_defs.router_id, 'lb1'],
    [
      g(''),
      (c) => [
        c.global_defs.vrrp_version,
        globalGarp(c.global_defs).masterDelay,
        globalGarp(c.global_defs).masterRepeat,
      ],
      [2, 5, 5],
    ],
    [g(' vrrp_version 3'), (c) => c.global_defs.vrrp_version, 3],
    [
      g(' vrrp_garp_master_refresh 60\n vrrp_garp_master_refresh_repeat 2'),
      (c) => [
        c.global_defs.vrrp_garp_master_refresh,
        c.global_defs.vrrp_garp_master_refresh_repeat,
      ],
      [60, 2],
    ],
    [g(' vrrp_garp_lower_prio_repeat 3'), (c) => c.global_defs.vrrp_garp_lower_prio_repeat, 3],
    [g(' vrrp_higher_prio_send_advert'), (c) => c.global_defs.vrrp_higher_prio_send_advert, true],
    [
      g(' vrrp_higher_prio_send_advert off'),
      (c) => c.global_defs.vrrp_higher_prio_send_advert,
      false,
    ],
    [
      g(' notification_email {\n  a@example.org\n  b@example.org\n }'),
      (c) => c.global_defs.notification_email,
      ['a@example.org', 'b@example.org'],
    ],
    [
      g(' smtp_server 10.0.0.25 2525'),
      (c) => c.global_defs.smtp_server,
      { address: '10.0.0.25', port: 2525 },
    ],
    [
      g(' smtp_server mail.example.org'),
      (c) => c.global_defs.smtp_server,
      { address: 'mail.example.org', port: 25 },
    ],
    [
      g(' smtp_alert\n smtp_alert_vrrp off\n smtp_helo_name lb1.example.org'),
      (c) => [
        c.global_defs.smtp_alert,
        c.global_defs.smtp_alert_vrrp,
        c.global_defs.smtp_alert_checker,
        c.global_defs.smtp_helo_name,
      ],
      [true, false, undefined, 'lb1.example.org'],
    ],
    [g(' lvs_backend nftables'), (c) => c.global_defs.lvs_backend, 'nftables'],
    [
      g(''),
      (c) => [c.global_defs.lvs_backend, c.global_defs.vrrp_v3_checksum],
      ['auto', 'keepalived'],
    ],
    [g(' vrrp_v3_checksum rfc9568'), (c) => c.global_defs.vrrp_v3_checksum, 'rfc9568'],
    [
      g(' script_user keepalived_script nogroup'),
      (c) => c.global_defs.script_user,
      { user: 'keepalived_script', group: 'nogroup' },
    ],
  ],
  [
    [g(' vrrp_version 4'), "2 error vrrp_version: number '4' outside range [2, 3]"],
    [g(' lvs_backend xdp'), "2 error lvs_backend: 'xdp' is not one of auto, ipvs, nftables"],
    [
      g(' vrrp_strict maybe'),
      "2 error vrrp_strict: expected yes/no/on/off/true/false, got 'maybe'",
    ],
    [
      g(' smtp_server mail_server'),
      "2 error smtp_server: 'mail_server' is neither an IP address nor a host name",
    ],
    [g(' vrrp_rt_priority 100'), "2 error vrrp_rt_priority: number '100' outside range [1, 99]"],
    [g(' no_such_thing 1'), "2 warning unknown keyword 'no_such_thing'"],
    [
      g(' enable_snmp_vrrp'),
      '2 warning enable_snmp_vrrp: not supported by keepalive-ts (keepalive-ts has no SNMP agent; use `keepalive-ts status --json` or the metrics)',
    ],
  ],
);

table(
  'vrrp_instance',
  [
    [
      instance(''),
      (c) => [vi(c).state, vi(c).priority, vi(c).advert_int, vi(c).nopreempt, vi(c).preempt_delay],
      ['BACKUP', 100, 1, false, 0],
    ],
    [
      instance(' state MASTER\n priority 150'),
      (c) => [vi(c).state, vi(c).priority],
      ['MASTER', 150],
    ],
    [instance(' state master'), (c) => vi(c).state, 'MASTER'],
    [instance(' advert_int 0.5\n version 3'), (c) => [vi(c).advert_int, vi(c).version], [0.5, 3]],
    [instance(' nopreempt'), (c) => vi(c).nopreempt, true],
    [instance(' no_preempt'), (c) => vi(c).nopreempt, true],
    [instance(' preempt_delay 30'), (c) => vi(c).preempt_delay, 30],
    [
      instance(' authentication {\n  auth_type PASS\n  auth_pass secret\n }'),
      (c) => vi(c).authentication?.auth_pass,
      'secret',
    ],
    [
      instance(' authentication {\n  auth_type PASS\n  auth_pass 0123456789\n }'),
      (c) => vi(c).authentication?.auth_pass,
      '01234567',
    ],
    [
      instance(
        ' virtual_ipaddress {\n  10.0.0.5/24 brd 10.0.0.255 dev eth1 scope global label eth1:vip\n }',
      ),
      (c) => {
        const v = vi(c).virtual_ipaddress[1];
        return [v.address, v.prefix, v.brd, v.dev, v.scope, v.label];
      },
      ['10.0.0.5', 24, '10.0.0.255', 'eth1', 'global', 'eth1:vip'],
    ],
    [
      instance(' virtual_ipaddress_excluded {\n  10.9.9.9\n }'),
      (c) => vi(c).virtual_ipaddress_excluded.map((v) => v.address),
      ['10.9.9.9'],
    ],
    [
      instance(' unicast_src_ip 10.0.0.2\n unicast_peer {\n  10.0.0.3\n  10.0.0.4 min_ttl 250\n }'),
      (c) => [vi(c).unicast_src_ip, vi(c).unicast_peer.map((p) => [p.address, p.min_ttl])],
      [
        '10.0.0.2',
        [
          ['10.0.0.3', undefined],
          ['10.0.0.4', 250],
        ],
      ],
    ],
    [
      instance(' track_interface {\n  eth1 weight -20\n  eth2\n }'),
      (c) => vi(c).track_interface.map((t) => [t.name, t.weight]),
      [
        ['eth1', -20],
        ['eth2', undefined],
      ],
    ],
    [
      'vrrp_script chk {\n script "/bin/true"\n}\n' +
        instance(' track_script {\n  chk weight 10 reverse\n }'),
      (c) => vi(c).track_script.map((t) => [t.name, t.weight, t.reverse]),
      [['chk', 10, true]],
    ],
    [
      instance(' notify_backup /etc/k/backup.sh\n notify_fault "/etc/k/f.sh x"'),
      (c) => [vi(c).notify_backup?.cmd, vi(c).notify_fault?.cmd],
      ['/etc/k/backup.sh', '/etc/k/f.sh x'],
    ],
    [
      instance(' notify_stop /s.sh\n notify /all.sh'),
      (c) => [vi(c).notify_stop?.cmd, vi(c).notify?.cmd],
      ['/s.sh', '/all.sh'],
    ],
    [
      instance(
        ' garp_master_delay 1\n garp_master_repeat 3\n garp_lower_prio_repeat 2\n garp_master_refresh 30',
      ),
      (c) => [
        vi(c).garp_master_delay,
        vi(c).garp_master_repeat,
        vi(c).garp_lower_prio_repeat,
        vi(c).garp_master_refresh,
      ],
      [1, 3, 2, 30],
    ],
    [
      instance(' higher_prio_send_advert\n lower_prio_no_advert false'),
      (c) => [vi(c).higher_prio_send_advert, vi(c).lower_prio_no_advert],
      [true, false],
    ],
  ],
  [
    [instance(' priority 256'), "7 error priority: number '256' outside range [1, 255]"],
    [instance(' priority high'), "7 error priority: invalid number 'high'"],
    [instance(' advert_int 0'), "7 error advert_int: number '0' outside range [0.01, 255]"],
    [
      instance(' state SLAVE'),
      "7 warning state: unknown state 'SLAVE', using BACKUP (as keepalived does)",
    ],
    [instance(' state PRIMARY'), "7 error state: 'PRIMARY' is not MASTER or BACKUP"],
    [
      instance(' authentication {\n  auth_pass 0123456789\n }'),
      "8 warning auth_pass: longer than 8 characters, truncated to '01234567'",
    ],
    [
      instance(' authentication {\n  auth_type MD5\n }'),
      "8 error auth_type: 'MD5' is not PASS or AH",
    ],
    [
      instance(' virtual_ipaddress {\n  10.0.0.300\n }'),
      "8 error virtual_ipaddress: '10.0.0.300' is not an IP address",
    ],
    [
      instance(' virtual_ipaddress {\n  10.0.0.3/40\n }'),
      "8 error virtual_ipaddress: number '40' outside range [0, 32]",
    ],
    [
      instance(' virtual_ipaddress {\n  10.0.0.3 scope galaxy\n }'),
      "8 error virtual_ipaddress: scope 'galaxy' is not one of site, link, host, nowhere, global",
    ],
    [
      instance(' unicast_peer {\n  peer1\n }'),
      "8 error unicast_peer: 'peer1' is not an IP address",
    ],
    [
      instance(' track_interface {\n  eth1 weight 300\n }'),
      "8 error weight: number '300' outside range [-254, 254]",
    ],
    [instance(' priority'), '7 error priority: missing value'],
    [instance(' priority { 5 }'), '7 error priority: takes a value, not a block'],
    [instance(' authentication PASS'), '7 error authentication: expects a block { ... }'],
    [instance(' unknown_instance_kw 1'), "7 warning unknown keyword 'unknown_instance_kw'"],
  ],
);

table(
  'vrrp_sync_group and vrrp_script',
  [
    [
      instance('', 'A') +
        instance('', 'B').replace('virtual_router_id 51', 'virtual_router_id 52') +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n notify_master /m.sh\n}\n',
      (c) => [
        c.vrrp_sync_group[0].name,
        c.vrrp_sync_group[0].group.map((m) => m.name),
        c.vrrp_sync_group[0].notify_master?.cmd,
      ],
      ['G', ['A', 'B'], '/m.sh'],
    ],
    [
      'vrrp_script chk_nginx {\n script "pidof nginx"\n interval 2\n timeout 1\n weight -30\n rise 2\n fall 3\n user nobody\n}\n',
      (c) => {
        const s = c.vrrp_script[0];
        return [s.name, s.script, s.interval, s.timeout, s.weight, s.rise, s.fall, s.user];
      },
      ['chk_nginx', 'pidof nginx', 2, 1, { value: -30, reverse: false }, 2, 3, { user: 'nobody' }],
    ],
    [
      'vrrp_script c {\n script /x\n}\n',
      (c) => [
        c.vrrp_script[0].interval,
        c.vrrp_script[0].weight.value,
        c.vrrp_script[0].rise,
        c.vrrp_script[0].fall,
      ],
      [1, 0, 1, 1],
    ],
  ],
  [
    [
      'vrrp_sync_group G {\n group {\n  NOPE\n }\n}\n',
      "3 error vrrp_sync_group G: no vrrp_instance named 'NOPE'",
    ],
    ['vrrp_script c {\n interval 2\n}\n', "1 error vrrp_script c: no 'script' given"],
    [
      'vrrp_script c {\n script /x\n weight -300\n}\n',
      "3 error weight: number '-300' outside range [-253, 253]",
    ],
    ['vrrp_script {\n script /x\n}\n', '1 error vrrp_script: expects one name'],
  ],
);
