// keepalive-ts against Debian keepalived 2.2.7 (--vrrp) in the lab's director
// namespaces, both directions, v2 (PASS) and v3, multicast and unicast; and a
// keepalive-ts pair running the seed's configuration.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Lab } from '../../scripts/lab/lab';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { masterDownInterval, skewTime } from '../../daemon/vrrp/fsm';
import { sharedLab } from './fixture';
import {
  assertSingleHolder,
  BIN,
  Capture,
  holders,
  LabDaemon,
  measureTakeover,
  ROOT,
  vrrpConf,
  type Kind,
} from '../../scripts/lab/daemons';

const D1 = '198.51.100.11';
const D2 = '198.51.100.12';
const HOSTS = ['d1', 'd2'];
const SLACK = 100; // ms the issue allows on top of the protocol bound

interface Scenario {
  master: Kind;
  backup: Kind;
  version: 2 | 3;
  advertInt: number;
  unicast: boolean;
}

const scenarios: Scenario[] = [
  { master: 'ks', backup: 'kd', version: 2, advertInt: 1, unicast: false },
  { master: 'kd', backup: 'ks', version: 2, advertInt: 1, unicast: true },
  { master: 'ks', backup: 'kd', version: 3, advertInt: 0.1, unicast: true },
  { master: 'kd', backup: 'ks', version: 3, advertInt: 0.1, unicast: false },
];

/** Wait until `host` holds the VIP (alone, unless `alone` is false: a crashed peer keeps its stale address). */
async function waitHolder(lab: Lab, host: string, timeoutMs: number, alone = true) {
  const ok = async () => {
    const h = await holders(lab, HOSTS);
    return alone ? h.join() === host : h.includes(host);
  };
  await waitFor(`VIP on ${host}`, ok, timeoutMs, 10);
}

