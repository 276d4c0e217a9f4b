// virtual_routes / virtual_rules follow MASTER exactly as the VIPs do;
// static_* entries are set when the engine starts, kept, and removed at stop
// (keepalived 2.2.7: vrrp.c vrrp_state_become_master / vrrp_restore_interface,
// vrrp_daemon.c start_vrrp / vrrp_terminate_phase2).
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const STATIC = `static_ipaddress {
 198.51.100.99/32 dev lo
}
static_routes {
 10.50.0.0/16 via 198.51.100.1 dev eth0
}
static_rules {
 from 10.50.0.0/16 table 50 priority 50
}
`;

const conf = (prio: number, statics = STATIC) =>
  parseText(
    `${statics}vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority ${prio}
 advert_int 1
 virtual_ipaddress {
  198.51.100.10/24
 }
 virtual_routes {
  10.60.0.0/16 via 198.51.100.1 dev eth0
  inet6 ignored 2001:db8:60::/48 via 2001:db8::1 dev eth0
 }
 virtual_rules {
  from 10.60.0.0/16 table 60 priority 60
 }
}
`,
  ).config;

function node(lan: FakeLan, clock: FakeClock, ip: string, prio: number) {
  const net = new FakeNet(lan, ip, clock);
  const engine = new VrrpEngine(conf(prio), {
    net,
    clock,
    scripts: { run: async () => 0 },
    log: () => {},
  });
  return { net, engine, state: () => engine.status()[0].state };
}

const VROUTES = [
  '10.60.0.0/16 via 198.51.100.1 dev eth0',
  '2001:db8:60::/48 via 2001:db8::1 dev eth0',
];
const SROUTE = '10.50.0.0/16 via 198.51.100.1 dev eth0';
/** an instance's own entries, removed at daemon start in case a crashed run left them */
const LEFTOVERS = [
  '-rule pref 60 from 10.60.0.0/16 table 60',
  ...VROUTES.map((r) => `-route ${r}`),
];
const hasVirtual = (n: ReturnType<typeof node>) =>
  VROUTES.every((r) => n.net.routes.has(r)) &&
  n.net.rules.has('pref 60 from 10.60.0.0/16 table 60');
const hasNoVirtual = (n: ReturnType<typeof node>) =>
  VROUTES.every((r) => !n.net.routes.has(r)) &&
  !n.net.rules.has('pref 60 from 10.60.0.0/16 table 60');

describe('virtual_routes / virtual_rules and static entries on a fake LAN', () => {
  it('static entries are set at start on every node (any state), before the instances', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', 100);
    a.engine.start();
    assert.equal(a.state(), 'BACKUP');
    assert.ok(a.net.routes.has(SROUTE));
    assert.ok(a.net.rules.has('pref 50 from 10.50.0.0/16 table 50'));
    assert.ok(a.net.vips.has('198.51.100.99'));
    // keepalived clears leftovers first, then adds: addresses, routes, rules; then it
    // clears what an earlier run of the instances may have left (a crash leaves them)
    assert.deepEqual(a.net.routeLog, [
      `-rule pref 50 from 10.50.0.0/16 table 50`,
      `-route ${SROUTE}`,
      `+route ${SROUTE}`,
      `+rule pref 50 from 10.50.0.0/16 table 50`,
      ...LEFTOVERS,
    ]);
    assert.ok(hasNoVirtual(a));
  });

  it('virtual routes/rules appear on MASTER and go on BACKUP, FAULT and stop', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', 100);
    const b = node(lan, clock, '198.51.100.12', 50);
    a.engine.start();
    b.engine.start();
    clock.advance(5000);
    assert.equal(a.state(), 'MASTER');
    assert.ok(hasVirtual(a), [...a.net.routes].join('\n'));
    assert.ok(hasNoVirtual(b));
    // added after the VIPs: routes, then rules
    const since = a.net.routeLog.slice(4 + LEFTOVERS.length);
    assert.deepEqual(since, [
      ...VROUTES.map((r) => `+route ${r}`),
      '+rule pref 60 from 10.60.0.0/16 table 60',
    ]);

    // FAULT (its interface goes down): the master's routes go, the backup takes them
    a.net.setLink('eth0', false);
    assert.equal(a.state(), 'FAULT');
    assert.ok(hasNoVirtual(a));
    assert.deepEqual(a.net.routeLog.slice(-3), [
      '-rule pref 60 from 10.60.0.0/16 table 60',
      ...VROUTES.map((r) => `-route ${r}`),
    ]);
    clock.advance(5000);
    assert.equal(b.state(), 'MASTER');
    assert.ok(hasVirtual(b));
    assert.ok(a.net.routes.has(SROUTE), 'static routes stay in FAULT');

    // back: a preempts, b goes BACKUP and drops them
    a.net.setLink('eth0', true);
    clock.advance(5000);
    assert.equal(a.state(), 'MASTER');
    assert.equal(b.state(), 'BACKUP');
    assert.ok(hasVirtual(a));
    assert.ok(hasNoVirtual(b));

    // stop: virtual entries, then the static ones
    a.engine.stop();
    assert.ok(hasNoVirtual(a));
    assert.equal(a.net.routes.size, 0);
    assert.equal(a.net.rules.size, 0);
    assert.equal(a.net.vips.size, 0);
    assert.deepEqual(a.net.routeLog.slice(-5), [
      '-rule pref 60 from 10.60.0.0/16 table 60',
      ...VROUTES.map((r) => `-route ${r}`),
      '-rule pref 50 from 10.50.0.0/16 table 50',
      `-route ${SROUTE}`,
    ]);
    b.engine.stop();
  });

  it('reload: static entries gone from the config are removed, the others set again', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', 100);
    a.engine.start();
    const next = conf(100, STATIC.replace('10.50.0.0/16 via', '10.51.0.0/16 via'));
    a.engine.reload(next);
    assert.ok(!a.net.routes.has(SROUTE));
    assert.ok(a.net.routes.has('10.51.0.0/16 via 198.51.100.1 dev eth0'));
    assert.ok(a.net.rules.has('pref 50 from 10.50.0.0/16 table 50'));
    a.engine.stop();
    assert.equal(a.net.routes.size + a.net.rules.size + a.net.vips.size, 0);
  });
});
