// The announce loop on a fake clock against a fake BIRD: rounds on change and
// on the interval, BIRD acknowledgement times, BIRD unreachable (logged once,
// retried, repaired after a BIRD restart), withdrawal on stop and on a
// changed protocol, and a reload that does not flap the route.
import { strict as assert } from 'node:assert';
import type { ProtocolRow } from '../../../daemon/bgp/bird-reply';
import type { ServiceView, TrackerView } from '../../../daemon/bgp/input';
import {
  AnnounceLoop,
  type BgpChange,
  type BirdSession,
  type LoopSettings,
} from '../../../daemon/bgp/loop';
import { FakeClock } from '../vrrp/fakes';

const row = (name: string, proto: string, state: string, info = ''): ProtocolRow => ({
  name,
  proto,
  table: '---',
  state,
  since: '08:00:01',
  info,
});

/** A BIRD with protocols; `down` makes connections fail, `restart` resets the VIP protocols to disabled. */
class FakeBird {
  rows = [
    row('upstream', 'BGP', 'up', 'Established'),
    row('vip_announce', 'Static', 'down'),
    row('vip_b', 'Static', 'down'),
  ];
  down = false;
  sent: string[] = [];
  connects = 0;
  connect = async (): Promise<BirdSession> => {
    this.connects++;
    if (this.down) throw new Error('connect ENOENT /run/bird/bird.ctl');
    let open = true;
    const alive = () => {
      if (!open || this.down) throw new Error('BIRD closed the control socket');
    };
    return {
      showProtocols: async () => {
        alive();
        return this.rows.map((r) => ({ ...r }));
      },
      toggle: async (verb, protocol) => {
        alive();
        this.sent.push(`${verb} ${protocol}`);
        const r = this.rows.find((x) => x.name === protocol)!;
        const was = r.state;
        r.state = verb === 'enable' ? 'up' : 'down';
        return { changed: was !== r.state };
      },
      close: () => (open = false),
    };
  };
  state(p = 'vip_announce') {
    return this.rows.find((r) => r.name === p)!.state;
  }
}

const SETTINGS: LoopSettings = {
  bird_socket: '/run/bird/bird.ctl',
  protocol: 'vip_announce',
  withdraw_when: 'any-service-down',
  announce_after: 2,
  interval: 1,
};

function setup(settings = SETTINGS) {
  const clock = new FakeClock();
  const bird = new FakeBird();
  const world = {
    services: [{ id: 'web', quorumUp: true, servers: [{ up: true, weight: 1 }] }] as ServiceView[],
    trackers: [] as TrackerView[],
    drained: false as boolean | string,
  };
  const changes: BgpChange[] = [];
  const logs: string[] = [];
  const loop = new AnnounceLoop(
    {
      clock,
      wallNow: () => 1_700_000_000_000 + clock.now(),
      connect: bird.connect,
      view: () => ({ services: world.services, trackers: world.trackers }),
      drained: () => world.drained,
      log: (level, msg) => logs.push(`${level} ${msg}`),
      changed: (c) => changes.push(c),
    },
    settings,
  );
  /** advance the fake clock and let the rounds it started finish */
  const after = async (ms: number) => {
    clock.advance(ms);
    await loop.idle();
  };
  return { clock, bird, world, changes, logs, loop, after };
}

