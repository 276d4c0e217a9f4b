// Keyword tables: virtual_server, real_server, checkers, accepted-but-ignored.
import { instance } from './helpers';
import { g, vs, rs, firstVs, firstRs, check, table } from './keyword-table';

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
    [
      'virtual_server_group web {\n 10.0.0.1 80\n}\nvirtual_server group web {\n}\n',
      (c) => firstVs(c).key,
      { kind: 'group', group: 'web' },
    ],
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
      g(' snmp_socket tcp:localhost:705'),
      '2 warning snmp_socket: not supported by keepalive-ts (keepalive-ts has no SNMP agent; use `keepalive-ts status --json` or the metrics)',
    ],
    [
      instance(' use_ipvlan'),
      '7 warning use_ipvlan: not supported by keepalive-ts (no ipvlan interfaces; use_vmac (macvlan) is supported)',
    ],
    // in a block where keepalived does not have it, a keyword is unknown
    [
      vs(' protocol TCP', rs('  TCP_CHECK {\n   enable_snmp_checker\n  }')),
      "5 warning unknown keyword 'enable_snmp_checker'",
    ],
    [
      vs(' protocol TCP', rs('  SSL_GET {\n   url {\n    path /\n    regex_stack 1 2\n   }\n  }')),
      '5 warning regex parameters specified without regex; ignored',
    ],
  ],
);
