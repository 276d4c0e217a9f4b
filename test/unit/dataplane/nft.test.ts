import { strict as assert } from 'node:assert';
import { renderNft } from '../../../daemon/dataplane/nft';
import type { Service } from '../../../daemon/dataplane/types';

const svc = (o: Partial<Service>): Service => ({
  id: 'TCP 198.51.100.10:80',
  protocol: 'TCP',
  address: '198.51.100.10',
  port: 80,
  scheduler: 'rr',
  method: 'DR',
  persistence: 0,
  ingress: 'lan0',
  egress: 'lan0',
  destinations: [
    { address: '198.51.100.21', port: 80, weight: 1, method: 'DR' },
    { address: '198.51.100.22', port: 80, weight: 1, method: 'DR' },
  ],
  ...o,
});

describe('nftables rendering', () => {
  it('DR: netdev ingress, VIP-holder gate, per-flow hash into a Maglev map, fwd by MAC', () => {
    const r = renderNft([svc({})]);
    assert.deepEqual(r.skipped, []);
    assert.match(r.text, /^add table netdev keepalive_ts\ndelete table netdev keepalive_ts\n/);
    assert.match(
      r.text,
      /ip daddr 198\.51\.100\.10 tcp dport 80 fib daddr type local fwd ip to jhash ip saddr \. tcp sport mod 251 seed 0x6b617473 map \{ 0 : 198\.51\.100\.2[12], .* \} device "lan0" comment "TCP 198\.51\.100\.10:80"/,
    );
    assert.match(r.text, /type filter hook ingress device "lan0" priority 0/);
    const elems = /map \{ ([^}]*) \}/.exec(r.text)![1].split(', ');
    assert.equal(elems.length, 251);
    assert.ok(
      elems.some((e) => e.endsWith('198.51.100.21')) &&
        elems.some((e) => e.endsWith('198.51.100.22')),
    );
  });

  it('persistence hashes on the client address only', () => {
    assert.match(
      renderNft([svc({ persistence: 50 })]).text,
      /fwd ip to jhash ip saddr mod 251 seed 0x6b617473 map/,
    );
  });

  it('NAT: dnat to address and port, masquerade for one-arm', () => {
    const r = renderNft([
      svc({
        method: 'NAT',
        destinations: [{ address: '198.51.100.21', port: 8080, weight: 1, method: 'NAT' }],
      }),
    ]);
    assert.match(
      r.text,
      /dnat ip to jhash ip saddr \. tcp sport mod 251 seed 0x6b617473 map \{ 0 : 198\.51\.100\.21 \. 8080, /,
    );
    assert.match(r.text, /ct status dnat masquerade/);
  });

  it('leaves out servers at weight 0 and services without live servers; reports what it cannot do', () => {
    const r = renderNft([
      svc({ destinations: [{ address: '198.51.100.21', port: 80, weight: 0, method: 'DR' }] }),
      svc({ id: 'FWM 7', address: undefined, fwmark: 7 }),
      svc({
        id: 'TUN',
        method: 'TUN',
        destinations: [{ address: '198.51.100.21', port: 80, weight: 1, method: 'TUN' }],
      }),
    ]);
    assert.ok(!r.text.includes('map {'));
    assert.deepEqual(
      r.skipped.map((s) => s.id),
      ['FWM 7', 'TUN'],
    );
  });
});
