// The health manager under a fake clock with scripted probe results.
import { strict as assert } from 'node:assert';
import { HealthManager, type Probes } from '../../../daemon/check/manager';
import { parseText } from '../../../daemon/config/index';
import type { Service } from '../../../daemon/dataplane/types';
import { FakeClock } from '../vrrp/fakes';

const SEED_VS = (extra = '', rsExtra = '') =>
  `virtual_server 198.51.100.10 80 {\n delay_loop 6\n lb_algo rr\n lb_kind DR\n persistence_timeout 50\n protocol TCP\n${extra}\n` +
  ['198.51.100.21', '198.51.100.22']
    .map(
      (ip) =>
        ` real_server ${ip} 80 {\n  weight 1\n${rsExtra}\n  TCP_CHECK {\n   connect_timeout 3\n   retry 3\n   delay_before_retry 3\n  }\n }\n`,
    )
    .join('') +
  '}\n';

function setup(conf: string, opts: { local?: boolean } = {}) {
  const clock = new FakeClock();
  const down = new Set<string>();
  const calls: string[] = [];
  const applied: Service[][] = [];
  const probes: Probes = {
    tcp: async (host, port) => {
      calls.push(`${host}:${port}@${clock.now()}`);
      return down.has(host) ? { ok: false, reason: 'connection refused' } : { ok: true };
    },
    http: async () => ({ ok: true }),
    script: async () => ({ ok: true, exitCode: 0 }),
    dns: async () => ({ ok: true }),
    udp: async (t) => {
      calls.push(`udp ${t.host}:${t.port}@${clock.now()}`);
      return down.has(t.host) ? { ok: false, reason: 'ECONNREFUSED' } : { ok: true };
    },
    ping: async (host) => {
      calls.push(`ping ${host}@${clock.now()}`);
      return down.has(host) ? { ok: false, reason: 'no echo reply' } : { ok: true };
    },
    smtp: async (t) => {
      calls.push(`smtp ${t.host}:${t.port} ${t.helo}@${clock.now()}`);
      return down.has(t.host) ? { ok: false, reason: 'bad greeting banner' } : { ok: true };
    },
  };
  const scripts: string[] = [];
  const logs: string[] = [];
  const cfg = parseText(conf).config;
  const m = new HealthManager(
    cfg,
    {
      clock,
      probes,
      apply: async (s) => void applied.push(s),
      runScript: async (argv) => (scripts.push(argv.join(' ')), 0),
      log: (_l, msg) => void logs.push(msg),
      isLocal: () => opts.local ?? true,
    },
    () => 0,
  );
  m.start();
  const tick = async (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  };
  const live = () =>
    applied
      .at(-1)![0]
      .destinations.filter((d) => d.weight > 0)
      .map((d) => d.address);
  return { clock, down, calls, applied, m, tick, live, scripts, logs };
}

