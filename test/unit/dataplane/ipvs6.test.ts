// IPVS messages for IPv6 services and destinations and for TUN forwarding,
// against bytes laid out by hand from include/uapi/linux/ip_vs.h:
// IPVS_SVC_ATTR_AF = AF_INET6 (10), 16-byte addresses, the IPv6 persistence
// netmask as a prefix length (u32, host order: the kernel's plen),
// IPVS_DEST_ATTR_ADDR_FAMILY (11) per destination, and the tunnel
// attributes IPVS_DEST_ATTR_TUN_TYPE (13, u8), _TUN_PORT (14, be16) and
// _TUN_FLAGS (15, u16) that libipvs sends for TUN only.
import { strict as assert } from 'node:assert';
import { encodeCommand, parseDest, parseService } from '../../../daemon/dataplane/ipvs';
import { parseMessages } from '../../../daemon/net/genl';
import { planIpvs, toIpvs } from '../../../daemon/dataplane/ipvs-plan';
import type { Service } from '../../../daemon/dataplane/types';

const hex = (s: string) => s.replace(/\s+|\|/g, '');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const FAMILY = 0x1b;
const svc6 = {
  protocol: 'TCP' as const,
  address: '2001:db8:0:1::10',
  port: 80,
  scheduler: 'rr',
  persistence: 0,
};

describe('IPVS generic netlink codec: IPv6 and TUN', () => {
  it('NEW_SERVICE TCP [2001:db8:0:1::10]:80 rr (ipvsadm -A -t [..]:80 -s rr): AF_INET6, 16 bytes, netmask 128', () => {
    const expected = hex(`
      68000000 1b00 0500 01000000 00000000
      01 01 0000
      5400 0100
        0600 0100 0a00 0000
        0600 0200 0600 0000
        1400 0300 20010db8 00000001 00000000 00000010
        0600 0400 0050 0000
        0700 0600 727200 00
        0c00 0700 00000000 ffffffff
        0800 0800 00000000
        0800 0900 80000000`);
    assert.equal(toHex(encodeCommand(FAMILY, { cmd: 'NEW_SERVICE', service: svc6 }, 1)), expected);
  });

  it('IPv6 persistence_granularity is a prefix length: 64 -> 40000000, read back as "64"', () => {
    const b = encodeCommand(
      FAMILY,
      { cmd: 'NEW_SERVICE', service: { ...svc6, persistence: 60, netmask: '64' } },
      1,
    );
    assert.ok(toHex(b).endsWith(hex('0800 0900 40000000')), toHex(b));
    assert.deepEqual(parseService(parseMessages(b)[0]), {
      ...svc6,
      persistence: 60,
      netmask: '64',
    });
    assert.throws(
      () =>
        encodeCommand(
          FAMILY,
          { cmd: 'NEW_SERVICE', service: { ...svc6, netmask: '255.255.0.0' } },
          1,
        ),
      /IPv6 prefix length/,
    );
  });

  it('NEW_DEST [2001:db8:0:2::21]:8080 NAT weight 2: the destination says AF_INET6 too', () => {
    const expected = hex(`
      8c000000 1b00 0500 02000000 00000000
      05 01 0000
      3000 0100
        0600 0100 0a00 0000
        0600 0200 0600 0000
        1400 0300 20010db8 00000001 00000000 00000010
        0600 0400 0050 0000
      4800 0200
        1400 0100 20010db8 00000002 00000000 00000021
        0600 0200 1f90 0000
        0800 0300 00000000
        0800 0400 02000000
        0800 0500 00000000
        0800 0600 00000000
        0600 0b00 0a00 0000`);
    const dest = { address: '2001:db8:0:2::21', port: 8080, weight: 2, method: 'NAT' as const };
    const b = encodeCommand(FAMILY, { cmd: 'NEW_DEST', service: svc6, dest }, 2);
    assert.equal(toHex(b), expected);
    assert.deepEqual(parseDest(parseMessages(b)[0]), { ...dest, activeConns: 0, inactConns: 0 });
  });

  it('a fwmark service of family inet6 (ip_family inet6): AF_INET6 and FWMARK only', () => {
    const b = encodeCommand(
      FAMILY,
      { cmd: 'DEL_SERVICE', service: { protocol: 'TCP', port: 0, fwmark: 7, family: 6 } },
      3,
    );
    assert.equal(toHex(b.subarray(20)), hex(`1400 0100 0600 0100 0a00 0000 0800 0500 07000000`));
  });

  it('TUN ipip: TUN_TYPE 0 alone (no port, no flags); an IPv4 real server behind an IPv6 service says AF_INET', () => {
    const b = encodeCommand(
      FAMILY,
      {
        cmd: 'NEW_DEST',
        service: svc6,
        dest: {
          address: '198.51.100.21',
          port: 80,
          weight: 1,
          method: 'TUN',
          tun: { type: 'ipip' },
        },
      },
      2,
    );
    assert.equal(
      toHex(b.subarray(20 + 0x30)),
      hex(`5000 0200
        1400 0100 c6336415 00000000 00000000 00000000
        0600 0200 0050 0000
        0800 0300 02000000
        0800 0400 01000000
        0500 0d00 00 000000
        0800 0500 00000000
        0800 0600 00000000
        0600 0b00 0200 0000`),
    );
    const d = parseDest(parseMessages(b)[0], 10)!;
    assert.deepEqual([d.address, d.method, d.tun], ['198.51.100.21', 'TUN', { type: 'ipip' }]);
  });

  it('TUN gue port 6080 csum: TUN_TYPE 1, TUN_PORT in network order, TUN_FLAGS 1; gre remcsum: TUN_FLAGS 2', () => {
    const gue = encodeCommand(
      FAMILY,
      {
        cmd: 'SET_DEST',
        service: svc6,
        dest: {
          address: '2001:db8:0:2::21',
          port: 80,
          weight: 1,
          method: 'TUN',
          tun: { type: 'gue', port: 6080, csum: 'csum' },
        },
      },
      2,
    );
    assert.match(
      toHex(gue),
      new RegExp(
        hex(`0800 0400 01000000 | 0500 0d00 01 000000 | 0600 0e00 17c0 0000 | 0600 0f00 0100 0000`),
      ),
    );
    assert.deepEqual(parseDest(parseMessages(gue)[0])!.tun, {
      type: 'gue',
      port: 6080,
      csum: 'csum',
    });
    const gre = encodeCommand(
      FAMILY,
      {
        cmd: 'NEW_DEST',
        service: svc6,
        dest: {
          address: '2001:db8:0:2::21',
          port: 80,
          weight: 1,
          method: 'TUN',
          tun: { type: 'gre', csum: 'remcsum' },
        },
      },
      2,
    );
    assert.match(toHex(gre), new RegExp(hex(`0500 0d00 02 000000 | 0600 0f00 0200 0000`)));
    assert.doesNotMatch(toHex(gre), /06000e00/, 'no port for gre');
  });

  it('DEL_DEST names the destination with its family (a mixed-family TUN destination)', () => {
    const b = encodeCommand(
      FAMILY,
      { cmd: 'DEL_DEST', service: svc6, dest: { address: '198.51.100.21', port: 80 } },
      2,
    );
    assert.ok(
      toHex(b).endsWith(
        hex(
          `2800 0200 1400 0100 c6336415 00000000 00000000 00000000 0600 0200 0050 0000 0600 0b00 0200 0000`,
        ),
      ),
      toHex(b),
    );
  });
});

