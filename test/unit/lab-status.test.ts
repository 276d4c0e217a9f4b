import { strict as assert } from 'node:assert';
import { formatRouterRoute, parseVipRoute } from '../../scripts/lab/status';

// `ip -j route show 198.51.100.10` as iproute2 6.1 prints it (gw of the active-active lab)
const MULTIPATH = JSON.stringify([
  {
    dst: '198.51.100.10',
    protocol: 'bird',
    metric: 32,
    flags: [],
    nexthops: [
      { gateway: '198.51.100.11', dev: 'lan0', weight: 1, flags: [] },
      { gateway: '198.51.100.12', dev: 'lan0', weight: 1, flags: [] },
      { gateway: '198.51.100.13', dev: 'lan0', weight: 1, flags: [] },
    ],
  },
]);
const SINGLE = JSON.stringify([
  { dst: '198.51.100.10', gateway: '198.51.100.12', dev: 'lan0', protocol: 'bird', flags: [] },
]);

describe('lab status: the router route to the VIP (pure)', () => {
  it('reads a multipath route as its next hops, in order', () => {
    const r = parseVipRoute('gw', '198.51.100.10', MULTIPATH);
    assert.deepEqual(r.nextHops, ['198.51.100.11', '198.51.100.12', '198.51.100.13']);
    assert.equal(r.protocol, 'bird');
    assert.equal(
      formatRouterRoute(r, { '198.51.100.11': 'd1', '198.51.100.12': 'd2', '198.51.100.13': 'd3' }),
      'router gw: VIP 198.51.100.10 via d1 198.51.100.11, d2 198.51.100.12, d3 198.51.100.13 (3 equal-cost next hops, from bird)',
    );
  });

  it('a single path is one next hop; no route says so', () => {
    const one = parseVipRoute('gw', '198.51.100.10', SINGLE);
    assert.deepEqual(one.nextHops, ['198.51.100.12']);
    assert.match(formatRouterRoute(one), /via 198\.51\.100\.12 \(1 next hop, from bird\)/);
    const none = parseVipRoute('gw', '198.51.100.10', '[]');
    assert.deepEqual(none.nextHops, []);
    assert.match(formatRouterRoute(none), /no route to the VIP 198\.51\.100\.10/);
    // another prefix's route is not the VIP's
    assert.deepEqual(
      parseVipRoute('gw', '198.51.100.10', JSON.stringify([{ dst: '198.51.100.0/24' }])).nextHops,
      [],
    );
  });
});
