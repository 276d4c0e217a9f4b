// virtual_server_group: entries, keepalived's range rules, and the link from
// `virtual_server group NAME` (keepalived 2.2.7 check_data.c, ipvswrapper.c).
import { strict as assert } from 'node:assert';
import { expandGroup, type GroupTarget } from '../../../daemon/config/model';
import { parse } from './helpers';

const RS = ' protocol TCP\n real_server 198.51.100.21 80 {\n  TCP_CHECK {\n  }\n }\n';
const group = (body: string, vsBody = RS, name = 'web') =>
  parse(`virtual_server_group ${name} {\n${body}\n}\nvirtual_server group ${name} {\n${vsBody}}\n`);
const targets = (body: string): GroupTarget[] => {
  const r = group(body);
  return expandGroup(r.config.virtual_server_group[0]);
};
const addrs = (t: GroupTarget[]) =>
  t.map((x) => ('fwmark' in x ? `FWM ${x.fwmark}` : `${x.address}:${x.port}`));

describe('virtual_server_group', () => {
  it('IP PORT, a last-octet range, a full-address range, a CIDR block and fwmarks (fwmarks after the addresses)', () => {
    const r = group(
      ' fwmark 7\n 10.0.0.1 80\n 10.0.0.5-7 443\n 10.0.0.254-10.0.1.1 8080\n 10.0.2.0/30 25',
    );
    assert.deepEqual(r.diags, []);
    assert.deepEqual(addrs(expandGroup(r.config.virtual_server_group[0])), [
      '10.0.0.1:80',
      '10.0.0.5:443',
      '10.0.0.6:443',
      '10.0.0.7:443',
      '10.0.0.254:8080',
      '10.0.0.255:8080',
      '10.0.1.0:8080',
      '10.0.1.1:8080',
      '10.0.2.0:25',
      '10.0.2.1:25',
      '10.0.2.2:25',
      '10.0.2.3:25',
      'FWM 7',
    ]);
  });

  it('IPv6 ranges count the last group in hex', () => {
    assert.deepEqual(addrs(targets(' 2001:db8::9-b 80\n 2001:db8::fe/127 53')), [
      '2001:db8::9:80',
      '2001:db8::a:80',
      '2001:db8::b:80',
      '2001:db8::fe:53',
      '2001:db8::ff:53',
    ]);
  });

  it('rejects what keepalived rejects: end not above start, range end over 255, mask bits set, bad family', () => {
    const r = group(
      ' 10.0.0.5-5 80\n 10.0.0.1-256 80\n 10.0.0.1/24 80\n 10.0.0.9-10.0.0.3 80\n fwmark 3 ipx\n 10.0.0.1 70000\n 10.0.0.30 80',
    );
    assert.deepEqual(r.diags, [
      '2 error virtual_server_group: address range end is not greater than address range start - 10.0.0.5-5',
      '3 error virtual_server_group: invalid range end 10.0.0.1-256',
      '4 error virtual_server_group: address mask bits not empty - 10.0.0.1/24',
      '5 error virtual_server_group: address range end is less than address range start - 10.0.0.9-10.0.0.3',
      '6 error virtual_server_group: fwmark 3 family ipx unknown (inet or inet6)',
      r.diags[5],
    ]);
    assert.match(r.diags[5], /^7 error .*port/);
    // the good entry stays
    assert.deepEqual(addrs(expandGroup(r.config.virtual_server_group[0])), ['10.0.0.30:80']);
  });

  it('a range larger than a /16 is refused rather than programming millions of services', () => {
    assert.match(
      group(' 10.0.0.0/8 80').diags[1],
      /16777216 addresses, keepalive-ts programs at most 65536/,
    );
  });

  it('a port of 0 (or none) needs persistence: keepalived sets 360 and says so', () => {
    const r = group(' 10.0.0.1\n 10.0.0.2 0');
    assert.match(
      r.diags[0],
      /zero port only valid for persistent services - setting persistence_timeout 360/,
    );
    assert.equal(r.config.virtual_server[0].persistence_timeout, 360);
    assert.deepEqual(group(' 10.0.0.1', ` persistence_timeout 50\n${RS}`).diags, []);
  });

  it('a virtual_server naming an undefined group is ignored with a warning; an empty group is removed', () => {
    const r = parse(`virtual_server group nope {\n${RS}}\n`);
    assert.equal(r.config.virtual_server.length, 0);
    assert.match(
      r.diags[0],
      /^1 warning virtual_server group nope: no virtual_server_group nope - ignoring/,
    );
    const e = group('');
    assert.match(e.diags[0], /virtual_server_group web: has no entries - removing/);
    assert.equal(e.config.virtual_server.length, 0);
  });

  it('group and virtual_server may come in any order; the keyword is no longer "not supported"', () => {
    const r = parse(
      `virtual_server group web {\n${RS}}\nvirtual_server_group web {\n 10.0.0.1 80\n}\n`,
    );
    assert.deepEqual(r.diags, []);
    assert.equal(r.config.virtual_server.length, 1);
  });

  it('IPv4, IPv6 and a fwmark without family cannot share a group (keepalived removes it)', () => {
    const r = group(' 10.0.0.1 80\n 2001:db8::1 80\n fwmark 1');
    assert.match(r.diags[0], /cannot have IPv4, IPv6 and fwmark without family - removing/);
    assert.deepEqual(group(' 10.0.0.1 80\n 2001:db8::1 80\n fwmark 1 inet').diags, []);
  });

  it('ha_suspend is cleared for a group with fwmarks', () => {
    const r = group(' fwmark 4', ` ha_suspend\n${RS}`);
    assert.match(r.diags[0], /cannot use ha_suspend with fwmarks/);
    assert.equal(r.config.virtual_server[0].ha_suspend, false);
  });
});

