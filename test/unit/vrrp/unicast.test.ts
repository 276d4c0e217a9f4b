// Unicast adverts as keepalived 2.2.7 checks and sends them: no TTL of 255
// required, check_unicast_src (source among the peers, TTL within the peer's
// min_ttl..max_ttl), and the TTL / hop limit a unicast path sends with.
import { strict as assert } from 'node:assert';
import { encode } from '../../../daemon/vrrp/codec';
import { pathTtl } from '../../../daemon/vrrp/paths';
import { receive, vrrpPacket, type Expect } from '../../../daemon/vrrp/receive';

const ME = '198.51.100.12';
const PEER = '198.51.100.11';
const advert = (src: string, dst: string) =>
  encode(
    { version: 3, vrid: 9, priority: 100, advertInt: 1, addresses: ['198.51.100.10'] },
    { src, dst },
  );
const base: Expect = { version: 3, vrid: 9, authType: 0, advertInt: 1 };

describe('unicast adverts (keepalived semantics)', () => {
  it('a unicast instance accepts any TTL; a multicast one only 255', () => {
    const pkt = vrrpPacket(advert(PEER, ME), PEER, ME, 63);
    assert.equal(receive(pkt, base).ok, false);
    assert.equal(receive(pkt, { ...base, unicast: { checkSrc: false, peers: [] } }).ok, true);
  });

  it('check_unicast_src: a source that is not a peer is dropped as "source"', () => {
    const exp = { ...base, unicast: { checkSrc: true, peers: [{ address: PEER }] } };
    assert.equal(receive(vrrpPacket(advert(PEER, ME), PEER, ME), exp).ok, true);
    const other = '198.51.100.99';
    const r = receive(vrrpPacket(advert(other, ME), other, ME), exp);
    assert.equal(!r.ok && r.reason, 'source');
  });

  it("check_unicast_src: the peer's min_ttl / max_ttl bound what is accepted", () => {
    const exp = {
      ...base,
      unicast: { checkSrc: true, peers: [{ address: PEER, min_ttl: 250, max_ttl: 254 }] },
    };
    const at = (ttl: number) => receive(vrrpPacket(advert(PEER, ME), PEER, ME, ttl), exp);
    assert.equal(at(252).ok, true);
    const low = at(64);
    const high = at(255);
    assert.equal(!low.ok && low.reason, 'ttl');
    assert.equal(!high.ok && high.reason, 'ttl');
  });

  it('sends multicast at 255; unicast at unicast_ttl, else 255 (IPv4) or the kernel default (IPv6)', () => {
    assert.equal(pathTtl(false, 6, 10), 255);
    assert.equal(pathTtl(true, 4), 255);
    assert.equal(pathTtl(true, 6), undefined);
    assert.equal(pathTtl(true, 6, 200), 200);
    assert.equal(pathTtl(true, 4, 3), 3);
  });
});
