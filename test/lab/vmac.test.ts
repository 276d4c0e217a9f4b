// use_vmac against Debian keepalived 2.2.7 in the lab, both roles, IPv4 and
// IPv6: the VIP lives on the master's vrrp.51 (a private macvlan with
// 00:00:5e:00:01:33, IPv6 00:00:5e:00:02:33), adverts and GARPs / NAs leave
// from the virtual MAC, the gateway's neighbour entry for the VIP never
// changes across a clean stop or a crash, the vmac and the sysctls are as
// keepalived makes them and go at stop.
import { strict as assert } from 'node:assert';
import type { Lab } from '../../scripts/lab/lab';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { masterDownInterval, skewTime } from '../../daemon/vrrp/fsm';
import { sharedLab } from './fixture';
import {
  Capture,
  LabDaemon,
  measureTakeover,
  VIP,
  VIP6,
  vrrpConf,
  type Kind,
} from '../../scripts/lab/daemons';

const HOSTS = ['d1', 'd2'];
const VMAC = 'vrrp.51';
const SLACK = 100;

interface Fam {
  f: 4 | 6;
  vip: string;
  mac: string;
}
const FAMS: Fam[] = [
  { f: 4, vip: VIP, mac: '00:00:5e:00:01:33' },
  { f: 6, vip: VIP6, mac: '00:00:5e:00:02:33' },
];

/** the interface holding the VIP on each director */
async function vipDevs(lab: Lab, fam: Fam): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of HOSTS) {
    const r = await lab.exec(h, ['ip', '-o', `-${fam.f}`, 'addr', 'show']);
    const line = r.stdout.split('\n').find((l) => l.includes(` ${fam.vip}/`));
    if (line) out[h] = line.split(/\s+/)[1];
  }
  return out;
}

async function waitHolder(lab: Lab, fam: Fam, host: string, timeoutMs: number, alone = true) {
  await waitFor(
    `VIP on ${host}`,
    async () => {
      const d = await vipDevs(lab, fam);
      return d[host] === VMAC && (!alone || Object.keys(d).length === 1);
    },
    timeoutMs,
    10,
  );
}

