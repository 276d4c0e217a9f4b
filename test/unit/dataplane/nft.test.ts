import { strict as assert } from 'node:assert';
import { renderNft, renderNftDelta } from '../../../daemon/dataplane/nft';
import { tablesTouched } from '../../../daemon/dataplane/nft-events';
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
  it('DR: netdev ingress, VIP-holder gate, per-flow hash into a named Maglev map, fwd by MAC', () => {
    const r = renderNft([svc({})]);
    assert.deepEqual(r.skipped, []);
    assert.match(r.text, /^add table netdev keepalive_ts\ndelete table netdev keepalive_ts\n/);
    assert.match(
      r.text,
      /ip daddr 198\.51\.100\.10 tcp dport 80 meta pkttype host fib daddr type local fwd ip to jhash ip saddr \. tcp sport mod 251 seed 0x6b617473 map @m_TCP_198_51_100_10_80 device "lan0" comment "TCP 198\.51\.100\.10:80"/,
    );
    // typeof numgen, not typeof jhash: nft 1.0.6 segfaults listing the latter
    assert.match(
      r.text,
      /map m_TCP_198_51_100_10_80 \{\n {4}typeof numgen inc mod 251 : ip daddr\n/,
    );
    assert.match(r.text, /type filter hook ingress device "lan0" priority 0/);
    const elems = /elements = \{ ([^}]*) \}/.exec(r.text)![1].split(', ');
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
      /dnat ip to jhash ip saddr \. tcp sport mod 251 seed 0x6b617473 map @m_TCP_198_51_100_10_80 /,
    );
    assert.match(
      r.text,
      /typeof numgen inc mod 251 : ip daddr \. tcp dport\n {4}elements = \{ 0 : 198\.51\.100\.21 \. 8080, /,
    );
    assert.match(r.text, /ct status dnat masquerade/);
  });

  it('leaves out servers at weight 0 and services without live servers; reports what it cannot do', () => {
    const r = renderNft([
      svc({ destinations: [{ address: '198.51.100.21', port: 80, weight: 0, method: 'DR' }] }),
      svc({ id: 'no address', address: undefined }),
      svc({
        id: 'TUN',
        method: 'TUN',
        destinations: [{ address: '198.51.100.21', port: 80, weight: 1, method: 'TUN' }],
      }),
    ]);
    assert.ok(!r.text.includes('map '));
    assert.deepEqual(
      r.skipped.map((s) => s.id),
      ['no address', 'TUN'],
    );
  });

  it('ops: DR picks per packet (numgen inc, no seed); with NAT it is refused (conntrack binds the flow)', () => {
    const r = renderNft([svc({ protocol: 'UDP', onePacket: true })]);
    assert.match(
      r.text,
      /udp dport 80 meta pkttype host fib daddr type local fwd ip to numgen inc mod 251 map @m_/,
    );
    const nat = renderNft([
      svc({
        onePacket: true,
        method: 'NAT',
        destinations: [{ address: '198.51.100.21', port: 80, weight: 1, method: 'NAT' }],
      }),
    ]);
    assert.deepEqual(
      nat.skipped.map((x) => x.reason),
      ['one-packet scheduling (ops) with NAT needs IPVS'],
    );
  });

  it('fwmark DR: matched by meta mark for TCP, UDP and SCTP, hashed on the transport source port', () => {
    const r = renderNft([svc({ id: 'FWM 7', address: undefined, port: 0, fwmark: 7 })]);
    assert.deepEqual(r.skipped, []);
    assert.match(
      r.text,
      /\n {4}meta mark 7 meta l4proto \{ tcp, udp, sctp \} meta pkttype host fib daddr type local fwd ip to jhash ip saddr \. th sport mod 251 seed 0x6b617473 map @m_FWM_7 device "lan0" comment "FWM 7"\n/,
    );
    assert.doesNotMatch(r.text, /ip daddr 198/);
  });

  it('fwmark NAT: th dport in the map; real servers of port 0 keep the client port (address-only map)', () => {
    const nat = (ports: number[]) =>
      renderNft([
        svc({
          id: 'FWM 7',
          address: undefined,
          port: 0,
          fwmark: 7,
          method: 'NAT',
          destinations: ports.map((port, i) => ({
            address: `198.51.100.2${i + 1}`,
            port,
            weight: 1,
            method: 'NAT' as const,
          })),
        }),
      ]);
    const withPort = nat([8080, 8080]).text;
    assert.match(withPort, /typeof numgen inc mod 251 : ip daddr \. th dport\n/);
    assert.match(
      withPort,
      /meta mark 7 meta l4proto \{ tcp, udp, sctp \} dnat ip to jhash ip saddr \. th sport mod 251 seed 0x6b617473 map @m_FWM_7 comment "FWM 7"/,
    );
    const keep = nat([0, 0]).text;
    assert.match(
      keep,
      /typeof numgen inc mod 251 : ip daddr\n {4}elements = \{ 0 : 198\.51\.100\.2[12], /,
    );
    assert.deepEqual(
      nat([0, 8080]).skipped.map((x) => x.reason),
      ['NAT real servers with and without a port under one fwmark'],
    );
  });

  it('a real server failing is a delta of map elements; a new service is a whole ruleset', () => {
    const three = (up: boolean[]) =>
      svc({
        capacity: 3,
        destinations: ['21', '22', '23'].map((x, i) => ({
          address: `198.51.100.${x}`,
          port: 80,
          weight: up[i] ? 1 : 0,
          method: 'DR' as const,
        })),
      });
    const all = renderNft([three([true, true, true])]);
    const down = renderNft([three([true, false, true])]);
    assert.equal(all.structure, down.structure, 'the table keeps its size (sized for 3)');
    const delta = renderNftDelta(all, down)!;
    const [del, add] = delta.trim().split('\n');
    assert.match(del, /^delete element netdev keepalive_ts m_TCP_198_51_100_10_80 \{ [\d, ]+ \}$/);
    assert.match(add, /^add element netdev keepalive_ts m_TCP_198_51_100_10_80 \{ /);
    const moved = /\{ (.*) \}/.exec(del)![1].split(', ').length;
    const was22 = all.maps[0].slots.filter((v) => v === '198.51.100.22').length;
    // Maglev: the failed server's slots move, and only a few others (here < 10% more)
    assert.ok(moved >= was22 && moved < was22 * 1.1, `${moved} slots moved, ${was22} were its`);
    assert.ok(!add.includes('198.51.100.22'));
    assert.equal(renderNftDelta(down, down), '', 'nothing changed: nothing to send');
    assert.equal(
      renderNftDelta(
        all,
        renderNft([three([true, true, true]), svc({ id: 'TCP 198.51.100.10:81', port: 81 })]),
      ),
      undefined,
      'a new service changes the structure',
    );
  });

  it('nftables events: the tables a change touched, not the generation message', () => {
    const nlmsg = (type: number, attrs: [number, Uint8Array][]) => {
      const body = attrs.map(([t, v]) => {
        const len = 4 + v.length;
        const b = Buffer.alloc((len + 3) & ~3);
        b.writeUInt16LE(len, 0);
        b.writeUInt16LE(t, 2);
        b.set(v, 4);
        return b;
      });
      const h = Buffer.alloc(20);
      const total = 20 + body.reduce((n, b) => n + b.length, 0);
      h.writeUInt32LE(total, 0);
      h.writeUInt16LE(type, 4);
      return Buffer.concat([h, ...body]);
    };
    const str = (s: string) => Buffer.from(s + '\0');
    const u32 = Buffer.alloc(4);
    const buf = Buffer.concat([
      nlmsg((10 << 8) | 2, [[1, str('keepalive_ts')]]), // DELTABLE
      nlmsg((10 << 8) | 12, [
        [1, str('filter')],
        [2, str('s')],
      ]), // NEWSETELEM
      nlmsg((10 << 8) | 15, [[1, u32]]), // NEWGEN: no table
      nlmsg((1 << 8) | 0, [[1, str('conntrack')]]), // another subsystem
    ]);
    assert.deepEqual(tablesTouched(buf), ['keepalive_ts', 'filter']);
    assert.deepEqual(tablesTouched(buf.subarray(0, 10)), [], 'a truncated message is ignored');
  });
});
