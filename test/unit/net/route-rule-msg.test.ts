// Byte layouts of the route and rule requests, laid out by hand from
// linux/rtnetlink.h and linux/fib_rules.h (little-endian host order).
import { strict as assert } from 'node:assert';
import { encodeRouteRequest } from '../../../daemon/net/route-msg';
import { encodeRuleRequest } from '../../../daemon/net/rule-msg';
import type { Route, Rule } from '../../../daemon/core/route';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** hex with spaces and | for readability */
const h = (s: string) => s.replace(/[\s|]/g, '');
const ifindex = (dev: string) => ({ lo: 1, eth0: 2, eth1: 3 })[dev] ?? 0;

const base: Route = { family: 4, dst: { address: '10.9.0.0', len: 16 }, table: 254, protocol: 18 };

describe('route requests (RTM_NEWROUTE / RTM_DELROUTE)', () => {
  it('IPv4 via/dev/table/metric: rtmsg then RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_PRIORITY', () => {
    const r: Route = { ...base, via: '198.51.100.1', dev: 'eth0', table: 100, metric: 5 };
    assert.equal(
      hex(encodeRouteRequest('add', r, 7, ifindex)),
      h(`3c000000 1800 0504 07000000 00000000
         02 10 00 00 64 12 00 01 00000000
         0800 0100 0a090000 | 0800 0500 c6336401 | 0800 0400 02000000 | 0800 0600 05000000`),
    );
  });

  it('delete: no NLM_F_CREATE, scope nowhere, type unspecified unless given', () => {
    const b = encodeRouteRequest('del', base, 1, ifindex);
    assert.equal(
      hex(b.subarray(0, 28)),
      h(`24000000 1900 0500 01000000 00000000 02100000fe12ff00 00000000`),
    );
    const t = encodeRouteRequest('del', { ...base, type: 6 }, 1, ifindex);
    assert.equal(t[16 + 7], 6);
  });

  it('add / append modes set NLM_F_EXCL / NLM_F_APPEND; prepend (default) neither', () => {
    const flags = (m?: Route['mode']) =>
      Buffer.from(
        encodeRouteRequest('add', { ...base, ...(m ? { mode: m } : {}) }, 1, ifindex),
      ).readUInt16LE(6);
    assert.equal(flags(), 0x405);
    assert.equal(flags('prepend'), 0x405);
    assert.equal(flags('add'), 0x605);
    assert.equal(flags('append'), 0xc05);
  });

  it('a table above 255 goes in RTA_TABLE (rtm_table 0); type, scope, tos, onlink in the header', () => {
    const r: Route = { ...base, table: 6909, type: 6, scope: 253, tos: 4, flags: 4 };
    assert.equal(
      hex(encodeRouteRequest('add', r, 2, ifindex)),
      h(`2c000000 1800 0504 02000000 00000000
         02 10 00 04 00 12 fd 06 04000000
         0800 0f00 fd1a0000 | 0800 0100 0a090000`),
    );
  });

  it('multipath: RTA_MULTIPATH holds one rtnexthop per hop (hops = weight - 1, flags, ifindex, RTA_GATEWAY)', () => {
    const r: Route = {
      ...base,
      nexthops: [
        { via: '198.51.100.1', dev: 'eth0', weight: 1, flags: 4 },
        { via: '198.51.100.2', dev: 'eth1', weight: 3 },
      ],
    };
    assert.equal(
      hex(encodeRouteRequest('add', r, 3, ifindex)),
      h(`48000000 1800 0504 03000000 00000000
         02 10 00 00 fe 12 00 01 00000000
         0800 0100 0a090000
         2400 0900
           1000 04 00 02000000 0800 0500 c6336401
           1000 00 02 03000000 0800 0500 c6336402`),
    );
  });

  it('IPv6: 16-byte addresses, prefsrc, from (RTA_SRC, src_len), pref and expires', () => {
    const r: Route = {
      family: 6,
      dst: { address: '2001:db8:5::', len: 64 },
      src: { address: '2001:db8:9::', len: 48 },
      prefsrc: '2001:db8::2',
      via: 'fe80::1',
      dev: 'lo',
      table: 254,
      protocol: 18,
      pref: 1,
      expires: 300,
    };
    assert.equal(
      hex(encodeRouteRequest('add', r, 4, ifindex)),
      h(`84000000 1800 0504 04000000 00000000
         0a 40 30 00 fe 12 00 01 00000000
         1400 0100 20010db8000500000000000000000000
         1400 0200 20010db8000900000000000000000000
         1400 0700 20010db8000000000000000000000002
         1400 0500 fe800000000000000000000000000001
         0800 0400 01000000
         0800 1700 2c010000
         0500 1400 01 000000`),
    );
  });

  it('metrics in RTA_METRICS (RTAX_* u32 each, congestion control as text, RTAX_LOCK last)', () => {
    const r: Route = { ...base, metrics: { mtu: 1400, advmss: 1300 }, lock: 1 << 2 };
    assert.equal(
      hex(encodeRouteRequest('add', r, 5, ifindex)).slice(-2 * 28),
      h(`1c00 0800 | 0800 0200 78050000 | 0800 0800 14050000 | 0800 0100 04000000`),
    );
  });

  it('default destination: zero address, length 0', () => {
    const b = encodeRouteRequest('add', { ...base, dst: { len: 0 } }, 1, ifindex);
    assert.equal(hex(b.subarray(16, 36)), h(`02 00 00 00 fe 12 00 01 00000000 0800 0100 00000000`));
  });
});

