// Two (or more) VRRP engines on a fake LAN under a fake clock: the timing
// rules of the RFC measured to the millisecond, without sockets.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { splitArgv } from '../../../daemon/core/argv';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import type { Transition } from '../../../daemon/vrrp/status';
import { effectivePriority } from '../../../daemon/vrrp/track';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const conf = (prio: number, extra = '', global = '') =>
  parseText(
    `global_defs {\n${global}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n advert_int 1\n authentication {\n  auth_type PASS\n  auth_pass secret\n }\n virtual_ipaddress {\n  198.51.100.10/24\n }\n${extra}\n}\n`,
  ).config;

function node(
  lan: FakeLan,
  clock: FakeClock,
  ip: string,
  config: ReturnType<typeof conf>,
  scripts: Record<string, number> = {},
) {
  const net = new FakeNet(lan, ip, clock);
  const transitions: Transition[] = [];
  const engine = new VrrpEngine(config, {
    net,
    clock,
    scripts: { run: async (argv) => scripts[argv.join(' ')] ?? 0 },
    log: () => {},
    onTransition: (t) => transitions.push(t),
  });
  return { net, engine, transitions, state: () => engine.status()[0].state };
}

function pair(extraA = '', extraB = '', global = '') {
  const clock = new FakeClock();
  const lan = new FakeLan();
  const a = node(lan, clock, '198.51.100.11', conf(100, extraA, global));
  const b = node(lan, clock, '198.51.100.12', conf(50, extraB, global));
  a.engine.start();
  b.engine.start();
  return { clock, lan, a, b };
}

const holders = (...ns: ReturnType<typeof node>[]) =>
  ns.filter((n) => n.net.vips.has('198.51.100.10')).length;

