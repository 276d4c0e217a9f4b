// The pure parts of the hostile-input runs: kernel counters from /proc/net,
// advert spacing, IPv6 fragments.
import { strict as assert } from 'node:assert';
import { parseProcNet, spacing } from '../../../scripts/chaos/hostile-lab';
import { ipv6Fragments } from '../../../scripts/chaos/frames';
import { ipv6Packet } from '../../../daemon/net/ip-header';

const SNMP = `Ip: Forwarding DefaultTTL InReceives InHdrErrors
Ip: 2 64 1000 7
Icmp: InMsgs InErrors
Icmp: 3 0
`;
const NETSTAT = `IpExt: InNoRoutes InTruncatedPkts
IpExt: 0 4
`;
const SNMP6 = `Ip6InReceives                   	12
Ip6InHdrErrors                  	5
`;
const RAW = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   1: 00000000:0070 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 17
   2: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 99
   3: 00000000:0070 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 3
`;

describe('hostile runs: pure helpers', () => {
  it("reads /proc/net counters by nstat's names, and the VRRP raw sockets' drops", () => {
    const c = parseProcNet(SNMP, NETSTAT, SNMP6, RAW, RAW.split('\n')[0]);
    assert.equal(c.IpInHdrErrors, 7);
    assert.equal(c.IpInReceives, 1000);
    assert.equal(c.IpExtInTruncatedPkts, 4);
    assert.equal(c.Ip6InHdrErrors, 5);
    assert.equal(c.RawDrops, 20, 'protocol 112 only (port 0070), not ICMP');
    assert.equal(c.Raw6Drops, 0);
  });

  it('advert spacing: p50, p99, max of the gaps; nothing from fewer than two adverts', () => {
    const ts = [0, 100, 200, 300, 650, 750];
    assert.deepEqual(spacing(ts), { adverts: 6, p50Ms: 100, p99Ms: 350, maxMs: 350 });
    assert.equal(spacing([5]), undefined);
  });

  it('IPv6 fragments: 8-byte aligned offsets, M flag on all but the last, payload intact', () => {
    const payload = Uint8Array.from({ length: 4088 }, (_, i) => i & 0xff);
    const p = ipv6Packet(payload, 'fe80::1', 'ff02::12', 112, 255);
    const fs = ipv6Fragments(p, 1500, 0x1234);
    assert.equal(fs.length, 3);
    const joined: number[] = [];
    fs.forEach((f, i) => {
      assert.ok(f.length <= 1500);
      assert.equal(f[6], 44);
      assert.equal(f[40], 112);
      const word = (f[42] << 8) | f[43];
      assert.equal(word & 1, i < fs.length - 1 ? 1 : 0);
      assert.equal(word & ~7, joined.length);
      assert.equal((f[4] << 8) | f[5], f.length - 40);
      joined.push(...f.subarray(48));
    });
    assert.deepEqual(Uint8Array.from(joined), payload);
  });
});
