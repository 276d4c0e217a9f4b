// static_ipaddress / static_routes / static_rules and an instance's
// virtual_routes / virtual_rules: every option of the route and rule lines,
// and the diagnostics (with their line) for what keepalived rejects or
// keepalive-ts does not install.
import { strict as assert } from 'node:assert';
import { setRtNamesReader } from '../../../daemon/config/keywords/rt-names';
import { instance, parse } from './helpers';

const routes = (line: string) => parse(`static_routes {\n ${line}\n}\n`);
const route = (line: string) => {
  const r = routes(line);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.level === 'error'),
    [],
    r.diags.join('\n'),
  );
  const { at, ...rest } = r.config.static_routes[0];
  assert.equal(at.line, 2);
  return rest;
};
const rules = (line: string) => parse(`static_rules {\n ${line}\n}\n`);
const rule = (line: string) => {
  const r = rules(line);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.level === 'error'),
    [],
    r.diags.join('\n'),
  );
  const rest: Partial<(typeof r.config.static_rules)[number]> = { ...r.config.static_rules[0] };
  delete rest.at;
  delete rest.no_track;
  return rest;
};

describe('keywords: static_routes / virtual_routes lines', () => {
  before(() =>
    setRtNamesReader((f) =>
      f === 'rt_tables'
        ? '100 isp1\n# comment\n0x200 isp2\nbad line here\n'
        : f === 'rt_realms'
          ? '5 cust\n'
          : undefined,
    ),
  );
  after(() => setRtNamesReader(undefined));

  it('destination, via, dev, src, table (number or rt_tables name), metric, protocol forced to keepalived', () => {
    assert.deepEqual(
      route('10.9.0.0/16 via 198.51.100.1 dev eth0 src 198.51.100.2 table isp1 metric 5'),
      {
        family: 4,
        dst: { address: '10.9.0.0', len: 16 },
        via: '198.51.100.1',
        dev: 'eth0',
        prefsrc: '198.51.100.2',
        table: 100,
        metric: 5,
        protocol: 18,
        no_track: false,
      },
    );
    assert.equal(route('10.9.0.0/16 dev eth0 table isp2').table, 512);
    assert.equal(route('10.9.0.0/16 dev eth0 table 70000').table, 70000);
    assert.equal(route('10.9.0.0/16 dev eth0 priority 7').metric, 7);
    assert.equal(route('10.9.0.0/16 dev eth0 preference 8').metric, 8);
    assert.equal(route('10.9.0.0/16 oif eth0').dev, 'eth0');
  });

  it('a type or "to" before the destination, default/any/all, scope/tos/onlink/realms', () => {
    const r = route('blackhole default no_track');
    assert.equal(route('to 10.1.0.0/16 dev eth0').dst.len, 16);
    assert.match(routes('blackhole to default').diags[0], /unknown route keyword to/);
    assert.equal(r.type, 6);
    assert.deepEqual(r.dst, { len: 0 });
    for (const [t, n] of [
      ['unreachable', 7],
      ['prohibit', 8],
      ['throw', 9],
      ['local', 2],
      ['unicast', 1],
    ] as const)
      assert.equal(route(`${t} 10.1.0.0/16 dev eth0`).type, n);
    const s = route('10.1.0.0/16 dev eth0 scope link tos 0x04 onlink realms 3/cust');
    assert.equal(s.scope, 253);
    assert.equal(s.tos, 4);
    assert.equal(s.flags, 4);
    assert.equal(s.realms, (3 << 16) | 5);
  });

  it('protocol names, kept only with no_track (keepalived resets it for tracked routes, with a warning)', () => {
    assert.equal(route('10.1.0.0/16 dev eth0 protocol bird no_track').protocol, 12);
    const r = routes('10.1.0.0/16 dev eth0 protocol bird');
    assert.equal(r.config.static_routes[0].protocol, 18);
    assert.match(r.diags[0], /^2 warning route: cannot be tracked if protocol/);
  });

  it('metrics: mtu/advmss/... with lock, rtt units, features ecn, congctl, quickack, hoplimit', () => {
    const r = route(
      '10.1.0.0/16 dev eth0 mtu lock 1400 advmss 1300 hoplimit 64 rtt 2s rttvar 300ms rto_min lock 250ms reordering 3 window 100 cwnd 10 ssthresh 20 initcwnd 30 initrwnd 40 features ecn quickack 1 fastopen_no_cookie 1 congctl lock cubic',
    );
    assert.deepEqual(r.metrics, {
      mtu: 1400,
      advmss: 1300,
      hoplimit: 64,
      rtt: 16000,
      rttvar: 1200,
      rto_min: 250,
      reordering: 3,
      window: 100,
      cwnd: 10,
      ssthresh: 20,
      initcwnd: 30,
      initrwnd: 40,
      features: 1,
      quickack: 1,
      fastopen_no_cookie: 1,
    });
    assert.equal(r.lock, (1 << 2) | (1 << 13) | (1 << 16));
    assert.equal(r.congctl, 'cubic');
    assert.equal(route('10.1.0.0/16 dev eth0 rtt 10ms').metrics!.rtt, 200 * 8, 'held at 200 ms');
  });

  it('IPv6: from (source routing), pref, expires; add/append/prepend', () => {
    const r = route(
      '2001:db8:5::/64 from 2001:db8:9::/48 via fe80::1 dev eth0 pref high expires 300 append',
    );
    assert.equal(r.family, 6);
    assert.deepEqual(r.src, { address: '2001:db8:9::', len: 48 });
    assert.equal(r.pref, 1);
    assert.equal(r.expires, 300);
    assert.equal(r.mode, 'append');
    assert.equal(route('10.1.0.0/16 dev eth0 add').mode, 'add');
    assert.equal(route('2001:db8::/64 dev eth0 inet6').family, 6);
  });

  it('multipath: nexthop via/dev/weight/onlink, ending the line', () => {
    const r = route(
      '10.7.0.0/16 dev eth0 nexthop via 198.51.100.1 dev eth0 weight 1 onlink nexthop via 198.51.100.2 dev eth1 weight 256',
    );
    assert.deepEqual(r.nexthops, [
      { via: '198.51.100.1', dev: 'eth0', weight: 1, flags: 4 },
      { via: '198.51.100.2', dev: 'eth1', weight: 256 },
    ]);
    assert.deepEqual(route('10.7.0.0/16 dev eth0 via 198.51.100.1 or 198.51.100.2').nexthops, [
      { via: '198.51.100.1' },
      { via: '198.51.100.2' },
    ]);
  });

  it('warnings where keepalived complains and still sets the route', () => {
    const r = routes('10.1.0.0/16 gw 198.51.100.1');
    assert.deepEqual(r.diags, [
      '2 warning route: "gw" is deprecated, use "via"',
      '2 warning route: cannot track route 10.1.0.0/16 gw 198.51.100.1 with no interface specified, not tracking (as keepalived)',
    ]);
    assert.equal(r.config.static_routes[0].no_track, true);
    assert.match(
      routes('inet6 X 2001:db8::/64 dev eth0').diags[0],
      /skips the word after inet6 \('X'\)/,
    );
    assert.match(
      routes('10.1.0.0/16 dev eth0 track_group G').diags[0],
      /track_group G is not supported/,
    );
  });

  it('options keepalive-ts does not install: a warning naming them, the route skipped', () => {
    for (const o of ['encap ip id 3 dst 1.2.3.4', 'vrf blue']) {
      const r = routes(`10.1.0.0/16 dev eth0 ${o}`);
      assert.equal(r.config.static_routes.length, 0);
      assert.deepEqual(r.diags, [
        `2 warning route: ${o.split(' ')[0]} is not supported by keepalive-ts; route not installed`,
      ]);
    }
  });

  it('errors with file and line for lines keepalived drops', () => {
    const bad: [string, string][] = [
      ['10.1.0.0/16 foo', 'route: unknown route keyword foo'],
      ['via 198.51.100.1 dev eth0', 'route: route must have a destination'],
      [
        '10.1.0.0/16 via 2001:db8::1 dev eth0',
        'route: cannot mix IPv4 and IPv6 addresses for route',
      ],
      ['10.1.0.0/16 dev eth0 table nosuch', 'route: routing table nosuch not found or invalid'],
      ['10.1.0.0/16 dev eth0 protocol nosuch', 'route: protocol nosuch not found or invalid'],
      ['10.1.0.0/16 dev eth0 metric x', 'route: invalid metric x'],
      ['10.1.0.0/16 dev eth0 mtu', 'route: missing value after mtu'],
      [
        '10.1.0.0/16 from 10.0.0.0/8 dev eth0',
        'route: from (source routing) is only supported with IPv6',
      ],
      [
        '10.1.0.0/16 dev eth0 nexthop via 198.51.100.1 weight 0',
        'route: invalid weight 0 specified for route',
      ],
      [
        '10.1.0.0/16 nexthop via 198.51.100.1 no_track',
        'route: trailing nonsense after nexthops - no_track',
      ],
      ['2001:db8::/64 dev eth0 realms 3', 'route: realms are only valid for IPv4'],
      ['10.1.0.0/16 dev eth0 pref high', 'route: pref is only valid for IPv6'],
      ['10.1.0.0/16 dev eth0 proto static', 'route: unknown route keyword proto'],
    ];
    for (const [line, msg] of bad) {
      const r = parse(`\nstatic_routes {\n ${line}\n}\n`);
      assert.ok(r.diags.includes(`3 error ${msg}`), `${line}:\n${r.diags.join('\n')}`);
      assert.equal(r.diagnostics.find((d) => d.level === 'error')!.file, '/cfg/keepalived.conf');
      assert.equal(r.config.static_routes.length, 0);
    }
  });

  it('virtual_routes in a vrrp_instance (track_group is not a keyword there)', () => {
    const r = parse(
      instance(
        ' virtual_routes {\n  10.5.0.0/16 via 198.51.100.1 dev eth0\n  10.6.0.0/16 dev eth0 track_group G\n }',
      ),
    );
    assert.equal(r.config.vrrp_instance[0].virtual_routes.length, 1);
    assert.ok(
      r.diags.includes('9 error route: unknown route keyword track_group'),
      r.diags.join('\n'),
    );
  });
});

