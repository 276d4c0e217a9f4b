// The hostile corpus: reproducible from its seed, and every expectation it
// states is what the daemon's receive path counts (run on a fake network,
// the kernel's part played by trimming to the IP length).
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { finishChecksum, onesSum } from '../../../daemon/core/checksum';
import { decodeIpHeader } from '../../../daemon/net/ip-header';
import { hostileConf, hostileTarget } from '../../../scripts/chaos/hostile-pair';
import { corpus, tally, type Case } from '../../../scripts/chaos/vrrp-corpus';
import { soloEngine } from '../vrrp/fakes';

const MAC = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const target = hostileTarget('198.51.100.1', 'fe80::1:2', MAC);

/** What the kernel delivers to a raw socket: the IP packet trimmed to its stated length, or nothing. */
function delivered(c: Case): Uint8Array | undefined {
  if (c.frames.length !== 1) return undefined;
  const ip = c.frames[0].subarray(14);
  const h = decodeIpHeader(ip);
  if (!h || h.family !== c.family) return undefined;
  if (h.totalLength > ip.length || h.totalLength < h.headerLength) return undefined;
  if (c.family === 4 && finishChecksum(onesSum(ip, 0, h.headerLength)) !== 0) return undefined;
  return ip.slice(0, h.totalLength);
}

describe('hostile VRRP corpus', () => {
  const cases = corpus(target, 7);

  it('is the same for a seed and differs for another', () => {
    const again = corpus(target, 7);
    assert.deepEqual(
      again.map((c) => c.frames.map((f) => Buffer.from(f).toString('hex'))),
      cases.map((c) => c.frames.map((f) => Buffer.from(f).toString('hex'))),
    );
    const other = corpus(target, 8);
    assert.notDeepEqual(
      other.map((c) => c.name),
      cases.map((c) => c.name),
    );
  });

  it('covers every outcome: each drop reason, both unclaimed reasons, the kernel counters', () => {
    const t = tally(cases);
    assert.deepEqual(Object.keys(t.instance).sort(), ['51', '52', '53']);
    for (const r of ['ttl', 'version', 'checksum', 'length', 'type', 'addresses'])
      for (const vrid of [51, 52]) assert.ok(t.instance[vrid][r as 'ttl'], `${vrid} ${r}`);
    for (const r of ['auth', 'interval', 'version', 'checksum', 'addresses'])
      assert.ok(t.instance[53][r as 'auth'], `53 ${r}`);
    assert.ok(t.unclaimed.short && t.unclaimed.unknown_vrid);
    for (const k of [
      'IpInHdrErrors',
      'IpExtInTruncatedPkts',
      'Ip6InHdrErrors',
      'Ip6InTruncatedPkts',
    ])
      assert.ok(t.kernel[k as 'IpInHdrErrors'], k);
    // Ethernet frames of at most 1,514 bytes; the big IPv6 advert goes in fragments
    assert.ok(cases.every((c) => c.frames.every((f) => f.length <= 1514)));
    assert.ok(cases.some((c) => c.frames.length === 3));
  });

  it('every expectation is what the daemon counts (fake network, kernel trims)', () => {
    const { net, engine } = soloEngine(parseText(hostileConf(100, 'eth0')).config);
    const expected = tally(cases.filter((c) => c.expect.at !== 'kernel' && c.frames.length === 1));
    for (const c of cases) {
      if (c.expect.at === 'kernel') {
        assert.equal(delivered(c), undefined, `${c.name}: the kernel would deliver it`);
        continue;
      }
      const p = delivered(c);
      if (!p) continue; // fragments: the kernel reassembles them (the lab test sees them)
      for (const ch of net.channels)
        if (ch.opts.src.includes(':') === (c.family === 6)) ch.onPacket(p);
    }
    const counted: Record<number, Record<string, number>> = {};
    for (const i of engine.status()) {
      const nz = Object.entries(i.counters.drops).filter(([, n]) => n > 0);
      if (nz.length) counted[i.vrid] = Object.fromEntries(nz);
    }
    assert.deepEqual(counted, expected.instance);
    const un = Object.fromEntries(Object.entries(engine.unclaimed.drops).filter(([, n]) => n));
    assert.deepEqual(un, expected.unclaimed);
    assert.ok(
      engine.status().every((i) => i.counters.advertsReceived === 0),
      'nothing accepted',
    );
  });
});