describe('health manager (fake clock)', () => {
  it('seed timings: a dead server leaves after the 4th failed check, within delay_loop + retry x delay_before_retry', async () => {
    const h = setup(SEED_VS());
    await h.tick(1000);
    assert.deepEqual(h.live(), ['198.51.100.21', '198.51.100.22']);
    const t0 = h.clock.now();
    h.down.add('198.51.100.21');
    await h.tick(30_000);
    const event = h.m.status()[0].servers[0];
    assert.equal(event.up, false);
    assert.deepEqual(h.live(), ['198.51.100.22']);
    const downAt = h.clock.now() - event.sinceMs;
    // next check at most one delay_loop away, then 3 retries 3 s apart (refused at once)
    assert.ok(downAt - t0 <= 6000 + 3 * 3000 + 100, `down after ${downAt - t0} ms`);
    assert.ok(downAt - t0 >= 3 * 3000, `not before the retries (${downAt - t0} ms)`);
    h.down.delete('198.51.100.21');
    await h.tick(6100);
    assert.deepEqual(
      h.live(),
      ['198.51.100.21', '198.51.100.22'],
      'back after the next successful check',
    );
    h.m.stop();
  });

  it('inhibit_on_failure keeps a failed server at weight 0 instead of removing it', async () => {
    const h = setup(SEED_VS(' inhibit_on_failure'));
    h.down.add('198.51.100.22');
    await h.tick(30_000);
    const d = h.applied.at(-1)![0].destinations;
    assert.deepEqual(
      d.map((x) => [x.address, x.weight]),
      [
        ['198.51.100.21', 1],
        ['198.51.100.22', 0],
      ],
    );
    h.m.stop();
  });

  it('quorum lost -> sorry server and quorum_down; regained -> real servers and quorum_up', async () => {
    const h = setup(
      SEED_VS(' quorum 2\n sorry_server 198.51.100.99 80\n quorum_down /qd\n quorum_up /qu'),
    );
    h.down.add('198.51.100.21');
    await h.tick(30_000);
    assert.deepEqual(h.live(), ['198.51.100.99']);
    assert.equal(h.m.status()[0].sorry, true);
    assert.ok(h.scripts.includes('/qd'));
    h.down.clear();
    await h.tick(7000);
    assert.deepEqual(h.live(), ['198.51.100.21', '198.51.100.22']);
    assert.ok(h.scripts.includes('/qu'));
    h.m.stop();
  });

  it('notify_up / notify_down run on changes; alpha starts servers down', async () => {
    const h = setup(SEED_VS(' alpha', '  notify_down "/nd x"\n  notify_up /nu'));
    await h.tick(100);
    assert.deepEqual(
      h.applied[0][0].destinations,
      [],
      'alpha: nothing in service before the first success',
    );
    await h.tick(1000);
    assert.deepEqual(h.live(), ['198.51.100.21', '198.51.100.22']);
    assert.deepEqual(h.scripts, ['/nu', '/nu']);
    h.down.add('198.51.100.22');
    await h.tick(30_000);
    assert.ok(h.scripts.includes('/nd x'));
    h.m.stop();
  });

  it('ha_suspend: no checks while this director does not hold the VIP', async () => {
    const h = setup(SEED_VS(' ha_suspend'), { local: false });
    await h.tick(20_000);
    assert.deepEqual(h.calls, []);
    const g = setup(SEED_VS(' ha_suspend'), { local: true });
    await g.tick(20_000);
    assert.ok(g.calls.length > 0);
    h.m.stop();
    g.m.stop();
  });

  it('ops and uthreshold / lthreshold reach the dataplane', async () => {
    const h = setup(
      'virtual_server 198.51.100.10 53 {\n protocol UDP\n ops\n lb_kind DR\n' +
        ' real_server 198.51.100.21 53 {\n  uthreshold 1000\n  lthreshold 300\n  TCP_CHECK {\n  }\n }\n}\n',
    );
    await h.tick(1000);
    const s = h.applied.at(-1)![0];
    assert.equal(s.onePacket, true);
    assert.deepEqual([s.destinations[0].uThresh, s.destinations[0].lThresh], [1000, 300]);
    h.m.stop();
  });

  describe('virtual_server group', () => {
    const RS = (ip: string, port: number, kind = '') =>
      ` real_server ${ip} ${port} {\n${kind}  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n`;
    const brief = (s: Service) =>
      `${s.id} ${s.scheduler} p${s.persistence} -> ${s.destinations.map((d) => `${d.address}:${d.port}/${d.method}/${d.weight}`).join(' ')}`;

    it('each entry becomes a service with the virtual server settings; DR real servers take the entry port, NAT keep theirs', async () => {
      const h = setup(
        'virtual_server_group G {\n 198.51.100.10-11 80\n 198.51.100.12 8080\n fwmark 9\n}\n' +
          'virtual_server group G {\n delay_loop 6\n lb_algo sh\n persistence_timeout 50\n protocol TCP\n lb_kind DR\n' +
          RS('198.51.100.21', 80) +
          RS('198.51.100.22', 8000, '  lb_kind NAT\n') +
          '}\n',
      );
      await h.tick(1000);
      assert.deepEqual(h.applied.at(-1)!.map(brief), [
        'TCP 198.51.100.10:80 sh p50 -> 198.51.100.21:80/DR/1 198.51.100.22:8000/NAT/1',
        'TCP 198.51.100.11:80 sh p50 -> 198.51.100.21:80/DR/1 198.51.100.22:8000/NAT/1',
        'TCP 198.51.100.12:8080 sh p50 -> 198.51.100.21:8080/DR/1 198.51.100.22:8000/NAT/1',
        'FWM 9 sh p50 -> 198.51.100.21:0/DR/1 198.51.100.22:8000/NAT/1',
      ]);
      const fwm = h.applied.at(-1)![3];
      assert.equal(fwm.fwmark, 9);
      assert.equal(fwm.address, undefined);
      // a failure leaves every service of the group
      h.down.add('198.51.100.21');
      await h.tick(30_000);
      assert.ok(h.applied.at(-1)!.every((s) => s.destinations.length === 1));
      const st = h.m.status()[0];
      assert.equal(st.id, 'group G');
      assert.deepEqual(
        st.servers.map((s) => s.inService),
        [false, true],
      );
      h.m.stop();
    });

    it('two virtual servers sharing a group: per protocol their own services; same protocol shares them', async () => {
      const vs = (proto: string, ip: string) =>
        `virtual_server group G {\n protocol ${proto}\n lb_algo rr\n${RS(ip, 53)}}\n`;
      const h = setup(
        'virtual_server_group G {\n 198.51.100.10 53\n}\n' +
          vs('TCP', '198.51.100.21') +
          vs('UDP', '198.51.100.22') +
          vs('TCP', '198.51.100.23'),
      );
      await h.tick(1000);
      assert.deepEqual(h.applied.at(-1)!.map(brief), [
        'TCP 198.51.100.10:53 rr p0 -> 198.51.100.21:53/NAT/1 198.51.100.23:53/NAT/1',
        'UDP 198.51.100.10:53 rr p0 -> 198.51.100.22:53/NAT/1',
      ]);
      h.m.stop();
    });
  });
});