describe('keywords: static_rules / virtual_rules lines', () => {
  it('from/to/table/priority and the actions', () => {
    assert.deepEqual(rule('from 10.0.0.0/8 to 10.1.0.0/16 table 100 priority 100'), {
      family: 4,
      from: { address: '10.0.0.0', len: 8 },
      to: { address: '10.1.0.0', len: 16 },
      table: 100,
      priority: 100,
      action: 1,
      protocol: 18,
    });
    assert.equal(rule('to 10.0.0.0/8 lookup main order 5').table, 254);
    assert.equal(rule('to 10.0.0.0/8 blackhole preference 5').action, 6);
    assert.equal(rule('to 10.0.0.0/8 type unreachable preference 5').action, 7);
    assert.equal(rule('to 10.0.0.0/8 prohibit preference 5').action, 8);
    assert.equal(rule('to 10.0.0.0/8 nop preference 5').action, 3);
    const g = rule('from all goto 2000 preference 1000');
    assert.deepEqual([g.action, g.goto], [2, 2000]);
  });

  it('not, iif/dev, oif, fwmark[/mask], tos, suppress_prefixlength, realms, uidrange, ports, ipproto, l3mdev, tunnel-id', () => {
    const r = rule(
      'not from 10.0.0.0/8 table 100 priority 1 iif eth0 oif eth1 fwmark 0x10/0xff tos 0x10 suppress_prefixlength 0 realms 3 uidrange 1000-2000 sport 10-20 dport 80-80 ipproto udp tunnel-id 258',
    );
    assert.equal(r.invert, true);
    assert.deepEqual(
      [r.iif, r.oif, r.fwmark, r.fwmask, r.tos, r.suppressPrefixlen, r.realms],
      ['eth0', 'eth1', 16, 255, 16, 0, 3],
    );
    assert.deepEqual(
      [r.uidrange, r.sport, r.dport, r.ipproto, r.tunId],
      [[1000, 2000], [10, 20], [80, 80], 17, '258'],
    );
    assert.equal(rule('dev eth0 table 5 priority 1').iif, 'eth0');
    const l = rule('l3mdev priority 1000');
    assert.deepEqual([l.action, l.l3mdev, l.table], [1, true, undefined]);
    assert.equal(rule('from 2001:db8::/32 table 5 priority 1 protocol 4 no_track').protocol, 4);
  });

  it('an automatic preference as keepalived: 16384 down, per family, in file order', () => {
    const r = parse(
      'static_rules {\n from 10.0.0.0/8 table 5\n from 2001:db8::/32 table 5\n}\nstatic_rules {\n to 10.0.0.0/8 table 6\n}\n',
    );
    assert.deepEqual(
      r.config.static_rules.map((x) => x.priority),
      [16384, 16384, 16383],
    );
    assert.match(r.diags[0], /^2 warning rule: no preference specified - setting to 16384/);
  });

  it('warnings where keepalived sets the rule without the bad value', () => {
    const r = rules('from 10.0.0.0/8 table 5 priority 1 dport 80');
    assert.equal(r.config.static_rules[0].dport, undefined);
    assert.deepEqual(r.diags, [
      '2 warning rule: invalid dport range 80 (keepalived 2.2.7 takes only N-M: write 80-80); the rule is set without it (as keepalived)',
    ]);
  });

  it('errors with file and line for rules keepalived drops', () => {
    const bad: [string, string][] = [
      ['from 10.0.0.0/8 priority 1', 'rule: no action specified for rule'],
      [
        'from 10.0.0.0/8 table 5 blackhole priority 1',
        'rule: cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule',
      ],
      ['from 10.0.0.0/8 table 0 priority 1', 'rule: table 0 is not valid'],
      ['from 10.0.0.0/8 goto 5', 'rule: invalid rule - goto target 5 specified without preference'],
      ['from 10.0.0.0/8 goto 5 priority 10', 'rule: invalid rule - preference 10 >= goto target 5'],
      [
        'from 10.0.0.0/8 to 2001:db8::/32 table 5 priority 1',
        'rule: cannot mix IPv4 and IPv6 addresses for rule',
      ],
      [
        'from 10.0.0.0/8 blackhole realms 3 priority 1',
        'rule: suppressor/realm specified for non table action',
      ],
      ['from 10.0.0.0/8 table 5 fwmark x priority 1', 'rule: invalid fwmark x'],
      ['from 10.0.0.0/8 table 5 bogus priority 1', 'rule: unknown rule option bogus'],
      ['from 10.0.0.0/8 local priority 1', 'rule: invalid rule action local'],
      [
        'l3mdev table 5 priority 1',
        'rule: cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule',
      ],
    ];
    for (const [line, msg] of bad) {
      const r = rules(line);
      assert.ok(r.diags.includes(`2 error ${msg}`), `${line}:\n${r.diags.join('\n')}`);
      assert.equal(r.config.static_rules.length, 0);
    }
  });

  it('virtual_rules in a vrrp_instance; static_ipaddress with track_group', () => {
    const r = parse(
      instance(' virtual_rules {\n  from 10.0.0.0/8 table 5 priority 10\n }') +
        'static_ipaddress {\n 198.51.100.9/24 dev eth0 track_group G\n}\ntrack_group G {\n group {\n  VI_1\n }\n}\n',
    );
    assert.equal(r.config.vrrp_instance[0].virtual_rules[0].priority, 10);
    assert.deepEqual(
      r.config.static_ipaddress.map((a) => [a.address, a.prefix, a.dev]),
      [['198.51.100.9', 24, 'eth0']],
    );
    assert.ok(
      r.diags.some((d) => /^12 warning static_ipaddress: track_group G is not supported/.test(d)),
      r.diags.join('\n'),
    );
    assert.ok(
      r.diags.some((d) => /^14 warning track_group G: not supported/.test(d)),
      r.diags.join('\n'),
    );
  });
});