describe('lvs_flush, lvs_flush_on_stop, lvs_timeouts, ops, uthreshold/lthreshold', () => {
  const g = (body: string) => parse(`global_defs {\n${body}\n}\n`);
  it('lvs_flush_on_stop: no value = ALL (every IPVS service), VS = ours; other values are errors', () => {
    assert.equal(g(' lvs_flush_on_stop').config.global_defs.lvs_flush_on_stop, 'ALL');
    assert.equal(g(' lvs_flush_on_stop VS').config.global_defs.lvs_flush_on_stop, 'VS');
    assert.equal(g(' lvs_flush_onstop').config.global_defs.lvs_flush_on_stop, 'ALL');
    assert.equal(g('').config.global_defs.lvs_flush_on_stop, undefined);
    assert.deepEqual(g(' lvs_flush_on_stop NO').diags, [
      '2 error Unknown lvs_flush_on_stop type NO',
    ]);
    const f = g(' lvs_flush');
    assert.deepEqual([f.diags, f.config.global_defs.lvs_flush], [[], true]);
  });

  it('lvs_timeouts tcp N tcpfin N udp N (0..31 days), in any order and subset', () => {
    const r = g(' lvs_timeouts udp 300 tcp 900 tcpfin 120');
    assert.deepEqual(r.diags, []);
    assert.deepEqual(r.config.global_defs.lvs_timeouts, { udp: 300, tcp: 900, tcpfin: 120 });
    const bad = g(' lvs_timeouts tcp 99999999 sctp 5 udp');
    // as keepalived: an unknown option's value is read as the next option
    assert.equal(bad.diags.length, 4, bad.diags.join('\n'));
    assert.match(bad.diags.join('\n'), /Unknown option sctp specified for lvs_timeouts/);
    assert.match(bad.diags.join('\n'), /No value specified for lvs_timeout udp/);
  });

  it('ops needs UDP or a fwmark (keepalived resets it with a warning)', () => {
    const vs = (head: string, body: string) =>
      parse(`virtual_server ${head} {\n${body}\n real_server 10.0.0.2 53 {\n }\n}\n`);
    const tcp = vs('10.0.0.1 53', ' protocol TCP\n ops');
    assert.match(tcp.diags[0], /one packet scheduling requires UDP - resetting/);
    assert.equal(tcp.config.virtual_server[0].ops, false);
    assert.equal(vs('10.0.0.1 53', ' protocol UDP\n ops').config.virtual_server[0].ops, true);
    assert.equal(vs('fwmark 3', ' ops').config.virtual_server[0].ops, true);
  });

  it('none of them warns "not supported" any more', () => {
    const r = parse(
      'global_defs {\n lvs_flush\n lvs_flush_on_stop VS\n lvs_timeouts tcp 10\n}\n' +
        'virtual_server 10.0.0.1 53 {\n protocol UDP\n ops\n real_server 10.0.0.2 53 {\n  uthreshold 100\n  lthreshold 10\n }\n}\n',
    );
    assert.deepEqual(r.diags, []);
    assert.deepEqual(
      [
        r.config.virtual_server[0].real_server[0].uthreshold,
        r.config.virtual_server[0].real_server[0].lthreshold,
      ],
      [100, 10],
    );
  });
});