describe('rule requests (RTM_NEWRULE / RTM_DELRULE)', () => {
  const rule: Rule = {
    family: 4,
    from: { address: '10.0.0.0', len: 8 },
    action: 1,
    table: 100,
    priority: 100,
    protocol: 18,
  };

  it('from/table/priority: fib_rule_hdr then FRA_SRC, FRA_PRIORITY, FRA_PROTOCOL; NLM_F_EXCL on add', () => {
    assert.equal(
      hex(encodeRuleRequest('add', rule, 9)),
      h(`34000000 2000 0506 09000000 00000000
         02 00 08 00 64 00 00 01 00000000
         0800 0200 0a000000 | 0800 0600 64000000 | 0500 1500 12 000000`),
    );
    assert.equal(Buffer.from(encodeRuleRequest('del', rule, 9)).readUInt16LE(4), 33);
    assert.equal(Buffer.from(encodeRuleRequest('del', rule, 9)).readUInt16LE(6), 0x5);
  });

  it('not, fwmark/mask, iif/oif names, uid and port ranges, ipproto, tos, a table above 255', () => {
    const r: Rule = {
      family: 4,
      to: { address: '10.1.0.0', len: 16 },
      action: 1,
      table: 1000,
      priority: 5,
      invert: true,
      tos: 0x10,
      fwmark: 0x10,
      fwmask: 0xff,
      iif: 'lo',
      oif: 'eth0',
      uidrange: [1000, 2000],
      ipproto: 6,
      sport: [10, 20],
      dport: [80, 80],
    };
    assert.equal(
      hex(encodeRuleRequest('add', r, 1)),
      h(`7c000000 2000 0506 01000000 00000000
         02 10 00 10 00 00 00 01 02000000
         0800 0f00 e8030000
         0800 0100 0a010000
         0800 0600 05000000
         0800 0a00 10000000
         0800 1000 ff000000
         0700 0300 6c6f00 00
         0900 1100 6574683000 000000
         0c00 1400 e8030000 d0070000
         0500 1600 06 000000
         0800 1700 0a001400
         0800 1800 50005000`),
    );
  });

  it('goto (FRA_GOTO, action 2, no table), blackhole, l3mdev, IPv6 prefixes', () => {
    const g = encodeRuleRequest(
      'add',
      {
        family: 6,
        from: { address: '2001:db8::', len: 32 },
        action: 2,
        goto: 2000,
        priority: 1000,
      },
      1,
    );
    assert.equal(
      hex(g),
      h(`40000000 2000 0506 01000000 00000000
         0a 00 20 00 00 00 00 02 00000000
         1400 0200 20010db8000000000000000000000000
         0800 0600 e8030000
         0800 0400 d0070000`),
    );
    const b = encodeRuleRequest('add', { family: 4, action: 6, priority: 7 }, 1);
    assert.equal(hex(b.subarray(16)), h(`02 00 00 00 00 00 00 06 00000000 0800 0600 07000000`));
    const l = encodeRuleRequest('add', { family: 4, action: 1, l3mdev: true, priority: 1000 }, 1);
    assert.equal(
      hex(l.subarray(16)),
      h(`02 00 00 00 00 00 00 01 00000000 0800 0600 e8030000 0500 1300 01 000000`),
    );
  });

  it('suppress_prefixlength, realms, tunnel id (network order)', () => {
    const r: Rule = {
      family: 4,
      action: 1,
      table: 254,
      priority: 1,
      suppressPrefixlen: 0,
      realms: 0x10002,
      tunId: '258',
    };
    assert.equal(
      hex(encodeRuleRequest('add', r, 1).subarray(28)),
      h(
        `0800 0600 01000000 | 0800 0b00 02000100 | 0800 0e00 00000000 | 0c00 0c00 0000000000000102`,
      ),
    );
  });
});
