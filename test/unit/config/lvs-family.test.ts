// IPv6 virtual and real servers, ip_family and TUN's tunnel options, read as
// keepalived 2.2.7's check_parser.c reads them (messages name file and line).
import { strict as assert } from 'node:assert';
import { tunnelOptions } from '../../../daemon/config/keywords/lvs-family';
import { parse } from './helpers';

const rs = (addr: string, extra = '') => ` real_server ${addr} 80 {\n  weight 1${extra}\n }\n`;
const vsText = (head: string, body: string) =>
  `virtual_server ${head} {\n lvs_sched rr\n protocol TCP\n${body}}\n`;
const errors = (t: string) => parse(t).diags.filter((d) => / error /.test(d));

describe('LVS address families and TUN options (config)', () => {
  it('an IPv6 virtual server with IPv6 real servers: family 6, no complaint', () => {
    const r = parse(vsText('2001:db8:0:1::10 80', ' lvs_method NAT\n' + rs('2001:db8:0:2::21')));
    assert.deepEqual(r.diags, []);
    assert.equal(r.config.virtual_server[0].family, 6);
    assert.equal(r.config.virtual_server[0].real_server.length, 1);
  });

  it('a real server of the other family is refused (file:line) unless tunnelled', () => {
    const r = parse(vsText('2001:db8:0:1::10 80', ' lvs_method DR\n' + rs('198.51.100.21')));
    assert.deepEqual(
      r.diags.filter((d) => / error /.test(d)),
      [
        '5 error real_server 198.51.100.21: its address family does not match the IPv6 virtual server, and only TUN forwarding can mix families - skipping the real server (as keepalived)',
      ],
    );
    assert.equal(r.config.virtual_server[0].real_server.length, 0);
    // its own TUN, or the virtual server's
    assert.deepEqual(
      errors(
        vsText(
          '2001:db8:0:1::10 80',
          ' lvs_method DR\n' + rs('198.51.100.21', '\n  lvs_method TUN'),
        ),
      ),
      [],
    );
    assert.deepEqual(
      errors(vsText('198.51.100.10 80', ' lvs_method TUN\n' + rs('2001:db8::21'))),
      [],
    );
  });

  it('ip_family: a fwmark service takes it; it must agree with an address', () => {
    const fw = parse(vsText('fwmark 7', ' ip_family inet6\n lvs_method DR\n' + rs('2001:db8::21')));
    assert.deepEqual(
      errors(vsText('fwmark 7', ' ip_family inet6\n lvs_method DR\n' + rs('2001:db8::21'))),
      [],
    );
    assert.equal(fw.config.virtual_server[0].family, 6);
    assert.equal(
      parse(vsText('fwmark 7', ' lvs_method DR\n' + rs('2001:db8::21'))).config.virtual_server[0]
        .family,
      6,
    );
    assert.equal(
      parse(vsText('fwmark 7', ' lvs_method TUN\n' + rs('2001:db8::21') + rs('198.51.100.21')))
        .config.virtual_server[0].family,
      4,
    );
    assert.deepEqual(
      errors(vsText('198.51.100.10 80', ' ip_family inet6\n' + rs('198.51.100.21'))),
      ['4 error ip_family inet6: conflicts with the virtual server address 198.51.100.10'],
    );
    assert.match(errors(vsText('fwmark 7', ' ip_family inet7\n'))[0] ?? '', /ip_family/);
  });

  it("lvs_method TUN type/port/csum: the real server has its own, or inherits the virtual server's", () => {
    const r = parse(
      vsText(
        '2001:db8::10 80',
        ' lvs_method TUN type gue port 6080 csum\n' +
          rs('2001:db8::21') +
          rs('2001:db8::22', '\n  lvs_method TUN type gre csum') +
          rs('198.51.100.23', '\n  lvs_method TUN'),
      ),
    );
    assert.deepEqual(r.diags, []);
    assert.deepEqual(
      r.config.virtual_server[0].real_server.map((x) => x.tun),
      [{ type: 'gue', port: 6080, csum: 'csum' }, { type: 'gre', csum: 'csum' }, { type: 'ipip' }],
    );
  });

  it('refuses what keepalived refuses in tunnel options', () => {
    const cases: [string[], RegExp][] = [
      [['type'], /missing tunnel type/],
      [['type', 'vxlan'], /unknown tunnel type 'vxlan'/],
      [['type', 'gue'], /gue tunnels require a port/],
      [['port', '5'], /other tunnels cannot have one/],
      [['type', 'gue', 'port', '70000'], /invalid gue tunnel port/],
      [['csum'], /ipip tunnels do not support checksum/],
      [['type', 'gre', 'remcsum'], /gre tunnels do not support the remote checksum/],
      [['bogus'], /invalid tunnel option 'bogus'/],
    ];
    for (const [w, re] of cases) assert.match(tunnelOptions(w).error ?? '', re, w.join(' '));
    assert.deepEqual(tunnelOptions(['type', 'gue', 'port', '6080', 'remcsum']).tun, {
      type: 'gue',
      port: 6080,
      csum: 'remcsum',
    });
    assert.deepEqual(
      errors(vsText('198.51.100.10 80', ' lvs_method TUN type gue\n' + rs('198.51.100.21'))),
      ['4 error lvs_method: gue tunnels require a port, other tunnels cannot have one'],
    );
  });

  it('an IPv6 persistence_granularity is a prefix length', () => {
    assert.deepEqual(
      errors(vsText('2001:db8::10 80', ' persistence_granularity 64\n' + rs('2001:db8::21'))),
      [],
    );
    assert.match(
      errors(
        vsText('2001:db8::10 80', ' persistence_granularity 255.255.255.0\n' + rs('2001:db8::21')),
      )[0] ?? '',
      /4 error persistence_granularity 255.255.255.0: an IPv6 virtual server expects a prefix length 1-128/,
    );
  });

  it('lvs_backend nftables refuses TUN at -t (nftables cannot encapsulate)', () => {
    const t =
      'global_defs {\n lvs_backend nftables\n}\n' +
      vsText('198.51.100.10 80', rs('198.51.100.21', '\n  lvs_method TUN type gre'));
    assert.deepEqual(errors(t), [
      '7 error lvs_method TUN: the nftables backend cannot encapsulate packets; use lvs_backend ipvs (or auto on a kernel with IPVS)',
    ]);
    assert.deepEqual(errors(t.replace('nftables', 'ipvs')), []);
  });
});