describe('active-active: the announce loop', () => {
  it('announces after announce_after (not at the next interval tick), then withdraws at once when the service dies', async () => {
    const t = setup({ ...SETTINGS, announce_after: 2.5 });
    t.loop.start();
    await t.after(0);
    assert.equal(t.bird.state(), 'down');
    assert.match(t.loop.status().reason, /settling: announce_after 2.5 s/);
    await t.after(2499);
    assert.equal(t.bird.state(), 'down');
    await t.after(1);
    assert.equal(t.bird.state(), 'up');
    assert.deepEqual(t.changes, [
      {
        change: 'announce',
        announced: true,
        reason: 'announce: serving (web 1/1)',
        wallTime: 1_700_000_002_500,
      },
    ]);
    const st = t.loop.status();
    assert.equal(st.announced, true);
    assert.equal(st.protocolState, 'up');
    assert.deepEqual(st.sessions, ['upstream: up Established']);
    assert.equal(st.lastChange, new Date(1_700_000_002_500).toISOString());

    t.clock.advance(300);
    t.world.services = [{ id: 'web', quorumUp: true, servers: [{ up: false, weight: 1 }] }];
    t.loop.poke(); // the checker's event, between two interval ticks
    await t.loop.idle();
    assert.equal(t.bird.state(), 'down');
    assert.deepEqual(t.changes[1], {
      change: 'withdraw',
      announced: false,
      reason: 'withdraw: web: all 1 real servers down',
      wallTime: 1_700_000_002_800,
    });
    assert.deepEqual(t.loop.status().changes, { announce: 1, withdraw: 1 });
    await t.loop.stop('test over');
  });

  it('a drain or a failing tracker withdraws; the reason names it', async () => {
    const t = setup({ ...SETTINGS, announce_after: 0 });
    t.loop.start();
    await t.after(0);
    assert.equal(t.bird.state(), 'up');
    t.world.drained = 'kernel upgrade';
    t.loop.poke();
    await t.loop.idle();
    assert.equal(t.bird.state(), 'down');
    assert.deepEqual(t.loop.status().causes, ['drained: kernel upgrade']);
    t.world.drained = false;
    t.world.trackers = [{ kind: 'file', name: 'maint', ok: false }];
    await t.after(1000);
    assert.equal(t.bird.state(), 'down');
    assert.deepEqual(t.loop.status().causes, ['tracker file maint failing']);
    t.world.trackers = [{ kind: 'file', name: 'maint', ok: true }];
    await t.after(1000);
    assert.equal(t.bird.state(), 'up');
    await t.loop.stop('test over');
  });

  it('BIRD unreachable: logged once, retried every round, never thrown; a restarted BIRD gets the protocol back', async () => {
    const t = setup({ ...SETTINGS, announce_after: 0 });
    t.loop.start();
    await t.after(0);
    assert.equal(t.bird.state(), 'up');
    t.bird.down = true;
    for (let i = 0; i < 5; i++) await t.after(1000);
    const st = t.loop.status();
    assert.equal(st.announced, false);
    assert.match(st.problem!, /^BIRD unreachable on \/run\/bird\/bird\.ctl: /);
    assert.equal(t.logs.filter((l) => l.includes('unreachable')).length, 1, t.logs.join('\n'));
    const tries = t.bird.connects;
    assert.ok(tries >= 5, `${tries} connection attempts in 5 rounds`);
    // BIRD restarts: its static protocol starts disabled (`disabled yes`)
    t.bird.rows.find((r) => r.name === 'vip_announce')!.state = 'down';
    t.bird.down = false;
    await t.after(1000);
    assert.equal(t.bird.state(), 'up');
    assert.equal(t.loop.status().problem, undefined);
    assert.ok(t.logs.includes('info bgp_announce: BIRD reachable again'));
    assert.equal(t.changes.at(-1)!.change, 'announce');
    await t.loop.stop('test over');
  });

  it('a BIRD without the protocol is a problem in status, logged once', async () => {
    const t = setup({ ...SETTINGS, protocol: 'nosuch' });
    t.loop.start();
    for (let i = 0; i < 3; i++) await t.after(1000);
    assert.equal(t.loop.status().problem, 'BIRD has no protocol nosuch: is its config ours?');
    assert.equal(t.logs.filter((l) => l.includes('no protocol nosuch')).length, 1);
    await t.loop.stop('test over');
  });

  it('stop withdraws first; a reload keeps the route (new announce_after) and a new protocol withdraws the old one', async () => {
    const t = setup({ ...SETTINGS, announce_after: 0 });
    t.loop.start();
    await t.after(0);
    await t.loop.apply({ ...SETTINGS, announce_after: 5 });
    await t.after(1000);
    assert.equal(t.bird.state(), 'up', 'a reload must not flap the route');
    await t.loop.apply({ ...SETTINGS, announce_after: 5, protocol: 'vip_b' });
    await t.loop.idle();
    assert.equal(t.bird.state('vip_announce'), 'down');
    assert.equal(t.bird.state('vip_b'), 'down');
    await t.after(5000);
    assert.equal(t.bird.state('vip_b'), 'up');
    await t.loop.stop('keepalive-ts stopping');
    assert.equal(t.bird.state('vip_b'), 'down');
    assert.deepEqual(t.changes.at(-1), {
      change: 'withdraw',
      announced: false,
      reason: 'keepalive-ts stopping',
      wallTime: 1_700_000_006_000,
    });
    const sent = t.bird.sent.length;
    await t.after(5000);
    assert.equal(t.bird.sent.length, sent, 'a stopped loop runs no round');
  });
});