describe('VRRP engine on a fake LAN', () => {
  it('elects the higher priority after its Master_Down_Interval (3.609 s), the other stays backup', () => {
    const { clock, a, b } = pair();
    clock.advance(3608);
    assert.equal(a.state(), 'BACKUP');
    clock.advance(1);
    assert.equal(a.state(), 'MASTER');
    assert.equal(a.transitions.at(-1)!.at, 3609);
    clock.advance(20_000);
    assert.equal(b.state(), 'BACKUP');
    assert.equal(holders(a, b), 1);
    assert.ok(a.net.garps.length >= 5, 'gratuitous ARPs at master entry');
    assert.equal(b.engine.status()[0].master, '198.51.100.11');
  });

  it('crash of the master: the backup takes over Master_Down_Interval (3.805 s) after the last advert', () => {
    const { clock, a, b } = pair();
    clock.advance(10_000);
    const lastAdvert = a.net.sent.at(-1)!.at;
    a.net.cut = true; // silent: no priority-0 advert
    clock.advance(10_000);
    const t = b.transitions.find((x) => x.to === 'MASTER')!;
    assert.equal(t.at - lastAdvert, 3805);
    assert.equal(t.cause, 'master-down');
  });

  it('a daemon restarted after a crash removes the VIP the crashed run left (keepalived does at start)', () => {
    const { clock, lan, a, b } = pair();
    clock.advance(10_000);
    // the crashed master's VIP stays configured; its restart is a new engine on the same host
    a.net.cut = true;
    clock.advance(5_000);
    assert.equal(b.state(), 'MASTER');
    const again = node(lan, clock, '198.51.100.13', conf(100));
    again.net.setVip(true, { address: '198.51.100.10', prefix: 24, dev: 'eth0' } as never);
    again.engine.start();
    assert.equal(again.state(), 'BACKUP');
    assert.ok(!again.net.vips.has('198.51.100.10'), 'left-over VIP removed at start');
    assert.equal(holders(again, b), 1);
  });

  it('clean stop of the master (priority 0): the backup takes over after Skew_Time (0.805 s)', () => {
    const { clock, a, b } = pair();
    clock.advance(10_000);
    a.engine.stop();
    const stopAt = clock.now();
    assert.equal(a.net.vips.size, 0, 'VIP released at once');
    clock.advance(5000);
    const t = b.transitions.find((x) => x.to === 'MASTER')!;
    assert.equal(t.at - stopAt, 805);
    assert.equal(holders(a, b), 1);
  });

  it('preempts back when the higher priority returns; nopreempt does not', () => {
    const { clock, lan, a, b } = pair();
    clock.advance(10_000);
    a.engine.stop();
    clock.advance(5000);
    assert.equal(b.state(), 'MASTER');
    const a2 = node(lan, clock, '198.51.100.13', conf(100));
    a2.engine.start();
    clock.advance(10_000);
    assert.equal(a2.state(), 'MASTER');
    assert.equal(b.state(), 'BACKUP');

    const p = pair(' state BACKUP\n nopreempt', ' nopreempt');
    p.clock.advance(10_000);
    p.a.engine.stop();
    p.clock.advance(5000);
    const a3 = node(p.lan, p.clock, '198.51.100.13', conf(100, ' nopreempt'));
    a3.engine.start();
    p.clock.advance(20_000);
    assert.equal(p.b.state(), 'MASTER', 'nopreempt: the running master keeps the VIP');
    assert.equal(a3.state(), 'BACKUP');
  });

  it('drops adverts whose addresses are not ours, as keepalived does (so mismatched configs both go MASTER)', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', conf(100));
    const other = conf(200);
    other.vrrp_instance[0].virtual_ipaddress[0].address = '198.51.100.99';
    const b = node(lan, clock, '198.51.100.12', other);
    a.engine.start();
    b.engine.start();
    clock.advance(10_000);
    assert.equal(a.state(), 'MASTER');
    assert.equal(b.state(), 'MASTER');
    assert.ok(a.engine.status()[0].counters.drops.addresses > 0);
  });

  it('drops adverts with the wrong password and counts them', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', conf(100));
    const bad = conf(200).vrrp_instance[0];
    bad.authentication!.auth_pass = 'wrong';
    const b = node(lan, clock, '198.51.100.12', { ...conf(200), vrrp_instance: [bad] });
    a.engine.start();
    b.engine.start();
    clock.advance(10_000);
    assert.equal(a.state(), 'MASTER', 'does not yield to a router it cannot authenticate');
    assert.equal(b.state(), 'MASTER');
    assert.ok(a.engine.status()[0].counters.drops.auth > 0);
  });

  it('a failing tracked script lowers the priority and moves the VIP', async () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const results: Record<string, number> = {};
    const cfgA = parseText(
      'vrrp_script chk {\n script "/usr/bin/check it"\n interval 1\n weight -60\n fall 2\n rise 1\n}\n' +
        'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n authentication {\n  auth_type PASS\n  auth_pass secret\n }\n' +
        ' virtual_ipaddress {\n  198.51.100.10/24\n }\n track_script {\n  chk\n }\n}\n',
    ).config;
    const a = node(lan, clock, '198.51.100.11', cfgA, results);
    const b = node(lan, clock, '198.51.100.12', conf(50));
    a.engine.start();
    b.engine.start();
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    assert.equal(a.state(), 'MASTER');
    results['/usr/bin/check it'] = 1;
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    assert.equal(a.engine.status()[0].priority, 40);
    assert.equal(b.state(), 'MASTER');
    assert.equal(a.state(), 'BACKUP');
  });

  it('a sync group moves its members together', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const two = (prio: number) =>
      parseText(
        [1, 2]
          .map(
            (n) =>
              `vrrp_instance VI_${n} {\n interface eth0\n virtual_router_id ${50 + n}\n priority ${n === 2 && prio === 100 ? 20 : prio}\n virtual_ipaddress {\n  198.51.100.${10 + n}\n }\n}\n`,
          )
          .join('') + 'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n}\n',
      ).config;
    // On A, VI_2 has a low priority (20) and would lose to B (50), but the group follows VI_1.
    const a = node(lan, clock, '198.51.100.11', two(100));
    const b = node(lan, clock, '198.51.100.12', two(50));
    a.engine.start();
    b.engine.start();
    clock.advance(3700);
    const st = a.engine.status();
    assert.deepEqual(
      st.map((s) => s.state),
      ['MASTER', 'MASTER'],
    );
  });

  it('splits script command lines without a shell', () => {
    assert.deepEqual(splitArgv('/usr/bin/check "a b" c'), ['/usr/bin/check', 'a b', 'c']);
  });

  it('computes effective priority from trackers (weights, reverse, weight 0 = FAULT, owner fixed)', () => {
    const t = (ok: boolean, weight: number, reverse = false) => ({
      name: 'x',
      kind: 'script' as const,
      ok,
      weight,
      reverse,
    });
    assert.deepEqual(effectivePriority(100, [t(true, 10)]), { priority: 110, fault: false });
    assert.deepEqual(effectivePriority(100, [t(false, 10)]), { priority: 100, fault: false });
    assert.deepEqual(effectivePriority(100, [t(false, -30)]), { priority: 70, fault: false });
    // keepalived: reverse turns the adjustment around (priority down while up), not the state
    assert.deepEqual(effectivePriority(100, [t(true, -30, true)]), { priority: 100, fault: false });
    assert.deepEqual(effectivePriority(100, [t(false, -30, true)]), {
      priority: 130,
      fault: false,
    });
    assert.deepEqual(effectivePriority(100, [t(true, 10, true)]), { priority: 90, fault: false });
    assert.deepEqual(effectivePriority(100, [t(false, 10, true)]), { priority: 100, fault: false });
    assert.deepEqual(effectivePriority(100, [t(true, 0, true)]), { priority: 100, fault: true });
    assert.deepEqual(effectivePriority(100, [t(false, 0, true)]), { priority: 100, fault: false });
    assert.deepEqual(effectivePriority(100, [t(false, 0)]), { priority: 100, fault: true });
    assert.deepEqual(effectivePriority(250, [t(true, 50)]), { priority: 254, fault: false });
    assert.deepEqual(effectivePriority(255, [t(false, -50)]), { priority: 255, fault: false });
  });

  it('answers a lower-priority master at once (split-brain heal) and both end with one holder', () => {
    const { clock, a, b } = pair();
    clock.advance(10_000);
    // partition: both become master
    a.net.cut = true;
    clock.advance(5000);
    assert.equal(holders(a, b), 2);
    const garpsBefore = a.net.garps.length;
    a.net.cut = false;
    clock.advance(1000);
    assert.equal(holders(a, b), 1);
    assert.equal(a.state(), 'MASTER');
    assert.ok(a.net.garps.length > garpsBefore, 'the winner re-announced the VIP');
    assert.ok(a.engine.status()[0].counters.lowerPriorityMasterSeen >= 1);
  });
});