/** an interface's IPv6 link-local addresses */
async function linkLocals(lab: Lab, host: string, dev: string): Promise<string[]> {
  const r = await lab.exec(host, ['ip', '-o', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link']);
  return [...r.stdout.matchAll(/inet6 (\S+)\//g)].map((m) => m[1]);
}

const SYSCTLS = [
  'ipv4/conf/lan0/arp_ignore',
  'ipv4/conf/lan0/arp_filter',
  `ipv4/conf/${VMAC}/arp_ignore`,
  `ipv4/conf/${VMAC}/accept_local`,
  `ipv4/conf/${VMAC}/rp_filter`,
  `ipv4/conf/${VMAC}/promote_secondaries`,
  `ipv6/conf/${VMAC}/disable_ipv6`,
  `ipv6/conf/${VMAC}/addr_gen_mode`,
  'ipv4/conf/all/rp_filter',
];
async function sysctls(lab: Lab, host: string) {
  const r = await lab.exec(host, [
    'sh',
    '-c',
    SYSCTLS.map((s) => `echo ${s}=$(cat /proc/sys/net/${s} 2>/dev/null)`).join('; '),
  ]);
  return r.stdout.trim();
}

/** the vmac as `ip -d link` shows it: kind, mode, MAC, base, state */
async function vmacLink(lab: Lab, host: string) {
  const r = await lab.exec(host, ['ip', '-d', '-o', 'link', 'show', 'dev', VMAC]);
  if (r.code !== 0) return undefined;
  const s = r.stdout;
  return {
    base: /vrrp\.51@(\S+):/.exec(s)?.[1],
    mac: /link\/ether (\S+)/.exec(s)?.[1],
    mode: /macvlan mode (\S+)/.exec(s)?.[1],
    up: /[<,]UP[,>]/.test(s),
  };
}

/** the gateway's neighbour entry for the VIP after reaching it (a ping must be answered) */
async function gatewayMac(lab: Lab, fam: Fam) {
  const p = await lab.exec('gw', ['ping', `-${fam.f}`, '-c', '1', '-W', '1', fam.vip]);
  const r = await lab.exec('gw', ['ip', `-${fam.f}`, 'neigh', 'show', fam.vip]);
  return { answered: p.code === 0, mac: /lladdr (\S+)/.exec(r.stdout)?.[1] };
}

async function pingUntil(lab: Lab, fam: Fam, what: string) {
  await waitFor(
    `gateway reaches the VIP ${what}`,
    async () => (await gatewayMac(lab, fam)).answered,
    5000,
    50,
  );
}

const CLEAN = (h: string) =>
  `ip link del ${VMAC} 2>/dev/null; nft delete table ip keepalived 2>/dev/null; nft delete table ip6 keepalived 2>/dev/null; ` +
  `ip link set lan0 up; ip addr del ${VIP}/24 dev lan0 2>/dev/null; ip addr del ${VIP6}/64 dev lan0 2>/dev/null; ` +
  `echo 0 > /proc/sys/net/ipv4/conf/lan0/arp_ignore; echo 0 > /proc/sys/net/ipv4/conf/lan0/arp_filter; ` +
  `echo 0 > /proc/sys/net/ipv4/conf/lan0/arp_announce; true # ${h}`;

/**
 * A reply from the VIP routed out of the base interface makes the kernel ask
 * for the gateway there with the VIP as sender (arp_announce 0), which points
 * the gateway's entry for the VIP at the base MAC: keepalived 2.2.7 does
 * nothing about it either. The operator's remedy, on both directors.
 */
const ANNOUNCE = 'echo 2 > /proc/sys/net/ipv4/conf/lan0/arp_announce';

describe('use_vmac interop with keepalived 2.2.7 (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  const running: LabDaemon[] = [];
  before(async () => {
    lab = await sharedLab();
    for (const h of [...HOSTS, 'gw']) await lab.exec(h, ['sh', '-c', CLEAN(h)]);
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop().catch(() => {});
    for (const h of HOSTS) await lab.exec(h, ['sh', '-c', CLEAN(h)]);
    await lab.exec('gw', ['sh', '-c', 'ip neigh flush dev lan0; ip -6 neigh flush dev lan0']);
  });

  const scenarios: { master: Kind; backup: Kind; fam: Fam }[] = FAMS.flatMap((fam) => [
    { master: 'ks', backup: 'kd', fam },
    { master: 'kd', backup: 'ks', fam },
  ]);
  for (const s of scenarios) {
    const who = (k: Kind) => (k === 'ks' ? 'keepalive-ts' : 'keepalived');
    const { fam } = s;
    const v = fam.f === 4 ? 2 : 3;
    it(`IPv${fam.f}: ${who(s.master)} MASTER + ${who(s.backup)} BACKUP, use_vmac on both, v${v} advert_int 1`, async () => {
      const VMAC_MAC = fam.mac;
      const conf = (prio: number) =>
        vrrpConf({
          priority: prio,
          version: v,
          advertInt: 1,
          extra: '  use_vmac\n',
          ...(fam.f === 6 ? { vip: `${VIP6}/64` } : {}),
        });
      const mdi = (p: number) => masterDownInterval(v, p, 1) * 1000;
      const skew = (p: number) => skewTime(v, p, 1) * 1000;
      // advert sources: the base address, IPv6 the base's link-local (the vmac gets the same)
      const [D1, D2] =
        fam.f === 4
          ? ['198.51.100.11', '198.51.100.12']
          : [(await linkLocals(lab, 'd1', 'lan0'))[0], (await linkLocals(lab, 'd2', 'lan0'))[0]];
      const m = new LabDaemon(lab, 'd1', s.master, conf(100));
      const b = new LabDaemon(lab, 'd2', s.backup, conf(50));
      running.push(m, b);
      for (const h of HOSTS) await lab.exec(h, ['sh', '-c', ANNOUNCE]);
      const before = { d1: await sysctls(lab, 'd1'), d2: await sysctls(lab, 'd2') };
      const cap = new Capture(lab, 'gw', fam.f);
      await cap.start();
      try {
        await m.start();
        await waitHolder(lab, fam, 'd1', mdi(100) + 3000);
        await b.start();
        await sleep(mdi(50) + 200);
        assert.deepEqual(await vipDevs(lab, fam), { d1: VMAC }, 'the VIP on the master vmac only');

        // both made the same interface, with the same sysctls (keepalive-ts's are keepalived's)
        const want = { base: 'lan0', mac: VMAC_MAC, mode: 'private', up: true };
        assert.deepEqual(await vmacLink(lab, 'd1'), want, 'd1 vmac');
        assert.deepEqual(await vmacLink(lab, 'd2'), want, 'd2 vmac');
        const [s1, s2] = [await sysctls(lab, 'd1'), await sysctls(lab, 'd2')];
        assert.equal(s1, s2, 'the same sysctls as keepalived');
        if (fam.f === 4) assert.match(s1, /lan0\/arp_ignore=1\n.*lan0\/arp_filter=1/);
        else
          for (const h of HOSTS)
            assert.deepEqual(
              await linkLocals(lab, h, VMAC),
              await linkLocals(lab, h, 'lan0'),
              `${h}: the vmac's link-local is the base's, no EUI-64 of the virtual MAC`,
            );

        // adverts and GARPs from the virtual MAC; the gateway resolves the VIP to it
        await pingUntil(lab, fam, 'at start');
        assert.equal((await gatewayMac(lab, fam)).mac, VMAC_MAC);
        const adv = cap.adverts(D1);
        assert.ok(
          adv.length > 0 && adv.every((p) => p.eth === VMAC_MAC),
          'adverts from 00:00:5e:00:01:33',
        );
        const garps = cap.pkts.filter((p) => p.arp === fam.vip && p.eth !== undefined);
        assert.ok(garps.length > 0, 'gratuitous ARPs for the VIP');
        assert.ok(
          garps.every((p) => p.eth === VMAC_MAC && (fam.f === 6 || p.arpMac === VMAC_MAC)),
          `GARP Ethernet source and sender MAC: ${JSON.stringify(garps.slice(0, 3))}`,
        );

        // clean stop: the backup takes over after Skew_Time; the old master's vmac is gone
        let t0 = Date.now();
        await m.term();
        await waitHolder(lab, fam, 'd2', 3000);
        await cap.waitAdvert(D2, t0);
        const term = measureTakeover(cap, D1, D2, t0, true);
        assert.ok(term.ms <= skew(50) + SLACK, `SIGTERM takeover ${term.ms.toFixed(0)} ms`);
        assert.equal(await vmacLink(lab, 'd1'), undefined, 'vmac removed at stop');
        // keepalive-ts puts the base interface's ARP settings back; keepalived 2.2.7 leaves them at 1
        if (s.master === 'ks')
          assert.equal(await sysctls(lab, 'd1'), before.d1, 'sysctls put back at stop');
        await pingUntil(lab, fam, 'after the clean stop');
        assert.equal((await gatewayMac(lab, fam)).mac, VMAC_MAC, 'gateway ARP entry unchanged');
        assert.ok(
          cap
            .adverts(D2)
            .filter((p) => p.t >= t0)
            .every((p) => p.eth === VMAC_MAC),
        );

        // preemption back
        await m.start();
        await waitHolder(lab, fam, 'd1', mdi(100) + 3000);

        // crash: SIGKILL + link down -> takeover within Master_Down_Interval of the last advert
        t0 = Date.now();
        await m.crash();
        await waitHolder(lab, fam, 'd2', mdi(50) + 3000, false);
        await cap.waitAdvert(D2, t0);
        const crash = measureTakeover(cap, D1, D2, t0, false);
        assert.ok(
          Math.abs(crash.ms - mdi(50)) <= SLACK,
          `crash takeover ${crash.ms.toFixed(0)} ms vs Master_Down_Interval ${mdi(50).toFixed(0)}`,
        );
        await pingUntil(lab, fam, 'after the crash');
        assert.equal((await gatewayMac(lab, fam)).mac, VMAC_MAC, 'gateway ARP entry unchanged');

        // the gateway never heard another MAC for the VIP
        const others = cap.pkts.filter((p) => p.arp === fam.vip && p.eth && p.eth !== VMAC_MAC);
        assert.deepEqual(others, [], 'no ARP for the VIP from another MAC');
        console.log(
          `      takeover: SIGTERM ${term.ms.toFixed(0)} ms, crash ${crash.ms.toFixed(0)} ms; ` +
            `${cap.adverts(D1).length + cap.adverts(D2).length} adverts, ${garps.length} ARP/NA packets for the VIP at first master, all from ${VMAC_MAC}`,
        );
      } catch (e) {
        const links = async (h: string) =>
          (await lab.exec(h, ['sh', '-c', 'ip -br link; ip -br addr; ip route; ip neigh'])).stdout;
        throw new Error(
          `${(e as Error).message}\n--- ARP seen by gw: ${JSON.stringify(cap.pkts.filter((p) => p.arpMac))}\n--- d1:\n${await links('d1')}--- d2:\n${await links('d2')}--- gw:\n${await links('gw')}\n--- d1 log:\n${(await m.log()).slice(-2500)}\n--- d2 log:\n${(await b.log()).slice(-2500)}`,
        );
      } finally {
        cap.stop();
      }
    });
  }
});
