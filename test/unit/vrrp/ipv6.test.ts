// VRRPv3 over IPv6 (RFC 5798): the codec and the neighbour advertisement
// against golden packets captured from Debian keepalived 2.2.7, the receive
// checks, the rtnetlink request of an IPv6 VIP, and a pair on a fake LAN.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { decodeIpHeader } from '../../../daemon/net/ip-header';
import { unsolicitedNaFrame } from '../../../daemon/net/ndisc';
import { encodeAddrRequest } from '../../../daemon/net/rtnl';
import { decode, encode, VRRP_MCAST6 } from '../../../daemon/vrrp/codec';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { ipGreater } from '../../../daemon/vrrp/fsm';
import { receive, vrrpPacket } from '../../../daemon/vrrp/receive';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Captured with tshark: keepalived 2.2.7 MASTER on a veth (MAC 06:db:88:c6:89:da),
// vrid 61, priority 200, advert_int 0.5, VIPs 2001:db8:0:1::100/64 and ::101/64.
const LL = 'fe80::4db:88ff:fec6:89da';
const MAC = hex('06db88c689da');
const GOLDEN_ADVERT = hex(
  '313dc8020032946e 20010db8000000010000000000000100 20010db8000000010000000000000101',
);
const GOLDEN_NA_FRAME = hex(
  '333300000001 06db88c689da 86dd' +
    '6000000000203aff 20010db8000000010000000000000100 ff020000000000000000000000000001' +
    '8800dfaf20000000 20010db8000000010000000000000100 020106db88c689da',
);
const VIPS = ['2001:db8:0:1::100', '2001:db8:0:1::101'];