describe('health manager: UDP_CHECK and PING_CHECK', () => {
  it('probes each real server with its checker and takes a failing one out', async () => {
    const h = setup(
      'virtual_server 198.51.100.10 53 {\n protocol UDP\n delay_loop 2\n' +
        ' real_server 198.51.100.21 53 {\n  UDP_CHECK {\n   retry 0\n  }\n }\n' +
        ' real_server 198.51.100.22 53 {\n  PING_CHECK {\n   retry 0\n  }\n }\n}\n',
    );
    await h.tick(500);
    assert.deepEqual(h.calls.sort(), ['ping 198.51.100.22@0', 'udp 198.51.100.21:53@0']);
    h.down.add('198.51.100.22');
    await h.tick(2500);
    assert.deepEqual(h.live(), ['198.51.100.21']);
  });
});

describe('health manager: log_all_failures', () => {
  const vs = (chk: string, glob = '') =>
    `${glob}virtual_server 198.51.100.10 80 {\n protocol TCP\n delay_loop 2\n` +
    ` real_server 198.51.100.21 80 {\n  TCP_CHECK {\n   retry 2\n   delay_before_retry 1\n${chk}  }\n }\n}\n`;
  const failures = async (conf: string) => {
    const h = setup(conf);
    await h.tick(500);
    h.down.add('198.51.100.21');
    await h.tick(6000);
    return h.logs.filter((l) => l.includes('TCP_CHECK to 198.51.100.21:80 failed')).length;
  };
  it('logs every failed check while the server is up, per checker or globally', async () => {
    assert.equal(await failures(vs('')), 0);
    assert.equal(await failures(vs('   log_all_failures\n')), 3);
    assert.equal(await failures(vs('', 'global_defs {\n checker_log_all_failures\n}\n')), 3);
  });
});
