// Table-driven: one table per keyword family. Each row is a snippet, a
// function that picks a value out of the model, and the expected value.
import { strict as assert } from 'node:assert';
import type { Config } from '../../../daemon/config/model';
import { instance, parse } from './helpers';

type Row = [snippet: string, pick: (c: Config) => unknown, expected: unknown];
type Bad = [snippet: string, diagnostic: string];

function table(name: string, rows: Row[], bad: Bad[] = []) {
  describe(`keywords: ${name}`, () => {
    for (const [snippet, pick, expected] of rows) {
      it(`${snippet.trim().split('\n').slice(-2).join(' | ')} -> ${JSON.stringify(expected)}`, () => {
        const r = parse(snippet);
        assert.deepEqual(
          r.diagnostics.filter((d) => d.level === 'error'),
          [],
          r.diags.join('\n'),
        );
        assert.deepEqual(pick(r.config), expected);
      });
    }
    for (const [snippet, diagnostic] of bad) {
      it(`rejects: ${snippet.trim().split('\n').slice(-2).join(' | ')}`, () => {
        const r = parse(snippet);
        assert.ok(
          r.diags.includes(diagnostic),
          `expected "${diagnostic}" in:\n${r.diags.join('\n')}`,
        );
      });
    }
  });
}

const g = (body: string) => `global_defs {\n${body}\n}\n`;
const vi = (c: Config) => c.vrrp_instance[0];
const vs = (body: string, rs = '') => `virtual_server 10.0.0.1 80 {\n${body}\n${rs}\n}\n`;
const rs = (body: string) => ` real_server 10.0.1.1 8080 {\n${body}\n }`;
const firstVs = (c: Config) => c.virtual_server[0];
const firstRs = (c: Config) => c.virtual_server[0].real_server[0];
const check = (c: Config) => c.virtual_server[0].real_server[0].checkers[0];

