import { strict as assert } from 'node:assert';
import {
  buildTopology,
  findOverlaps,
  hostAddress,
  parseCidr,
  vipOf,
} from '../../scripts/lab/topology';

describe('lab topology (pure)', () => {
  it('places hosts in 198.51.100.0/24 with unique names, namespaces, addresses and ports', () => {
    const t = buildTopology({ realServers: 3 });
    const names = t.hosts.map((h) => h.name);
    assert.deepEqual(names, ['gw', 'd1', 'd2', 'rs1', 'rs2', 'rs3', 'cl']);
    assert.deepEqual(
      t.hosts.map((h) => h.ns),
      names.map((n) => `lab-${n}`),
    );
    const addrs = t.hosts.flatMap((h) => h.ifaces.map((i) => i.address));
    assert.equal(new Set(addrs).size, addrs.length);
    const ports = t.hosts.flatMap((h) => h.ifaces.map((i) => i.port));
    assert.equal(new Set(ports).size, ports.length);
    assert.ok(
      ports.every((p) => p.length <= 15),
      'interface names fit IFNAMSIZ',
    );
    assert.equal(t.hosts.find((h) => h.name === 'd1')!.ifaces[1].address, '203.0.113.11');
    assert.equal(t.hosts.find((h) => h.name === 'rs3')!.ifaces[0].address, '198.51.100.23');
    assert.ok(!addrs.includes(vipOf(t)), 'the VIP is not a host address');
    assert.deepEqual(
      t.hosts.filter((h) => h.http).map((h) => h.name),
      ['rs1', 'rs2', 'rs3'],
    );
  });

  it('rejects bad options', () => {
    assert.throws(() => buildTopology({ realServers: 0 }), /realServers/);
    assert.throws(() => buildTopology({ prefix: 'Bad Prefix' }), /prefix/);
    assert.throws(() => buildTopology({ subnet: '198.51.100.0/33' }), /CIDR/);
    assert.throws(() => hostAddress('198.51.100.0/30', 7), /does not fit/);
  });

  it('parses CIDRs to their network', () => {
    assert.deepEqual(parseCidr('198.51.100.77/24'), { base: 0xc6336400, prefix: 24 });
  });

  describe('overlap guard', () => {
    const root = {
      addresses: ['127.0.0.1/8', '192.0.2.2/24'],
      routes: ['192.0.2.0/24', '0.0.0.0/0', '10.9.0.0/16'],
    };
    it('accepts the lab subnets when the root namespace does not use them', () => {
      assert.deepEqual(findOverlaps(['198.51.100.0/24', '203.0.113.0/24'], root), []);
    });
    it('names the address and the route that overlap', () => {
      const hits = findOverlaps(['192.0.2.0/24'], root);
      assert.equal(hits.length, 2);
      assert.match(hits[0], /overlaps address 192\.0\.2\.2\/24/);
      assert.match(hits[1], /overlaps route 192\.0\.2\.0\/24/);
    });
    it('guards the IPv6 segments too (2001:db8::/32 only), families never mix', () => {
      const root6 = {
        addresses: ['::1/128', 'fe80::1/64', '2001:db8:0:1::5/64'],
        routes: ['2001:db8::/48', '::/0'],
      };
      assert.deepEqual(findOverlaps(['2001:db8:1:1::/64', '198.51.100.0/24'], root6), []);
      const hits = findOverlaps(['2001:db8:0:1::/64'], root6);
      assert.equal(hits.length, 2, hits.join('; '));
      const t = buildTopology();
      assert.deepEqual(
        t.segments.map((s) => s.cidr6),
        ['2001:db8:0:1::/64', '2001:db8:0:2::/64'],
      );
      assert.equal(t.hosts.find((h) => h.name === 'd1')!.ifaces[0].address6, '2001:db8:0:1::11');
      assert.equal(t.hosts.find((h) => h.name === 'd2')!.ifaces[1].address6, '2001:db8:0:2::12');
      assert.throws(() => buildTopology({ subnet6: '2001:db9::/64' }), /2001:db8/);
      assert.throws(() => buildTopology({ subnet6: '2001:db8::/48' }), /64/);
    });
    it('catches partial overlaps in both directions but ignores the default route', () => {
      assert.equal(findOverlaps(['10.9.4.0/24'], root).length, 1);
      assert.equal(findOverlaps(['10.0.0.0/8'], root).length, 1);
      assert.equal(findOverlaps(['10.10.0.0/16'], root).length, 0);
    });
  });
});

describe('lab topology: --mode active-active (pure)', () => {
  const t = buildTopology({ mode: 'active-active' });
  const host = (n: string) => t.hosts.find((h) => h.name === n)!;

  it('three directors on segment 0 only, the client on its own segment behind gw', () => {
    assert.deepEqual(
      t.hosts.map((h) => h.name),
      ['gw', 'd1', 'd2', 'd3', 'rs1', 'rs2', 'cl'],
    );
    for (const d of ['d1', 'd2', 'd3']) {
      assert.deepEqual(
        host(d).ifaces.map((i) => `${i.name} ${i.address}/${i.prefix}`),
        [`lan0 198.51.100.1${d[1]}/24`],
      );
      assert.equal(host(d).privateRoot, true);
    }
    assert.deepEqual(
      host('gw').ifaces.map((i) => `${i.name} ${i.address} seg${i.segment}`),
      ['lan0 198.51.100.1 seg0', 'lan1 203.0.113.1 seg1'],
    );
    // gw runs the suite's BIRD: its package records stay in its own /var
    assert.equal(host('gw').privateRoot, true);
    assert.deepEqual(
      host('cl').ifaces.map((i) => `${i.name} ${i.port} ${i.address} seg${i.segment}`),
      ['lan0 cl 203.0.113.100 seg1'],
    );
    const ports = t.hosts.flatMap((h) => h.ifaces.map((i) => i.port));
    assert.equal(new Set(ports).size, ports.length);
  });

  it('routes: the client and the real servers through gw, ops to the VIP and the client through gw', () => {
    assert.deepEqual(host('cl').routes, [{ to: 'default', via: '203.0.113.1' }]);
    for (const rs of ['rs1', 'rs2'])
      assert.deepEqual(host(rs).routes, [{ to: 'default', via: '198.51.100.1' }]);
    assert.equal(host('d1').routes, undefined, 'directors need no route: BGP and DR are on-link');
    assert.deepEqual(t.opsRoutes, [
      { to: '198.51.100.10/32', via: '198.51.100.1' },
      { to: '203.0.113.0/24', via: '198.51.100.1' },
    ]);
  });

  it('leaves the default lab as it was, and refuses an unknown mode', () => {
    const d = buildTopology();
    assert.equal(d.mode, 'active-passive');
    assert.deepEqual(d.opsRoutes, []);
    assert.ok(d.hosts.every((h) => !h.routes));
    assert.equal(d.hosts.find((h) => h.name === 'gw')!.privateRoot, false);
    assert.throws(
      () => buildTopology({ mode: 'mesh' as never }),
      /bad lab mode: mesh \(active-passive or active-active\)/,
    );
  });
});
