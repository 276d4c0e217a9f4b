// VRRPv3 over IPv6 between keepalive-ts and Debian keepalived 2.2.7 in the
// lab's director namespaces (2001:db8:0:1::/64): both roles, multicast
// (ff02::12 from link-local sources) and unicast peers. Each run checks the
// election, the clean-stop takeover, preemption back, the crash takeover,
// the checksums tshark computes, and that the new master's unsolicited
// neighbour advertisement moves the gateway's neighbour entry to its MAC.
import { strict as assert } from 'node:assert';
import type { Lab } from '../../scripts/lab/lab';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { masterDownInterval, skewTime } from '../../daemon/vrrp/fsm';
import { sharedLab } from './fixture';
import {
  assertSingleHolder,
  Capture,
  holders,
  LabDaemon,
  measureTakeover,
  VIP6,
  vrrpConf,
  type Kind,
} from '../../scripts/lab/daemons';

const D1 = '2001:db8:0:1::11';
const D2 = '2001:db8:0:1::12';
const HOSTS = ['d1', 'd2'];
const SLACK = 100; // ms on top of the protocol bound
const ADVERT_INT = 0.1;

interface Scenario {
  master: Kind;
  backup: Kind;
  unicast: boolean;
}

const scenarios: Scenario[] = [
  { master: 'ks', backup: 'kd', unicast: false },
  { master: 'kd', backup: 'ks', unicast: false },
  { master: 'ks', backup: 'kd', unicast: true },
  { master: 'kd', backup: 'ks', unicast: true },
];

async function linkLocal(lab: Lab, host: string): Promise<string> {
  const r = await lab.exec(host, [
    'ip',
    '-j',
    '-6',
    'addr',
    'show',
    'dev',
    'lan0',
    'scope',
    'link',
  ]);
  // iproute2's JSON keeps an empty object for each address the filter left out
  const a = (JSON.parse(r.stdout) as { addr_info: { local?: string }[] }[])[0]?.addr_info.find(
    (x) => x.local,
  );
  if (!a?.local) throw new Error(`${host}: lan0 has no IPv6 link-local address`);
  return a.local;
}

async function mac(lab: Lab, host: string): Promise<string> {
  return (await lab.exec(host, ['cat', '/sys/class/net/lan0/address'])).stdout.trim();
}

