// Gratuitous ARP / unsolicited NA timing as keepalived 2.2.7 configures it:
// repeats and delays, vrrp_min_garp, vrrp_garp_interval / vrrp_gna_interval
// and garp_group spacing shared across instances, garp_extra_if refresh.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { FakeClock, FakeLan, FakeNet } from './fakes';

function run(text: string, ms = 12_000) {
  const { config, diagnostics } = parseText(text);
  assert.deepEqual(
    diagnostics.filter((d) => d.level === 'error'),
    [],
  );
  const clock = new FakeClock();
  const net = new FakeNet(new FakeLan(), '198.51.100.11', clock);
  const engine = new VrrpEngine(config, {
    net,
    clock,
    scripts: { run: async () => 0 },
    log: () => {},
    onTransition: () => {},
  });
  engine.start();
  clock.advance(ms);
  const master = Math.min(...net.garps.map((g) => g.at), ...net.nas.map((g) => g.at));
  return {
    net,
    garps: net.garps.map((g) => ({ ip: g.ip, at: g.at - master })),
    nas: net.nas.map((g) => ({ ip: g.ip, at: g.at - master })),
  };
}

const inst = (name: string, vrid: number, vips: string[], extra = '', iface = 'eth0') =>
  `vrrp_instance ${name} {\n interface ${iface}\n virtual_router_id ${vrid}\n priority 255\n${extra}\n virtual_ipaddress {\n${vips.map((v) => `  ${v}\n`).join('')} }\n}\n`;

describe('gratuitous ARP / NA timing (keepalived semantics)', () => {
  it("keepalived's default: 5 at once, 5 more after 5 s", () => {
    const { garps } = run(inst('A', 1, ['198.51.100.10/24']));
    assert.deepEqual(
      garps.map((g) => g.at),
      [0, 0, 0, 0, 0, 5000, 5000, 5000, 5000, 5000],
    );
  });

  it('vrrp_min_garp: one message, no repeat; an explicit setting still wins', () => {
    const min = run(`global_defs {\n vrrp_min_garp\n}\n` + inst('A', 1, ['198.51.100.10/24']));
    assert.deepEqual(
      min.garps.map((g) => g.at),
      [0],
    );
    const both = run(
      `global_defs {\n vrrp_min_garp true\n vrrp_garp_master_repeat 2\n}\n` +
        inst('A', 1, ['198.51.100.10/24']),
    );
    assert.deepEqual(
      both.garps.map((g) => g.at),
      [0, 0],
    );
  });

  it('vrrp_garp_interval spaces ARPs on an interface across instances; NAs have their own interval', () => {
    const { garps, nas } = run(
      `global_defs {\n vrrp_garp_interval 0.1\n vrrp_gna_interval 0.05\n vrrp_garp_master_repeat 1\n vrrp_garp_master_delay 0\n}\n` +
        inst('A', 1, ['198.51.100.10/24', '198.51.100.11/24']) +
        inst('B', 2, ['198.51.100.12/24'], ' virtual_ipaddress_excluded {\n  2001:db8::1/64\n }'),
    );
    assert.deepEqual(
      garps.map((g) => g.at).sort((a, b) => a - b),
      [0, 100, 200],
    );
    assert.deepEqual(
      nas.map((g) => g.at),
      [0],
    );
  });

  it('garp_group: interfaces share one spacing; interfaces outside keep the global one', () => {
    const { garps } = run(
      `global_defs {\n vrrp_garp_master_repeat 2\n vrrp_garp_master_delay 0\n}\n` +
        `garp_group {\n garp_interval 0.5\n interfaces {\n  eth0\n  eth1\n }\n}\n` +
        inst('A', 1, ['198.51.100.10/24']) +
        inst('B', 2, ['203.0.113.10/24'], '', 'eth1') +
        inst('C', 3, ['198.18.0.10/24'], '', 'eth2'),
    );
    const at = (ip: string) => garps.filter((g) => g.ip === ip).map((g) => g.at);
    assert.deepEqual(at('198.18.0.10'), [0, 0], 'eth2 is not in the group');
    const grouped = [...at('198.51.100.10'), ...at('203.0.113.10')].sort((a, b) => a - b);
    assert.deepEqual(grouped, [0, 500, 1000, 1500]);
  });

  it('garp_extra_if all: periodic GARPs for the addresses on other interfaces only', () => {
    const { garps } = run(
      `global_defs {\n vrrp_min_garp\n}\n` +
        inst('A', 1, ['198.51.100.10/24', '203.0.113.10/24 dev eth1'], ' garp_extra_if all 3'),
      10_000,
    );
    assert.deepEqual(
      garps.filter((g) => g.ip === '203.0.113.10').map((g) => g.at),
      [0, 3000, 6000, 9000],
    );
    assert.deepEqual(
      garps.filter((g) => g.ip === '198.51.100.10').map((g) => g.at),
      [0],
    );
  });

  it('rejects a garp_group with neither or both of interface and interfaces', () => {
    const bad = parseText('garp_group {\n garp_interval 1\n}\n');
    assert.match(bad.diagnostics.map((d) => d.message).join(), /needs interface/);
  });
});