describe('VRRP interop with keepalived 2.2.7 (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  const running: LabDaemon[] = [];
  before(async () => {
    lab = await sharedLab();
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop().catch(() => {});
    await lab.exec('d1', [
      'sh',
      '-c',
      'ip link set lan0 up; ip addr del 198.51.100.10/24 dev lan0 2>/dev/null; true',
    ]);
    await lab.exec('d2', [
      'sh',
      '-c',
      'ip link set lan0 up; ip addr del 198.51.100.10/24 dev lan0 2>/dev/null; true',
    ]);
  });

  for (const s of scenarios) {
    const name = `${s.master === 'ks' ? 'keepalive-ts' : 'keepalived'} MASTER + ${s.backup === 'ks' ? 'keepalive-ts' : 'keepalived'} BACKUP, v${s.version} advert_int ${s.advertInt}, ${s.unicast ? 'unicast' : 'multicast'}`;
    it(name, async () => {
      const conf = (prio: number, self: string, peer: string) =>
        vrrpConf({
          priority: prio,
          version: s.version,
          advertInt: s.advertInt,
          ...(s.unicast ? { unicast: { self, peer } } : {}),
        });
      const mdi = (p: number) => masterDownInterval(s.version, p, s.advertInt) * 1000;
      const skew = (p: number) => skewTime(s.version, p, s.advertInt) * 1000;
      const m = new LabDaemon(lab, 'd1', s.master, conf(100, D1, D2));
      const b = new LabDaemon(lab, 'd2', s.backup, conf(50, D2, D1));
      running.push(m, b);
      const cap = new Capture(lab, 'd2');
      await cap.start();
      try {
        // master first, so the backup never holds the VIP at start-up
        await m.start();
        await waitHolder(lab, 'd1', mdi(100) + 3000);
        await b.start();
        await sleep(mdi(50) + 200);
        assert.equal(await assertSingleHolder(lab, HOSTS), 'd1');

        // clean stop: priority 0 -> the backup takes over after Skew_Time
        let t0 = Date.now();
        await m.term();
        await waitHolder(lab, 'd2', 3000);
        await cap.waitAdvert(D2, t0);
        const term = measureTakeover(cap, D1, D2, t0, true);
        assert.ok(
          term.ms <= skew(50) + SLACK,
          `SIGTERM takeover ${term.ms.toFixed(0)} ms > Skew_Time ${skew(50).toFixed(0)} + ${SLACK}`,
        );
        assert.equal(await assertSingleHolder(lab, HOSTS), 'd2');

        // preemption back when the higher priority returns
        await m.start();
        await waitHolder(lab, 'd1', mdi(100) + 3000);
        assert.equal(await assertSingleHolder(lab, HOSTS), 'd1');

        // crash: SIGKILL + link down -> takeover within Master_Down_Interval of the last advert
        t0 = Date.now();
        await m.crash();
        await waitHolder(lab, 'd2', mdi(50) + 3000, false);
        await cap.waitAdvert(D2, t0);
        const crash = measureTakeover(cap, D1, D2, t0, false);
        assert.ok(
          crash.ms <= mdi(50) + SLACK,
          `crash takeover ${crash.ms.toFixed(0)} ms > Master_Down_Interval ${mdi(50).toFixed(0)} + ${SLACK}`,
        );
        assert.ok(
          crash.ms >= mdi(50) - SLACK,
          `crash takeover ${crash.ms.toFixed(0)} ms is early (Master_Down_Interval ${mdi(50).toFixed(0)})`,
        );
        await m.recover();
        assert.equal(await assertSingleHolder(lab, HOSTS), 'd2');

        // every advert on the wire, ours and keepalived's, has a correct checksum
        assert.ok(
          cap.pkts.filter((p) => p.checksumGood !== undefined).every((p) => p.checksumGood),
          'tshark: all VRRP checksums [correct]',
        );
        console.log(
          `      takeover: SIGTERM ${term.ms.toFixed(0)} ms, crash ${crash.ms.toFixed(0)} ms`,
        );
      } catch (e) {
        throw new Error(
          `${(e as Error).message}\n--- d1 log:\n${(await m.log()).slice(-2000)}\n--- d2 log:\n${(await b.log()).slice(-2000)}`,
        );
      } finally {
        cap.stop();
      }
    });
  }

  it('keepalive-ts ignores bad password, wrong VRID, TTL 64 and bad checksum adverts (and counts them)', async () => {
    const m = new LabDaemon(
      lab,
      'd1',
      'ks',
      vrrpConf({ priority: 100, version: 2, advertInt: 1, pass: 'right' }),
    );
    running.push(m);
    await m.start();
    await waitHolder(lab, 'd1', 6000);
    const inject = (...args: string[]) =>
      lab.exec('gw', [
        process.execPath,
        path.join(ROOT, 'dist/scripts/chaos/inject.js'),
        'advert',
        '--if',
        'lan0',
        '--prio',
        '254',
        '--count',
        '3',
        ...args,
      ]);
    await inject('--pass', 'wrong');
    await inject('--pass', 'right', '--vrid', '52');
    await inject('--pass', 'right', '--ttl', '64');
    await inject('--pass', 'right', '--bad-checksum');
    await inject('--pass', 'right', '--interval', '2');
    await sleep(500);
    const st = (await m.status()).instances[0];
    assert.equal(st.state, 'MASTER', 'none of the bad adverts made it yield');
    assert.deepEqual(
      [
        st.counters.drops.auth,
        st.counters.drops.ttl,
        st.counters.drops.checksum,
        st.counters.drops.interval,
      ],
      [3, 3, 3, 3],
    );
    // positive control: the same advert, correct, makes it yield to priority 254
    await inject('--pass', 'right', '--count', '1');
    await sleep(300);
    assert.equal((await m.status()).instances[0].state, 'BACKUP');
  });

  it('SIGHUP reloads without touching an unchanged instance; the control socket is root-only', async () => {
    const two = (p2: number) =>
      vrrpConf({ priority: 100, version: 2, advertInt: 1 }) +
      `vrrp_instance VI_2 {\n  interface lan0\n  virtual_router_id 52\n  priority ${p2}\n  advert_int 1\n  virtual_ipaddress {\n    198.51.100.20/24\n  }\n}\n`;
    const d = new LabDaemon(lab, 'd1', 'ks', two(100));
    running.push(d);
    await d.start();
    await waitHolder(lab, 'd1', 6000);
    await waitFor(
      'both masters',
      async () => (await d.status()).instances.every((i) => i.state === 'MASTER'),
      6000,
    );
    assert.equal((await lab.exec('d1', ['stat', '-c', '%a', d.control])).stdout.trim(), '600');
    const before = (await d.status()) as unknown as {
      instances: { name: string; lastTransition: unknown }[];
    };
    // watch VI_1's VIP every 10 ms across the reload
    let missing = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (!(await holders(lab, ['d1'])).length) missing++;
        await sleep(10);
      }
    })();
    d.conf = two(120);
    await lab.exec('d1', ['sh', '-c', 'cat > /etc/keepalived/ks.conf'], { input: d.conf });
    await lab.exec('d1', ['kill', '-HUP', String(d.pid)]);
    await sleep(1500);
    watching = false;
    await watcher;
    const after = (await d.status()) as unknown as {
      reloads: number;
      instances: { name: string; priority: number; lastTransition: unknown }[];
    };
    assert.equal(after.reloads, 1);
    assert.equal(missing, 0, 'VI_1 VIP never left during the reload');
    assert.deepEqual(
      after.instances.find((i) => i.name === 'VI_1')!.lastTransition,
      before.instances.find((i) => i.name === 'VI_1')!.lastTransition,
    );
    assert.equal(after.instances.find((i) => i.name === 'VI_2')!.priority, 120);
    assert.match(await d.log(), /reload: .*"kept":\["VI_1"\].*"restarted":\["VI_2"\]/);
  });

  it('a keepalive-ts pair with the seed configuration fails over and back', async () => {
    const seed = (f: string) =>
      readFileSync(path.join(ROOT, 'test/fixtures', f), 'utf8')
        .replace(/interface eth0/, 'interface lan0')
        .replace(/192\.168\.22\.195/g, '198.51.100.10')
        .replace(/192\.168\.22\.193/g, '198.51.100.21')
        .replace(/192\.168\.22\.194/g, '198.51.100.22');
    const m = new LabDaemon(lab, 'd1', 'ks', seed('seed-master.conf'));
    const b = new LabDaemon(lab, 'd2', 'ks', seed('seed-backup.conf'));
    running.push(m, b);
    await m.start();
    await b.start();
    await waitHolder(lab, 'd1', 6000);
    assert.equal(await assertSingleHolder(lab, HOSTS), 'd1');
    await m.term();
    await waitHolder(lab, 'd2', 2000);
    await m.start();
    await waitHolder(lab, 'd1', 6000);
    assert.equal(await assertSingleHolder(lab, HOSTS), 'd1');
    const st = (await b.status()).instances[0];
    assert.equal(st.state, 'BACKUP');
    assert.ok(BIN);
  });
});
