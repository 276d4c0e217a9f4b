// Split-brain defences on the fake LAN: reference-IP guard, redundant
// heartbeat paths, fencing before takeover. Each with its switched-off control.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import type { Transition } from '../../../daemon/vrrp/status';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const conf = (
  prio: number,
  extra: string,
  self: string,
  peer: string,
  self2?: string,
  peer2?: string,
) =>
  parseText(
    `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n advert_int 1\n unicast_src_ip ${self}\n unicast_peer {\n  ${peer}\n }\n` +
      ` virtual_ipaddress {\n  198.51.100.10/24\n }\n${extra}\n` +
      (self2
        ? ` heartbeat_path {\n  interface eth1\n  unicast_src_ip ${self2}\n  unicast_peer {\n   ${peer2}\n  }\n }\n`
        : '') +
      '}\n',
  );

function node(
  lan: FakeLan,
  clock: FakeClock,
  ip: string,
  text: ReturnType<typeof conf>,
  fence: () => number = () => 0,
) {
  assert.deepEqual(
    text.diagnostics.filter((d) => d.level === 'error'),
    [],
  );
  const net = new FakeNet(lan, ip, clock);
  const transitions: Transition[] = [];
  const fenced: string[][] = [];
  const engine = new VrrpEngine(text.config, {
    net,
    clock,
    scripts: { run: async (argv) => (fenced.push(argv), fence()) },
    log: () => {},
    onTransition: (t) => transitions.push(t),
  });
  return { net, engine, transitions, fenced, state: () => engine.status()[0].state };
}

async function run(clock: FakeClock, ms: number) {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

const pair = (extraB: string, paths = false, fence?: () => number) => {
  const clock = new FakeClock();
  const lan = new FakeLan();
  const a = node(
    lan,
    clock,
    '198.51.100.11',
    conf(
      150,
      '',
      '198.51.100.11',
      '198.51.100.12',
      paths ? '203.0.113.11' : undefined,
      '203.0.113.12',
    ),
  );
  const b = node(
    lan,
    clock,
    '198.51.100.12',
    conf(
      100,
      extraB,
      '198.51.100.12',
      '198.51.100.11',
      paths ? '203.0.113.12' : undefined,
      '203.0.113.11',
    ),
    fence,
  );
  a.engine.start();
  b.engine.start();
  return { clock, lan, a, b };
};

describe('split-brain defences (fake LAN)', () => {
  const guard =
    ' track_reference {\n  address 198.51.100.1\n  interval 0.5\n  timeout 0.3\n  fall 2\n  rise 2\n }';

  it('reference-IP guard: an isolated backup goes FAULT and never takes the VIP; without the guard it does', async () => {
    const p = pair(guard);
    await run(p.clock, 5000);
    assert.equal(p.b.state(), 'BACKUP');
    p.b.net.cut = true; // hears no adverts, cannot reach the reference
    await run(p.clock, 10_000);
    assert.equal(p.b.state(), 'FAULT');
    assert.ok(!p.b.transitions.some((t) => t.to === 'MASTER'));
    assert.equal(p.b.net.vips.size, 0);
    p.b.net.cut = false;
    await run(p.clock, 5000);
    assert.equal(p.b.state(), 'BACKUP');
    assert.ok(
      !p.a.transitions.some((t) => t.from === 'MASTER'),
      'no flap on the master after the heal',
    );

    const off = pair('');
    await run(off.clock, 5000);
    off.b.net.cut = true;
    await run(off.clock, 10_000);
    assert.equal(
      off.b.state(),
      'MASTER',
      'control: without the guard the isolated backup claims the VIP',
    );
  });

  it('heartbeat paths: losing one of two paths is no failover; losing the only path is', async () => {
    const p = pair('', true);
    await run(p.clock, 5000);
    p.a.net.cutPaths.add('eth0');
    await run(p.clock, 10_000);
    assert.equal(p.b.state(), 'BACKUP');
    const paths = p.b.engine.status()[0].paths;
    assert.deepEqual(
      paths.map((x) => [x.name.split(' ')[0], x.up]),
      [
        ['eth0', false],
        ['eth1', true],
      ],
    );

    const one = pair('', false);
    await run(one.clock, 5000);
    one.a.net.cutPaths.add('eth0');
    await run(one.clock, 10_000);
    assert.equal(one.b.state(), 'MASTER', 'control: one path, cut -> the backup takes over');
  });

  it('fencing (require): a vanished master is fenced first, the fence target is its address', async () => {
    const p = pair(' fence_command "/usr/local/bin/fence-node"\n fence_timeout 5');
    await run(p.clock, 5000);
    p.a.net.cut = true;
    await run(p.clock, 10_000);
    assert.deepEqual(p.b.fenced, [['/usr/local/bin/fence-node', '198.51.100.11']]);
    const t = p.b.transitions.find((x) => x.to === 'MASTER')!;
    assert.equal(t.cause, 'fenced');
  });

  it('fencing (require) that fails never takes over and retries; best-effort takes over anyway', async () => {
    const p = pair(' fence_command /bin/fence\n fence_policy require', false, () => 1);
    await run(p.clock, 5000);
    p.a.net.cut = true;
    await run(p.clock, 15_000);
    assert.equal(p.b.state(), 'BACKUP');
    assert.ok(p.b.fenced.length >= 2, 'retried');
    assert.equal(p.b.engine.status()[0].fencing.failures, p.b.fenced.length);

    const q = pair(' fence_command /bin/fence\n fence_policy best-effort', false, () => 1);
    await run(q.clock, 5000);
    q.a.net.cut = true;
    await run(q.clock, 10_000);
    assert.equal(q.b.state(), 'MASTER');
  });

  it('no fencing after a clean priority-0 leave; counts another master as dual-master', async () => {
    const p = pair(' fence_command /bin/fence');
    await run(p.clock, 5000);
    p.a.engine.stop();
    await run(p.clock, 3000);
    assert.equal(p.b.state(), 'MASTER');
    assert.deepEqual(p.b.fenced, []);
  });
});