table(
  'global_defs',
  [
    [g(' router_id lb1'), (c) => c.global_defs.router_id, 'lb1'],
    [
      g(''),
      (c) => [
        c.global_defs.vrrp_version,
        c.global_defs.vrrp_garp_master_delay,
        c.global_defs.vrrp_garp_master_repeat,
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
      g(' smtp_server mail.example.org'),
      "2 error smtp_server: 'mail.example.org' is not an IP address",
    ],
    [g(' no_such_thing 1'), "2 warning unknown keyword 'no_such_thing'"],
    [g(' enable_snmp_vrrp'), '2 warning enable_snmp_vrrp: not supported by keepalive-ts, ignored'],
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
      "8 error auth_type: 'MD5' is not one of PASS, AH",
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

table(
  'virtual_server',
  [
    [
      vs(''),
      (c) => {
        const v = firstVs(c);
        return [
          v.delay_loop,
          v.lvs_sched,
          v.lvs_method,
          v.persistence_timeout,
          v.protocol,
          v.quorum,
          v.hysteresis,
          v.alpha,
          v.omega,
          v.ha_suspend,
        ];
      },
      [60, 'wlc', 'NAT', 0, 'TCP', 1, 0, false, false, false],
    ],
    [
      vs(' lb_algo sh\n lb_kind TUN'),
      (c) => [firstVs(c).lvs_sched, firstVs(c).lvs_method],
      ['sh', 'TUN'],
    ],
    [
      vs(' lvs_sched mh\n lvs_method DR'),
      (c) => [firstVs(c).lvs_sched, firstVs(c).lvs_method],
      ['mh', 'DR'],
    ],
    [vs(' persistence_timeout'), (c) => firstVs(c).persistence_timeout, 360],
    [
      vs(' persistence_timeout 50\n protocol UDP'),
      (c) => [firstVs(c).persistence_timeout, firstVs(c).protocol],
      [50, 'UDP'],
    ],
    [
      vs(' quorum 3\n hysteresis 1\n quorum_up "/q up"\n quorum_down /qd'),
      (c) => [
        firstVs(c).quorum,
        firstVs(c).hysteresis,
        firstVs(c).quorum_up?.cmd,
        firstVs(c).quorum_down?.cmd,
      ],
      [3, 1, '/q up', '/qd'],
    ],
    [
      vs(' sorry_server 10.0.9.9 8080\n alpha\n omega\n inhibit_on_failure\n ha_suspend'),
      (c) => [
        firstVs(c).sorry_server,
        firstVs(c).alpha,
        firstVs(c).omega,
        firstVs(c).inhibit_on_failure,
        firstVs(c).ha_suspend,
      ],
      [{ address: '10.0.9.9', port: 8080 }, true, true, true, true],
    ],
    ['virtual_server fwmark 7 {\n}\n', (c) => firstVs(c).key, { kind: 'fwmark', fwmark: 7 }],
    ['virtual_server group web {\n}\n', (c) => firstVs(c).key, { kind: 'group', group: 'web' }],
  ],
  [
    [
      vs(' lb_algo fastest'),
      "2 error lb_algo: 'fastest' is not one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, mh, sed, nq, fo, ovf, twos",
    ],
    [vs(' lb_kind BRIDGE'), "2 error lb_kind: 'BRIDGE' is not one of NAT, DR, TUN"],
    [vs(' protocol ICMP'), "2 error protocol: 'ICMP' is not one of TCP, UDP, SCTP"],
    [
      'virtual_server 10.0.0.1 70000 {\n}\n',
      "1 error virtual_server: number '70000' outside range [0, 65535]",
    ],
    ['virtual_server www 80 {\n}\n', "1 error virtual_server: 'www' is not an IP address"],
    [vs(' delay_loop -1'), "2 error delay_loop: number '-1' outside range [0.001, 2678400]"],
  ],
);

table(
  'real_server',
  [
    [
      vs('', rs('')),
      (c) => [
        firstRs(c).address,
        firstRs(c).port,
        firstRs(c).weight,
        firstRs(c).inhibit_on_failure,
      ],
      ['10.0.1.1', 8080, 1, false],
    ],
    [
      vs(' inhibit_on_failure', rs(' weight 5\n notify_up "/up.sh x"\n notify_down /down.sh')),
      (c) => [
        firstRs(c).weight,
        firstRs(c).notify_up?.cmd,
        firstRs(c).notify_down?.cmd,
        firstRs(c).inhibit_on_failure,
      ],
      [5, '/up.sh x', '/down.sh', true],
    ],
    [vs(' lb_kind DR', rs('')), (c) => firstRs(c).lvs_method, 'DR'],
    [
      vs('', rs(' weight 0\n inhibit_on_failure no')),
      (c) => [firstRs(c).weight, firstRs(c).inhibit_on_failure],
      [0, false],
    ],
  ],
  [
    [vs('', rs(' weight -1')), "4 error weight: number '-1' outside range [0, 65535]"],
    [vs('', ' real_server 10.0.1.1 80 90 {\n }'), '3 error real_server: expects <IPADDR> [<PORT>]'],
  ],
);

table(
  'checkers',
  [
    [
      vs(
        ' delay_loop 6',
        rs('  TCP_CHECK {\n   connect_timeout 3\n   retry 3\n   delay_before_retry 3\n  }'),
      ),
      (c) => {
        const k = check(c);
        return [k.type, k.connect_timeout, k.retry, k.delay_before_retry, k.delay_loop, k.warmup];
      },
      ['TCP_CHECK', 3, 3, 3, 6, 6],
    ],
    [
      vs(
        '',
        rs(
          '  TCP_CHECK {\n   nb_get_retry 4\n   connect_ip 10.0.2.2\n   connect_port 81\n   bindto 10.0.0.9\n   warmup 0\n  }',
        ),
      ),
      (c) => {
        const k = check(c);
        return [k.retry, k.connect_ip, k.connect_port, k.bindto, k.warmup];
      },
      [4, '10.0.2.2', 81, '10.0.0.9', 0],
    ],
    [
      vs(' delay_loop 10', rs('  TCP_CHECK {\n  }')),
      (c) => [
        check(c).connect_timeout,
        check(c).retry,
        check(c).delay_before_retry,
        check(c).warmup,
      ],
      [5, 1, 1, 10],
    ],
    [
      vs(' retry 2\n connect_timeout 1', rs('  retry 5\n  TCP_CHECK {\n  }')),
      (c) => [check(c).retry, check(c).connect_timeout],
      [5, 1],
    ],
    [
      vs(
        '',
        rs(
          '  HTTP_GET {\n   url {\n    path /health\n    digest 9b3a0c85a887a256d6939da88aabd8cd\n    status_code 200-299 301\n   }\n   virtualhost www.example.org\n  }',
        ),
      ),
      (c) => {
        const k = check(c);
        if (k.type !== 'HTTP_GET') return k.type;
        return [
          k.url[0].path,
          k.url[0].digest,
          k.url[0].status_code,
          k.virtualhost,
          k.retry,
          k.delay_before_retry,
        ];
      },
      [
        '/health',
        '9b3a0c85a887a256d6939da88aabd8cd',
        [
          { from: 200, to: 299 },
          { from: 301, to: 301 },
        ],
        'www.example.org',
        1,
        3,
      ],
    ],
    [
      vs(
        '',
        rs(
          '  SSL_GET {\n   url {\n    path /\n   }\n   url {\n    path /b\n   }\n   enable_sni\n  }',
        ),
      ),
      (c) => {
        const k = check(c);
        return k.type === 'SSL_GET' ? [k.url.map((u) => u.path), k.enable_sni] : k.type;
      },
      [['/', '/b'], true],
    ],
    [
      vs(
        ' delay_loop 4',
        rs('  MISC_CHECK {\n   misc_path "/usr/local/bin/check.sh 10.0.1.1"\n   misc_dynamic\n  }'),
      ),
      (c) => {
        const k = check(c);
        return k.type === 'MISC_CHECK'
          ? [k.misc_path, k.misc_dynamic, k.misc_timeout, k.retry]
          : k.type;
      },
      ['/usr/local/bin/check.sh 10.0.1.1', true, 4, 0],
    ],
    [
      vs(' delay_loop 7', rs('  DNS_CHECK {\n   type A\n   name example.org\n  }')),
      (c) => {
        const k = check(c);
        return k.type === 'DNS_CHECK'
          ? [k.query_type, k.name, k.retry, k.delay_before_retry]
          : k.type;
      },
      ['A', 'example.org', 3, 7],
    ],
    [
      vs('', rs('  DNS_CHECK {\n  }')),
      (c) => {
        const k = check(c);
        return k.type === 'DNS_CHECK' ? [k.query_type, k.name] : k.type;
      },
      ['SOA', '.'],
    ],
    [
      vs('', rs('  TCP_CHECK {\n  }\n  HTTP_GET {\n   url {\n    path /\n   }\n  }')),
      (c) => firstRs(c).checkers.map((k) => k.type),
      ['TCP_CHECK', 'HTTP_GET'],
    ],
  ],
  [
    [
      vs('', rs('  HTTP_GET {\n  }')),
      '4 error real_server 10.0.1.1 8080: HTTP_GET needs at least one url { path ... }',
    ],
    [
      vs('', rs('  MISC_CHECK {\n  }')),
      '4 error real_server 10.0.1.1 8080: MISC_CHECK needs misc_path',
    ],
    [
      vs('', rs('  HTTP_GET {\n   url {\n    path /\n    digest xyz\n   }\n  }')),
      "7 error digest: 'xyz' is not an MD5 digest (32 hex digits)",
    ],
    [
      vs('', rs('  HTTP_GET {\n   url {\n    path /\n    status_code 299-200\n   }\n  }')),
      "7 error status_code: range '299-200' is reversed",
    ],
    [
      vs('', rs('  DNS_CHECK {\n   type PTR\n  }')),
      "5 error type: 'PTR' is not one of A, NS, CNAME, SOA, MX, TXT, AAAA",
    ],
    [
      vs('', rs('  TCP_CHECK {\n   connect_port 99999\n  }')),
      "5 error connect_port: number '99999' outside range [0, 65535]",
    ],
  ],
);

// The accepted-but-ignored list is declared on the root block and holds in every nested block.
table(
  'accepted but ignored',
  [],
  [
    [
      'snmp_socket tcp:localhost:705\n',
      '1 warning snmp_socket: not supported by keepalive-ts, ignored',
    ],
    [instance(' use_vmac'), '7 warning use_vmac: not supported by keepalive-ts, ignored'],
    [
      vs(' protocol TCP', rs('  TCP_CHECK {\n   enable_snmp_checker\n  }')),
      '5 warning enable_snmp_checker: not supported by keepalive-ts, ignored',
    ],
    [
      vs(' protocol TCP', rs('  HTTP_GET {\n   url {\n    path /\n    vrrp_priority 3\n   }\n  }')),
      '7 warning vrrp_priority: not supported by keepalive-ts, ignored',
    ],
  ],
);
