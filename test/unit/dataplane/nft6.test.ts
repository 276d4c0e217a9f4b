// The nftables renderer for IPv6 services (checked against nft 1.0.6 by
// `nft -f` in a scratch namespace when written; carried HTTP in
// test/lab/dataplane6.test.ts) and its refusal of TUN.
import { strict as assert } from 'node:assert';
import { renderNft, renderNftClear } from '../../../daemon/dataplane/nft';
import type { Destination, Service } from '../../../daemon/dataplane/types';

const d = (address: string, port: number, method: Destination['method']): Destination => ({
  address,
  port,
  weight: 1,
  method,
});
const svc = (o: Partial<Service>): Service => ({
  id: 'x',
  protocol: 'TCP',
  port: 80,
  scheduler: 'rr',
  method: 'DR',
  persistence: 0,
  destinations: [],
  ingress: 'lan0',
  ...o,
});
const VIP6 = '2001:db8:0:1::10';
const RS = ['2001:db8:0:1::21', '2001:db8:0:1::22'];

describe('nftables renderer: IPv6 and TUN', () => {
  it('IPv6 DR: ip6 daddr match, fwd ip6 to a Maglev map of IPv6 addresses in netdev ingress', () => {
    const r = renderNft([
      svc({ id: 'TCP v6', address: VIP6, destinations: RS.map((a) => d(a, 80, 'DR')) }),
    ]);
    assert.deepEqual(r.skipped, []);
    assert.match(r.text, /typeof numgen inc mod 251 : ip6 daddr\n/);
    assert.match(
      r.text,
      /ip6 daddr 2001:db8:0:1::10 tcp dport 80 meta pkttype host fib daddr type local fwd ip6 to jhash ip6 saddr \. tcp sport mod 251 seed 0x6b617473 map @m_TCP_v6 device "lan0"/,
    );
    assert.deepEqual(new Set(r.maps[0].slots), new Set(RS));
  });

  it('IPv6 NAT: its own ip6 nat table (dnat ip6 to address . port, masquerade)', () => {
    const r = renderNft([
      svc({
        id: 'TCP n6',
        address: VIP6,
        port: 8080,
        method: 'NAT',
        destinations: RS.map((a) => d(a, 80, 'NAT')),
      }),
      svc({
        id: 'TCP n4',
        address: '198.51.100.10',
        method: 'NAT',
        destinations: [d('198.51.100.21', 80, 'NAT')],
      }),
    ]);
    assert.match(
      r.text,
      /table ip6 keepalive_ts_nat6 \{\n {2}map m_TCP_n6 \{\n {4}typeof numgen inc mod 251 : ip6 daddr \. tcp dport\n/,
    );
    assert.match(
      r.text,
      /ip6 daddr 2001:db8:0:1::10 tcp dport 8080 dnat ip6 to jhash ip6 saddr \. tcp sport mod 251 seed 0x6b617473 map @m_TCP_n6/,
    );
    assert.match(r.text, /table ip keepalive_ts_nat \{[^]*dnat ip to jhash ip saddr/);
    assert.equal(r.maps.find((m) => m.name === 'm_TCP_n6')?.family, 'ip6');
    assert.ok(r.maps.find((m) => m.name === 'm_TCP_n6')!.slots.includes(`${RS[0]} . 80`));
    // the ip6 table is replaced and cleared with the others
    assert.match(r.text, /add table ip6 keepalive_ts_nat6\ndelete table ip6 keepalive_ts_nat6\n/);
    assert.match(renderNftClear(), /delete table ip6 keepalive_ts_nat6/);
  });

  it('a fwmark service of family 6 matches IPv6 packets only', () => {
    const r = renderNft([
      svc({
        id: 'FWM 6',
        port: 0,
        fwmark: 6,
        family: 6,
        method: 'NAT',
        destinations: [d(RS[0], 0, 'NAT')],
      }),
    ]);
    assert.match(
      r.text,
      /meta mark 6 meta protocol ip6 meta l4proto \{ tcp, udp, sctp \} dnat ip6 to jhash ip6 saddr \. th sport/,
    );
  });

  it('TUN is refused with its reason (nftables cannot encapsulate), as are mixed families', () => {
    const r = renderNft([
      svc({
        id: 'TUN',
        address: '198.51.100.10',
        method: 'TUN',
        destinations: [d('198.51.100.21', 80, 'TUN')],
      }),
      svc({ id: 'MIX', address: VIP6, method: 'DR', destinations: [d('198.51.100.21', 80, 'DR')] }),
    ]);
    assert.deepEqual(r.skipped, [
      {
        id: 'TUN',
        reason:
          'TUN forwarding needs IPVS (nftables cannot encapsulate packets); use lvs_backend ipvs',
      },
      { id: 'MIX', reason: 'real servers of the other address family' },
    ]);
    assert.doesNotMatch(r.text, /^table /m);
  });
});