describe('VRRP engine reload', () => {
  const two = (p2: number) =>
    parseText(
      `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  198.51.100.10\n }\n}\n` +
        `vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n priority ${p2}\n virtual_ipaddress {\n  198.51.100.20\n }\n}\n`,
    ).config;

  it('keeps unchanged instances (state, VIPs, no transition), restarts changed ones, adds and removes', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', two(100));
    a.engine.start();
    clock.advance(5000);
    assert.deepEqual(
      a.engine.status().map((s) => s.state),
      ['MASTER', 'MASTER'],
    );
    const before = a.transitions.length;
    const vipChanges: string[] = [];
    const orig = a.net.setVip.bind(a.net);
    a.net.setVip = (add, vip) => {
      vipChanges.push(`${add ? '+' : '-'}${vip.address}`);
      orig(add, vip);
    };
    const r = a.engine.reload(two(120));
    assert.deepEqual(r, { kept: ['VI_1'], restarted: ['VI_2'], added: [], removed: [] });
    assert.ok(!vipChanges.includes('-198.51.100.10'), 'VI_1 VIP untouched');
    assert.ok(
      a.transitions.slice(before).every((t) => t.instance === 'VI_2'),
      'no transition of VI_1',
    );
    assert.equal(a.engine.status()[0].state, 'MASTER');
    clock.advance(5000);
    assert.equal(a.engine.status().find((s) => s.name === 'VI_2')!.priority, 120);

    const only1 = parseText(
      `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  198.51.100.10\n }\n}\n`,
    ).config;
    assert.deepEqual(a.engine.reload(only1), {
      kept: ['VI_1'],
      restarted: [],
      added: [],
      removed: ['VI_2'],
    });
    assert.ok(!a.net.vips.has('198.51.100.20'), 'a removed instance releases its VIP');
    assert.ok(a.net.vips.has('198.51.100.10'));
  });

  it('follows tracked links by kernel events: FAULT at the event, no polling; reload and stop unsubscribe', () => {
    const { clock, a, b } = pair(' track_interface {\n  eth1\n }\n');
    clock.advance(5000);
    assert.equal(a.state(), 'MASTER');
    assert.equal(a.net.linkWatcherCount, 1);
    const t0 = clock.now();
    a.net.setLink('eth1', false);
    assert.equal(a.state(), 'FAULT', 'the event itself moves the instance (no timer in between)');
    assert.ok(!a.net.vips.has('198.51.100.10'));
    clock.advance(4000);
    assert.equal(b.state(), 'MASTER');
    const at = a.transitions.find((t) => t.to === 'FAULT')!.at;
    assert.equal(at, t0);
    a.net.setLink('eth1', true);
    assert.equal(a.state(), 'BACKUP');
    clock.advance(5000);
    assert.equal(a.state(), 'MASTER', 'preempts back once the link is up');
    a.engine.reload(conf(100, ' track_interface {\n  eth1\n }\n'));
    assert.equal(a.net.linkWatcherCount, 1, 'a reload replaces the subscription');
    a.engine.stop();
    assert.equal(a.net.linkWatcherCount, 0);
  });
});