describe('IPVS plan: IPv6 and TUN', () => {
  const service = (o: Partial<Service> = {}): Service => ({
    id: 'x',
    protocol: 'TCP',
    address: '2001:db8:0:1:0:0:0:10',
    port: 80,
    scheduler: 'rr',
    method: 'TUN',
    persistence: 0,
    destinations: [
      { address: '2001:DB8:0:2::21', port: 80, weight: 1, method: 'TUN' },
      { address: '198.51.100.22', port: 80, weight: 1, method: 'TUN', tun: { type: 'gre' } },
    ],
    ...o,
  });
  /** what a dump gives back: the kernel's spelling, parsed from encoded answers */
  const dumped = (s: Service) => {
    const t = toIpvs(s);
    return {
      service: parseService(
        parseMessages(encodeCommand(FAMILY, { cmd: 'NEW_SERVICE', service: t.service }, 1))[0],
      )!,
      dests: t.dests.map(
        (d) =>
          parseDest(
            parseMessages(
              encodeCommand(FAMILY, { cmd: 'NEW_DEST', service: t.service, dest: d }, 1),
            )[0],
          )!,
      ),
    };
  };

  it('a configured address in any IPv6 spelling converges (no re-create on every reconcile)', () => {
    assert.deepEqual(planIpvs([dumped(service())], [toIpvs(service())]), []);
    assert.equal(toIpvs(service()).service.address, '2001:db8:0:1::10');
  });

  it('a tunnel type change is a SET_DEST in place', () => {
    const changed = service();
    changed.destinations[1] = { ...changed.destinations[1], tun: { type: 'gue', port: 6080 } };
    assert.deepEqual(
      planIpvs([dumped(service())], [toIpvs(changed)]).map((c) => c.cmd),
      ['SET_DEST'],
    );
  });

  it('fwmark 7 of IPv4 and fwmark 7 of IPv6 are two services', () => {
    const v4 = service({ address: undefined, fwmark: 7, destinations: [] });
    const v6 = service({ address: undefined, fwmark: 7, family: 6, destinations: [] });
    assert.deepEqual(
      planIpvs([dumped(v4)], [toIpvs(v4), toIpvs(v6)]).map((c) => c.cmd),
      ['NEW_SERVICE'],
    );
    assert.equal(dumped(v6).service.family, 6);
  });

  it('an IPv6 persistence_granularity converges with what the kernel reports', () => {
    const s = service({ persistence: 60, persistenceNetmask: '64' });
    assert.deepEqual(planIpvs([dumped(s)], [toIpvs(s)]), []);
    const host = service({ persistence: 60, persistenceNetmask: '128' });
    assert.equal(toIpvs(host).service.netmask, undefined);
  });
});
