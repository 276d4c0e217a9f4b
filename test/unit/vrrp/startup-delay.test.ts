// vrrp_startup_delay and log_unknown_vrids on a fake LAN under a fake clock.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const conf = (prio: number, global = '', vrid = 51, state = 'BACKUP') =>
  parseText(
    `global_defs {\n${global}\n}\nvrrp_instance VI_1 {\n state ${state}\n interface eth0\n virtual_router_id ${vrid}\n priority ${prio}\n advert_int 1\n virtual_ipaddress {\n  198.51.100.${vrid}/24\n }\n}\n`,
  ).config;

function node(lan: FakeLan, clock: FakeClock, ip: string, config: ReturnType<typeof conf>) {
  const net = new FakeNet(lan, ip, clock);
  const logs: string[] = [];
  const engine = new VrrpEngine(config, {
    net,
    clock,
    scripts: { run: async () => 0 },
    log: (_l, m) => logs.push(m),
  });
  return { net, engine, logs, state: () => engine.status()[0].state };
}

describe('vrrp_startup_delay (keepalived: vrrp_delayed_start_time)', () => {
  it('BACKUP at once, MASTER no earlier than delay + Master_Down_Interval', () => {
    const clock = new FakeClock();
    const a = node(new FakeLan(), clock, '198.51.100.11', conf(100, 'vrrp_startup_delay 5.5'));
    a.engine.start();
    assert.equal(a.state(), 'BACKUP');
    assert.ok(a.logs.includes('Delaying startup for 5.5 seconds'), a.logs.join('\n'));
    // 3 * 1 + (256 - 100) / 256 = 3.609 s after the delay
    clock.advance(5500 + 3608);
    assert.equal(a.state(), 'BACKUP');
    assert.equal(a.net.sent.length, 0, 'no advert during the delay');
    clock.advance(1);
    assert.equal(a.state(), 'MASTER');
  });

  it('without it the same instance is MASTER after 3.609 s', () => {
    const clock = new FakeClock();
    const a = node(new FakeLan(), clock, '198.51.100.11', conf(100));
    a.engine.start();
    clock.advance(3609);
    assert.equal(a.state(), 'MASTER');
  });

  it('an address owner (priority 255) becomes MASTER when the delay ends', () => {
    const clock = new FakeClock();
    const a = node(new FakeLan(), clock, '198.51.100.11', conf(255, 'vrrp_startup_delay 2'));
    a.engine.start();
    clock.advance(1999);
    assert.notEqual(a.state(), 'MASTER');
    assert.equal(a.net.vips.size, 0);
    clock.advance(1);
    assert.equal(a.state(), 'MASTER');
  });

  it('adverts heard during the delay are followed: a master already there keeps it', () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const m = node(lan, clock, '198.51.100.12', conf(200));
    m.engine.start();
    clock.advance(5000);
    assert.equal(m.state(), 'MASTER');
    const b = node(lan, clock, '198.51.100.11', conf(100, 'vrrp_startup_delay 3'));
    b.engine.start();
    clock.advance(20_000);
    assert.equal(b.state(), 'BACKUP');
    assert.equal(b.engine.status()[0].master, '198.51.100.12');
  });
});

describe('log_unknown_vrids', () => {
  function lan(global: string) {
    const clock = new FakeClock();
    const l = new FakeLan();
    const a = node(l, clock, '198.51.100.11', conf(100, global, 51));
    const other = node(l, clock, '198.51.100.13', conf(150, '', 77, 'MASTER'));
    a.engine.start();
    other.engine.start();
    return { clock, a };
  }
  const unknown = (logs: string[]) => logs.filter((m) => m.startsWith('Unknown VRID'));

  it('off (the default): nothing is logged', () => {
    const { clock, a } = lan('');
    clock.advance(10_000);
    assert.deepEqual(unknown(a.logs), []);
  });

  it("on: keepalived's line, at most once a second per interface, VRID and source", () => {
    const { clock, a } = lan('log_unknown_vrids');
    clock.advance(10_000);
    const lines = unknown(a.logs);
    assert.equal(
      lines[0],
      'Unknown VRID(77) received on interface(eth0) from 198.51.100.13. ignoring...',
    );
    // VRID 77 is master from 3.4 s on, one advert a second
    assert.ok(lines.length >= 5 && lines.length <= 7, lines.join('\n'));
    // its own VRID is never "unknown"
    assert.ok(!a.logs.some((m) => m.startsWith('Unknown VRID(51)')));
  });
});