/** The gateway's neighbour entry for the VIP (its link-layer address), if any. */
async function gatewaySees(lab: Lab): Promise<string | undefined> {
  const r = await lab.exec('gw', ['ip', '-j', '-6', 'neigh', 'show', VIP6, 'dev', 'lan0']);
  return (JSON.parse(r.stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;
}

async function waitHolder(lab: Lab, host: string, timeoutMs: number, alone = true) {
  const ok = async () => {
    const h = await holders(lab, HOSTS, VIP6);
    return alone ? h.join() === host : h.includes(host);
  };
  await waitFor(`VIP6 on ${host}`, ok, timeoutMs, 10);
}

describe('VRRPv3 over IPv6: interop with keepalived 2.2.7 (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  const running: LabDaemon[] = [];
  before(async () => {
    lab = await sharedLab();
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop().catch(() => {});
    for (const h of [...HOSTS, 'gw'])
      await lab.exec(h, [
        'sh',
        '-c',
        `ip link set lan0 up; ip addr del ${VIP6}/64 dev lan0 2>/dev/null; ip -6 neigh flush dev lan0; true`,
      ]);
  });

  for (const s of scenarios) {
    const who = (k: Kind) => (k === 'ks' ? 'keepalive-ts' : 'keepalived');
    it(`${who(s.master)} MASTER + ${who(s.backup)} BACKUP, ${s.unicast ? 'unicast' : 'multicast ff02::12'}`, async () => {
      const [ll1, ll2] = [await linkLocal(lab, 'd1'), await linkLocal(lab, 'd2')];
      const [src1, src2] = s.unicast ? [D1, D2] : [ll1, ll2];
      const conf = (prio: number, self: string, peer: string) =>
        vrrpConf({
          priority: prio,
          version: 3,
          advertInt: ADVERT_INT,
          vip: `${VIP6}/64`,
          ...(s.unicast ? { unicast: { self, peer } } : {}),
        });
      const mdi = (p: number) => masterDownInterval(3, p, ADVERT_INT) * 1000;
      const skew = (p: number) => skewTime(3, p, ADVERT_INT) * 1000;
      const m = new LabDaemon(lab, 'd1', s.master, conf(100, D1, D2));
      const b = new LabDaemon(lab, 'd2', s.backup, conf(50, D2, D1));
      m.vipCidr = b.vipCidr = `${VIP6}/64`;
      running.push(m, b);
      const cap = new Capture(lab, 'd2', 6);
      await cap.start();
      try {
        await m.start();
        await waitHolder(lab, 'd1', mdi(100) + 3000);
        await b.start();
        await sleep(mdi(50) + 300);
        assert.equal(await assertSingleHolder(lab, HOSTS, 10, 50, VIP6), 'd1');
        // the gateway learnt the VIP at d1's MAC from the unsolicited NA (no traffic needed)
        await waitFor(
          'gateway neighbour entry at d1',
          async () => (await gatewaySees(lab)) === (await mac(lab, 'd1')),
          3000,
          20,
        ).catch(async () => {
          // an NA only updates an existing entry: make one, then the next NA must keep it at d1
          await lab.exec('gw', ['ping', '-6', '-c', '1', '-W', '1', VIP6]);
          assert.equal(await gatewaySees(lab), await mac(lab, 'd1'));
        });

        // clean stop: priority 0, the backup takes over after Skew_Time
        let t0 = Date.now();
        await m.term();
        await waitHolder(lab, 'd2', 3000);
        await cap.waitAdvert(src2, t0);
        const term = measureTakeover(cap, src1, src2, t0, true);
        assert.ok(
          term.ms <= skew(50) + SLACK,
          `stop takeover ${term.ms.toFixed(0)} ms > Skew_Time ${skew(50).toFixed(0)} + ${SLACK}`,
        );
        // the new master's NA moved the gateway's entry to d2's MAC
        const mac2 = await mac(lab, 'd2');
        await waitFor(
          'gateway neighbour entry moves to d2',
          async () => (await gatewaySees(lab)) === mac2,
          3000,
          20,
        );
        assert.ok(
          cap.pkts.some((p) => p.t >= t0 && p.arp === VIP6),
          'an unsolicited NA for the VIP after the takeover',
        );

        // preemption back
        await m.start();
        await waitHolder(lab, 'd1', mdi(100) + 3000);
        assert.equal(await assertSingleHolder(lab, HOSTS, 10, 50, VIP6), 'd1');

        // crash: SIGKILL + link down -> takeover within Master_Down_Interval of the last advert
        t0 = Date.now();
        await m.crash();
        await waitHolder(lab, 'd2', mdi(50) + 3000, false);
        await cap.waitAdvert(src2, t0);
        const crash = measureTakeover(cap, src1, src2, t0, false);
        assert.ok(
          crash.ms <= mdi(50) + SLACK && crash.ms >= mdi(50) - SLACK,
          `crash takeover ${crash.ms.toFixed(0)} ms, Master_Down_Interval ${mdi(50).toFixed(0)} ± ${SLACK}`,
        );
        await m.recover();
        assert.equal(await assertSingleHolder(lab, HOSTS, 10, 50, VIP6), 'd2');

        const checked = cap.pkts.filter((p) => p.checksumGood !== undefined);
        assert.ok(checked.length > 10, `tshark checked ${checked.length} VRRP checksums`);
        assert.ok(
          checked.every((p) => p.checksumGood),
          'tshark: every VRRP checksum [correct]',
        );
        console.log(
          `      takeover: stop ${term.ms.toFixed(0)} ms, crash ${crash.ms.toFixed(0)} ms`,
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

  it('an IPv4 and an IPv6 instance share VRID 51 on one interface (dual stack), both elected', async () => {
    const v4 = vrrpConf({ priority: 100, version: 3, advertInt: 0.1 });
    const conf =
      v4 +
      `vrrp_instance VI_6 {\n  state BACKUP\n  interface lan0\n  virtual_router_id 51\n  priority 100\n  advert_int 0.1\n  virtual_ipaddress {\n    ${VIP6}/64\n  }\n}\n`;
    const d = new LabDaemon(lab, 'd1', 'ks', conf);
    running.push(d);
    await d.start();
    await waitHolder(lab, 'd1', 5000);
    assert.deepEqual(await holders(lab, ['d1']), ['d1'], 'and the IPv4 VIP');
    const st = await d.status();
    assert.deepEqual(
      st.instances.map((i) => i.state),
      ['MASTER', 'MASTER'],
    );
  });
});
