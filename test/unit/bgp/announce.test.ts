import { strict as assert } from 'node:assert';
import {
  AnnounceGate,
  decideAnnouncement,
  protocolToggle,
  type AnnounceInput,
} from '../../../daemon/bgp/announce';

const web = (alive: number, total = 2) => ({ name: '198.51.100.10:80/TCP', alive, total });
const dns = (alive: number, total = 2) => ({ name: '198.51.100.10:53/UDP', alive, total });
const input = (over: Partial<AnnounceInput> = {}): AnnounceInput => ({
  services: [web(2), dns(1)],
  trackers: [{ name: 'uplink', ok: true }],
  drained: false,
  policy: 'any-service-down',
  ...over,
});

describe('active-active: the announcement decision', () => {
  it('announces while every service has a real server and nothing else objects', () => {
    const d = decideAnnouncement(input());
    assert.equal(d.announce, true);
    assert.deepEqual(d.causes, []);
    assert.match(
      d.reason,
      /^announce: serving \(198\.51\.100\.10:80\/TCP 2\/2, 198\.51\.100\.10:53\/UDP 1\/2\)$/,
    );
  });

  it('withdraws when a service has no real server (any-service-down), naming it', () => {
    const d = decideAnnouncement(input({ services: [web(0), dns(1)] }));
    assert.equal(d.announce, false);
    assert.deepEqual(d.causes, ['198.51.100.10:80/TCP: all 2 real servers down']);
  });

  it('all-services-down keeps announcing while one service still serves', () => {
    const policy = 'all-services-down';
    assert.equal(decideAnnouncement(input({ policy, services: [web(0), dns(1)] })).announce, true);
    const d = decideAnnouncement(input({ policy, services: [web(0), dns(0, 3)] }));
    assert.equal(d.announce, false);
    assert.equal(d.causes.length, 2);
    assert.match(d.causes[1], /53\/UDP: all 3 real servers down/);
  });

  it('a failing tracker, a drain, or no virtual server at all withdraws; every cause is listed', () => {
    const d = decideAnnouncement(
      input({
        drained: 'maintenance ticket 42',
        trackers: [
          { name: 'uplink', ok: false },
          { name: 'disk', ok: true },
        ],
        services: [web(0)],
      }),
    );
    assert.equal(d.announce, false);
    assert.deepEqual(d.causes, [
      'drained: maintenance ticket 42',
      'tracker uplink failing',
      '198.51.100.10:80/TCP: all 2 real servers down',
    ]);
    assert.equal(d.reason, `withdraw: ${d.causes.join('; ')}`);
    assert.deepEqual(decideAnnouncement(input({ drained: true })).causes, [
      'drained by the operator',
    ]);
    assert.deepEqual(decideAnnouncement(input({ services: [] })).causes, ['no virtual server']);
  });
});

describe('active-active: the announce gate', () => {
  const ok = decideAnnouncement(input());
  const bad = decideAnnouncement(input({ drained: true }));

  it('starts withdrawn and announces only after settleMs of uninterrupted health', () => {
    const g = new AnnounceGate(1000);
    assert.equal(g.isAnnounced, false);
    assert.deepEqual(g.step(ok, 0), {
      announced: false,
      reason: 'can serve for 0 ms, announcing after 1000 ms',
    });
    assert.equal(g.step(ok, 999).change, undefined);
    // a blip restarts the wait
    assert.equal(g.step(bad, 1000).change, undefined);
    assert.equal(g.step(ok, 1500).change, undefined);
    assert.equal(g.step(ok, 2499).change, undefined);
    const s = g.step(ok, 2500);
    assert.equal(s.change, 'announce');
    assert.equal(s.reason, ok.reason);
    assert.equal(g.step(ok, 9000).change, undefined, 'no repeated announce');
  });

  it('withdraws at once, once', () => {
    const g = new AnnounceGate(0);
    assert.equal(g.step(ok, 0).change, 'announce');
    const w = g.step(bad, 1);
    assert.deepEqual(w, { announced: false, change: 'withdraw', reason: bad.reason });
    assert.equal(g.step(bad, 2).change, undefined);
    assert.throws(() => new AnnounceGate(-1), RangeError);
  });

  it('reconciles with what BIRD shows: enable a down protocol we want, disable one we do not', () => {
    assert.equal(protocolToggle(true, 'down'), 'enable');
    assert.equal(protocolToggle(true, 'up'), undefined);
    assert.equal(protocolToggle(false, 'up'), 'disable');
    assert.equal(protocolToggle(false, 'start'), 'disable');
    assert.equal(protocolToggle(false, 'down'), undefined);
    assert.equal(protocolToggle(false, 'flush'), undefined);
    assert.equal(protocolToggle(true, 'flush'), 'enable');
    assert.equal(protocolToggle(true, undefined), undefined);
  });
});
