import { strict as assert } from 'node:assert';
import { AnnounceGate, type AnnounceInput } from '../../../daemon/bgp/announce';
import { runRound, type BirdPort } from '../../../daemon/bgp/announcer';
import type { ProtocolRow } from '../../../daemon/bgp/bird-reply';

const row = (name: string, proto: string, state: string, info = ''): ProtocolRow => ({
  name,
  proto,
  table: '---',
  state,
  since: '08:00:01.123',
  info,
});

/** BIRD as far as the announcer sees it: protocols with states, toggles that change them */
function fakeBird(vipState: string | undefined) {
  const rows = [
    row('device1', 'Device', 'up'),
    row('upstream', 'BGP', 'up', 'Established'),
    ...(vipState ? [row('vip_announce', 'Static', vipState)] : []),
  ];
  const sent: string[] = [];
  const port: BirdPort = {
    showProtocols: async () => rows.map((r) => ({ ...r })),
    toggle: async (verb, protocol) => {
      sent.push(`${verb} ${protocol}`);
      const r = rows.find((x) => x.name === protocol)!;
      const was = r.state;
      r.state = verb === 'enable' ? 'up' : 'down';
      return { changed: was !== r.state };
    },
  };
  return { port, sent, rows };
}

const healthy: AnnounceInput = {
  services: [{ name: 'web', alive: 2, total: 2 }],
  trackers: [],
  drained: false,
  policy: 'any-service-down',
};

describe('active-active: announcement rounds against BIRD', () => {
  it('enables the VIP protocol once settled, leaves it alone, disables it on drain', async () => {
    const bird = fakeBird('down');
    const gate = new AnnounceGate(500);
    const round = (input: AnnounceInput, now: number) =>
      runRound(bird.port, gate, input, now, 'vip_announce');
    assert.equal((await round(healthy, 0)).toggle, undefined);
    const on = await round(healthy, 500);
    assert.equal(on.toggle, 'enable');
    assert.deepEqual(on.sessions, ['upstream: up Established']);
    assert.equal((await round(healthy, 1000)).toggle, undefined);
    const off = await round({ ...healthy, drained: 'maintenance' }, 1100);
    assert.equal(off.toggle, 'disable');
    assert.match(off.step.reason, /drained: maintenance/);
    assert.deepEqual(bird.sent, ['enable vip_announce', 'disable vip_announce']);
  });

  it('repairs a BIRD that lost the state (restart, reconfigure): enables again', async () => {
    const bird = fakeBird('down');
    const gate = new AnnounceGate(0);
    await runRound(bird.port, gate, healthy, 0, 'vip_announce');
    bird.rows.find((r) => r.name === 'vip_announce')!.state = 'down'; // `birdc configure`
    const again = await runRound(bird.port, gate, healthy, 10, 'vip_announce');
    assert.equal(again.toggle, 'enable');
    assert.deepEqual(bird.sent, ['enable vip_announce', 'enable vip_announce']);
  });

  it('says so when BIRD has no such protocol, and sends nothing', async () => {
    const bird = fakeBird(undefined);
    const plan = await runRound(bird.port, new AnnounceGate(0), healthy, 0, 'vip_announce');
    assert.match(plan.problem!, /BIRD has no protocol vip_announce/);
    assert.deepEqual(bird.sent, []);
  });
});
