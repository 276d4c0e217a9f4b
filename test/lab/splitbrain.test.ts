// The seed's three split-brain remedies in the lab, each with a control run
// that shows the failure when the remedy is switched off: the reference-IP
// guard, redundant heartbeat paths, fencing before takeover; and the heal
// (clients back on the winner's MAC within 1 s).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Lab } from '../../scripts/lab/lab';
import { holders, LabDaemon, ROOT, VIP, vrrpConf } from '../../scripts/lab/daemons';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';

const D = {
  d1: { a: '198.51.100.11', b: '203.0.113.11' },
  d2: { a: '198.51.100.12', b: '203.0.113.12' },
};
const HOSTS = ['d1', 'd2'];

describe('split-brain defences (lab)', function () {
  this.timeout(180_000);
  let lab: Lab;
  const running: LabDaemon[] = [];

  const pair = async (extra: (h: 'd1' | 'd2') => string, global = '') => {
    const mk = (h: 'd1' | 'd2', prio: number) => {
      const peer = h === 'd1' ? 'd2' : 'd1';
      return new LabDaemon(
        lab,
        h,
        'ks',
        vrrpConf({
          priority: prio,
          version: 2,
          advertInt: 1,
          unicast: { self: D[h].a, peer: D[peer].a },
          extra: extra(h),
          global,
        }),
      );
    };
    const m = mk('d1', 150);
    const b = mk('d2', 100);
    running.push(m, b);
    await m.start();
    await waitFor('VIP on d1', async () => (await holders(lab, HOSTS)).join() === 'd1', 10_000, 50);
    await b.start();
    await sleep(1500);
    return { m, b };
  };
  /** watch VIP holders every 50 ms until stop(); returns every distinct set seen */
  const watch = () => {
    const seen = new Set<string>();
    let on = true;
    const done = (async () => {
      while (on) {
        seen.add((await holders(lab, HOSTS)).join(','));
        await sleep(50);
      }
    })();
    return async () => {
      on = false;
      await done;
      return seen;
    };
  };
  const macOf = async (h: string) =>
    (await lab.exec(h, ['cat', '/sys/class/net/lan0/address'])).stdout.trim();
  const arpMacs = async () => {
    const r = await lab.exec('cl', ['arping', '-c', '3', '-w', '2', '-I', 'lan0', VIP]);
    return new Set([...r.stdout.matchAll(/\[([0-9a-f:]{17})\]/gi)].map((m) => m[1].toLowerCase()));
  };

  before(async () => {
    lab = await sharedLab();
  });
  afterEach(async () => {
    await lab.heal();
    for (const d of running.splice(0)) await d.stop().catch(() => {});
    for (const h of HOSTS) {
      await lab.exec(h, [
        'sh',
        '-c',
        `ip link set lan0 up; ip link set lan1 up; ip addr del ${VIP}/24 dev lan0 2>/dev/null; true`,
      ]);
    }
    await lab.exec('cl', ['ip', 'neigh', 'flush', 'dev', 'lan0']);
  });

  const guard =
    '  track_reference {\n    address 198.51.100.1\n    interval 0.3\n    timeout 0.2\n    fall 2\n    rise 2\n  }\n';

  it('reference IP: an isolated backup goes FAULT and never holds the VIP; no flap on the master after the heal', async () => {
    const { b } = await pair(() => guard);
    const stop = watch();
    const t0 = Date.now();
    await lab.cut('d2');
    await waitFor(
      'd2 FAULT',
      async () => (await b.status()).instances[0].state === 'FAULT',
      5000,
      50,
    );
    const faultMs = Date.now() - t0;
    await sleep(6000);
    await lab.heal();
    await sleep(3000);
    const seen = await stop();
    assert.deepEqual([...seen], ['d1'], 'only d1 ever held the VIP');
    assert.equal((await b.status()).instances[0].state, 'BACKUP');
    console.log(`      isolated backup FAULT after ${faultMs} ms`);
  });

  it('control: without the guard the isolated backup claims the VIP', async () => {
    await pair(() => '');
    await lab.cut('d2');
    await waitFor(
      'd2 claims the VIP',
      async () => (await holders(lab, HOSTS)).includes('d2'),
      8000,
      50,
    );
  });

  const paths = (h: 'd1' | 'd2') =>
    `  heartbeat_path {\n    interface lan1\n    unicast_src_ip ${D[h].b}\n    unicast_peer {\n      ${D[h === 'd1' ? 'd2' : 'd1'].b}\n    }\n  }\n`;

  it('heartbeat paths: one of two paths cut is no failover and no dual master', async () => {
    const { b } = await pair(paths);
    const stop = watch();
    await lab.cut('d1', 'd2', 0);
    await sleep(8000);
    const seen = await stop();
    assert.deepEqual([...seen], ['d1']);
    const st = (await b.status()) as unknown as {
      instances: { state: string; paths: { name: string; up: boolean }[] }[];
    };
    assert.equal(st.instances[0].state, 'BACKUP');
    assert.deepEqual(
      st.instances[0].paths.map((p) => p.up),
      [false, true],
      JSON.stringify(st.instances[0].paths),
    );
    assert.match(await b.log(), /heartbeat path lan0 is silent; the peer is still heard on lan1/);
  });

  it('control: with a single path the same cut makes two masters', async () => {
    await pair(() => '');
    await lab.cut('d1', 'd2', 0);
    await waitFor('dual master', async () => (await holders(lab, HOSTS)).length === 2, 8000, 50);
  });

  const fence = (policy: string) => () =>
    `  fence_command "${path.join(ROOT, 'scripts/lab/fence.sh')} ${path.join(lab.dir, 'fence')}"\n  fence_timeout 5\n  fence_policy ${policy}\n`;

  it('fencing (require): with both paths cut the backup fences the master, then takes over; clients see one MAC', async () => {
    const agent = lab.startFenceAgent();
    try {
      const { b } = await pair((h) => paths(h) + fence('require')());
      const t0 = Date.now();
      await lab.cut('d1', 'd2');
      await waitFor(
        'd2 master',
        async () => (await b.status()).instances[0].state === 'MASTER',
        10_000,
        50,
      );
      const takeoverMs = Date.now() - t0;
      assert.deepEqual(agent.fenced, ['d1']);
      const macs = await arpMacs();
      assert.deepEqual([...macs], [await macOf('d2')], 'exactly one VIP holder answers the client');
      console.log(`      fenced and took over ${takeoverMs} ms after the cut`);
    } finally {
      agent.stop();
    }
  });

  it('control: with fencing off the same cut leaves two VIP holders answering the client', async () => {
    await pair((h) => paths(h) + '  fence_policy off\n');
    await lab.cut('d1', 'd2');
    await waitFor('dual master', async () => (await holders(lab, HOSTS)).length === 2, 8000, 50);
    assert.equal((await arpMacs()).size, 2);
  });

  const healTest = async (extra: string) => {
    await pair(() => extra);
    // the client knows the VIP (Linux only updates existing neighbour entries from gratuitous ARP)
    await lab.exec('cl', ['ping', '-c', '1', '-W', '1', VIP]);
    await lab.cut('d1', 'd2');
    await waitFor('dual master', async () => (await holders(lab, HOSTS)).length === 2, 8000, 50);
    // the client last saw the loser's gratuitous ARP
    const loser = await macOf('d2');
    await waitFor(
      'client on d2',
      async () => (await lab.exec('cl', ['ip', 'neigh', 'show', VIP])).stdout.includes(loser),
      8000,
      50,
    );
    // from here on the client sends nothing: only gratuitous ARP can move it
    const winner = await macOf('d1');
    const t0 = Date.now();
    await lab.heal();
    let back = -1;
    while (Date.now() - t0 < 3000) {
      if ((await lab.exec('cl', ['ip', 'neigh', 'show', VIP])).stdout.includes(winner)) {
        back = Date.now() - t0;
        break;
      }
      await sleep(20);
    }
    return back;
  };

  it("heal after a partition: the client is back on the winner's MAC within 1 s", async () => {
    const ms = await healTest('');
    assert.ok(ms >= 0 && ms <= 1000, `client back on d1's MAC after ${ms} ms`);
    console.log(`      client back on the winner's MAC ${ms} ms after the heal`);
  });
});