describe('VRRPv3 over IPv6', () => {
  it("encodes keepalived's IPv6 advert byte for byte (checksum over the IPv6 pseudo-header)", () => {
    const b = encode(
      { version: 3, vrid: 61, priority: 200, advertInt: 0.5, addresses: VIPS },
      { src: LL, dst: VRRP_MCAST6 },
    );
    assert.equal(toHex(b), toHex(GOLDEN_ADVERT));
    // the IPv6 pseudo-header is mandatory: the rfc9568 option (an IPv4 matter) does not drop it
    const again = encode(
      { version: 3, vrid: 61, priority: 200, advertInt: 0.5, addresses: VIPS },
      { src: LL, dst: VRRP_MCAST6, v3Checksum: 'rfc9568' },
    );
    assert.equal(toHex(again), toHex(GOLDEN_ADVERT));
  });

  it('decodes the golden advert with its 16-byte addresses; a wrong source fails the checksum', () => {
    const d = decode(GOLDEN_ADVERT, LL, VRRP_MCAST6);
    assert.deepEqual(d, {
      ok: true,
      advert: { version: 3, vrid: 61, priority: 200, advertInt: 0.5, addresses: VIPS },
    });
    const bad = decode(GOLDEN_ADVERT, 'fe80::1', VRRP_MCAST6);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.reason, 'checksum');
  });

  it('refuses VRRPv2 over IPv6, in both directions', () => {
    assert.throws(
      () => encode({ version: 2, vrid: 1, priority: 1, advertInt: 1, addresses: VIPS }),
      /version 3 only/,
    );
    const v2 = Uint8Array.from(GOLDEN_ADVERT);
    v2[0] = 0x21;
    const d = decode(v2, LL, VRRP_MCAST6);
    assert.equal(!d.ok && d.reason, 'version');
  });

  it('receive checks the hop limit of the rebuilt IPv6 header and reads source and destination', () => {
    const exp = { version: 3 as const, vrid: 61, authType: 0 as const, advertInt: 0.5 };
    const pkt = vrrpPacket(GOLDEN_ADVERT, LL, VRRP_MCAST6);
    const h = decodeIpHeader(pkt)!;
    assert.deepEqual([h.family, h.ttl, h.protocol, h.src, h.dst], [6, 255, 112, LL, 'ff02::12']);
    const r = receive(pkt, exp, VIPS);
    assert.ok(r.ok && r.addressesMatch && r.src === LL);
    const low = receive(vrrpPacket(GOLDEN_ADVERT, LL, VRRP_MCAST6, 64), exp, VIPS);
    assert.equal(!low.ok && low.reason, 'ttl');
    const short = receive(vrrpPacket(GOLDEN_ADVERT.subarray(0, 30), LL, VRRP_MCAST6), exp, VIPS);
    assert.equal(!short.ok && short.reason, 'length');
  });

  it("builds keepalived's unsolicited neighbour advertisement frame byte for byte", () => {
    assert.equal(toHex(unsolicitedNaFrame(MAC, VIPS[0], false)), toHex(GOLDEN_NA_FRAME));
    // a router sets the R flag (and the checksum follows)
    const r = unsolicitedNaFrame(MAC, VIPS[0], true);
    assert.equal(r[14 + 40 + 4], 0xa0);
    assert.notEqual(toHex(r.subarray(56, 58)), toHex(GOLDEN_NA_FRAME.subarray(56, 58)));
  });

  it('asks rtnetlink for an IPv6 VIP as keepalived does: no DAD, a /128 deprecated', () => {
    const req = encodeAddrRequest({
      op: 'add',
      ifindex: 7,
      address: '2001:db8::100',
      prefix: 128,
      seq: 1,
      nodad: true,
      preferredLft: 0,
    });
    const v = new DataView(req.buffer);
    assert.deepEqual([req[16], req[17], req[18], v.getUint32(20, true)], [10, 128, 0x02, 7]);
    // IFA_LOCAL and IFA_ADDRESS with 16 bytes each, then IFA_CACHEINFO (preferred 0, valid forever)
    assert.deepEqual([v.getUint16(24, true), v.getUint16(26, true)], [20, 2]);
    assert.deepEqual([v.getUint16(44, true), v.getUint16(46, true)], [20, 1]);
    assert.deepEqual([v.getUint16(64, true), v.getUint16(66, true)], [20, 6]);
    assert.deepEqual([v.getUint32(68, true), v.getUint32(72, true)], [0, 0xffffffff]);
    assert.equal(req.length, 84);
  });

  it('the config gives IPv6 VIPs keepalived defaults: no DAD unless -nodad, /128 deprecated', () => {
    const { config, diagnostics } = parseText(
      'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n' +
        '  2001:db8::1/128\n  2001:db8::2/64 -nodad\n  2001:db8::3/128 preferred_lft forever\n }\n}\n',
    );
    assert.deepEqual(diagnostics, []);
    const v = config.vrrp_instance[0].virtual_ipaddress;
    assert.deepEqual(
      v.map((a) => [a.preferred_lft, a.dad]),
      [
        [0, undefined],
        [undefined, true],
        [undefined, undefined],
      ],
    );
  });

  it('ties break on the higher IPv6 address, compared as a number', () => {
    assert.equal(ipGreater('fe80::2', 'fe80::1'), true);
    assert.equal(ipGreater('fe80::1:0', 'fe80::ffff'), true);
    assert.equal(ipGreater('fe80::1', 'fe80::1'), false);
    assert.equal(ipGreater('198.51.100.12', '198.51.100.11'), true);
  });

  describe('a pair on a fake LAN', () => {
    const conf = (prio: number, extra = '') =>
      parseText(
        `vrrp_instance V6 {\n interface eth0\n virtual_router_id 61\n priority ${prio}\n advert_int 0.5\n${extra}` +
          ` virtual_ipaddress {\n  2001:db8::100/64\n }\n virtual_ipaddress_excluded {\n  198.51.100.10/24\n }\n}\n`,
      ).config;
    const node = (lan: FakeLan, clock: FakeClock, ll: string, prio: number) => {
      const net = new FakeNet(lan, `198.51.100.${prio}`, clock);
      net.ip6 = ll;
      const engine = new VrrpEngine(conf(prio), {
        net,
        clock,
        scripts: { run: async () => 0 },
        log: () => {},
        onTransition: () => {},
      });
      return { net, engine };
    };

    it('elects, announces with NA (and GARP for the IPv4 address it carries), fails over', () => {
      const clock = new FakeClock();
      const lan = new FakeLan();
      const a = node(lan, clock, 'fe80::11', 100);
      const b = node(lan, clock, 'fe80::12', 50);
      a.engine.start();
      b.engine.start();
      clock.advance(5000);
      const st = a.engine.status()[0];
      assert.deepEqual([st.state, st.version], ['MASTER', 3], 'an IPv6 instance speaks v3');
      assert.equal(b.engine.status()[0].state, 'BACKUP');
      assert.equal(b.engine.status()[0].master, 'fe80::11');
      assert.ok(a.net.vips.has('2001:db8::100') && a.net.vips.has('198.51.100.10'));
      assert.ok(a.net.nas.some((n) => n.ip === '2001:db8::100'));
      assert.ok(a.net.garps.some((n) => n.ip === '198.51.100.10'));
      // the advert on the wire is IPv6: one 16-byte address (the IPv4 one is excluded from it)
      const sent = a.net.sent.at(-1)!.vrrp;
      assert.equal(sent.length, 8 + 16);
      a.engine.stop();
      clock.advance(2000);
      assert.equal(b.engine.status()[0].state, 'MASTER');
      assert.ok(b.net.vips.has('2001:db8::100') && !a.net.vips.has('2001:db8::100'));
    });

    it('a source address not usable yet (link-local in DAD) is FAULT, retried each second, then elected', () => {
      const clock = new FakeClock();
      const lan = new FakeLan();
      const a = node(lan, clock, 'fe80::11', 100);
      a.net.failOpens = 3;
      a.engine.start();
      clock.advance(1500);
      assert.equal(a.engine.status()[0].state, 'FAULT');
      assert.equal(a.net.vips.size, 0);
      clock.advance(5000);
      assert.equal(a.engine.status()[0].state, 'MASTER');
      assert.equal(a.net.failOpens, 0);
    });

    it('equal priorities: the higher link-local address wins', () => {
      const clock = new FakeClock();
      const lan = new FakeLan();
      const a = node(lan, clock, 'fe80::1:0', 100);
      const b = node(lan, clock, 'fe80::ffff', 100);
      a.engine.start();
      b.engine.start();
      clock.advance(5000);
      assert.equal(a.engine.status()[0].state, 'MASTER');
      assert.equal(b.engine.status()[0].state, 'BACKUP');
    });
  });
});
