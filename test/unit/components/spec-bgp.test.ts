import { strict as assert } from 'node:assert';
import { parseClusterSpec } from '../../../components/spec';
import { readStackSpec } from '../../../components/stack-file';
import { activeActive, issues } from './spec-fixtures';

describe('declaration: mode and bgp (active-active)', () => {
  it('a pair stays a pair: mode defaults to active-passive, without bgp', () => {
    for (const stack of ['lab', 'example']) {
      const c = readStackSpec(stack);
      assert.equal(c.mode, 'active-passive');
      assert.equal(c.bgp, undefined);
    }
  });

  it('fills the bgp defaults: hold 9 / keepalive 3, BFD 100 ms x 3, withdraw on any service down', () => {
    const c = parseClusterSpec(activeActive());
    assert.equal(c.mode, 'active-active');
    assert.deepEqual(
      {
        hold: c.bgp!.holdTime,
        keepalive: c.bgp!.keepaliveTime,
        retry: c.bgp!.retrySeconds,
        announceAfter: c.bgp!.announceAfterSeconds,
        bfd: c.bgp!.bfd,
        when: c.bgp!.withdrawWhen,
        proto: c.bgp!.announceProtocol,
        med: c.bgp!.med,
        communities: c.bgp!.communities,
      },
      {
        hold: 9,
        keepalive: 3,
        retry: 5,
        announceAfter: 2,
        bfd: { enabled: true, intervalMs: 100, multiplier: 3 },
        when: 'any-service-down',
        proto: 'vip_announce',
        med: undefined,
        communities: [],
      },
    );
  });

  it('names the config path of every active-active mistake', () => {
    const bad = activeActive({
      daemon: 'keepalived',
      directors: [
        { name: 'd1', ssh: '198.51.100.11', address: '198.51.100.11', state: 'MASTER' },
        { name: 'd2', ssh: '198.51.100.1', address: '198.51.100.1' },
      ],
      services: [{ port: 80, lbKind: 'NAT', lbAlgo: 'rr' }],
      splitBrain: { fenceCommand: '/bin/true' },
    });
    const got = issues(bad).map((i) => i.split(':').slice(0, 2).join(':'));
    for (const path of [
      'keepalive:cluster.daemon',
      'keepalive:cluster.directors[0].state',
      'keepalive:cluster.bgp.router.address',
      'keepalive:cluster.services[0].lbKind',
      'keepalive:cluster.services[0].lbAlgo',
      'keepalive:cluster.splitBrain.fenceCommand',
    ])
      assert.ok(got.includes(path), `${path} missing in ${got.join(', ')}`);
  });

  it('bgp belongs to active-active only, and active-active needs it', () => {
    const noBgp: Record<string, unknown> = activeActive();
    delete noBgp.bgp;
    assert.match(
      issues(noBgp).join('\n'),
      /^keepalive:cluster\.bgp: mode: active-active needs a bgp block/m,
    );
    assert.match(
      issues(activeActive({ mode: 'active-passive', services: [{ port: 80 }] })).join('\n'),
      /^keepalive:cluster\.bgp: only with mode: active-active/m,
    );
    assert.deepEqual(issues(activeActive()), []);
  });

  it('checks the BGP values themselves: timers, ASNs, communities, protocol name, one director', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
      [{}, { holdTime: 2 }, /bgp\.holdTime:/],
      [{}, { holdTime: 0, keepaliveTime: 3 }, /bgp\.holdTime:/],
      [{}, { holdTime: 6, keepaliveTime: 6 }, /bgp\.keepaliveTime: must be below holdTime \(6\)/],
      [{}, { localAsn: 0 }, /bgp\.localAsn:/],
      [{}, { localAsn: 23456 }, /bgp\.localAsn: reserved AS number/],
      [{}, { router: { address: '198.51.100.1', asn: 2 ** 32 } }, /bgp\.router\.asn:/],
      [
        {},
        { router: { address: 'gw', asn: 65000 } },
        /bgp\.router\.address: must be an IPv4 address/,
      ],
      [{}, { communities: ['65000:70000'] }, /bgp\.communities\[0\]: each part/],
      [{}, { communities: ['65000'] }, /bgp\.communities\[0\]: must be "ASN:VALUE"/],
      [{}, { announceProtocol: 'vip-1' }, /bgp\.announceProtocol: a BIRD name/],
      [{}, { bfd: { intervalMs: 5 } }, /bgp\.bfd\.intervalMs:/],
      [
        {},
        { router: { address: '198.51.100.10', asn: 65000 } },
        /bgp\.router\.address: is the VIP/,
      ],
      [{}, { asPath: 1 }, /bgp: .*asPath/i],
      [
        { directors: [{ name: 'd1', ssh: '198.51.100.11', address: '198.51.100.11' }] },
        {},
        /directors: a pair needs at least two directors/,
      ],
    ];
    for (const [over, bgp, re] of cases)
      assert.match(issues(activeActive(over, bgp)).join('\n'), re);
  });
});
