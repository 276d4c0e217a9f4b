// BFD between keepalive-ts (d1) and Debian keepalived 2.2.7's BFD child (d2)
// in the lab: the session comes Up both ways (tshark decodes both sides), the
// VRRP instances tracking it keep their priority; cutting d2's link takes our
// session Down within its detection time (10 ms x 5, keepalived's defaults),
// one instance to FAULT (weight 0) and another's priority down by its weight;
// the heal brings all of it back. Times are measured on d1's capture.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Lab } from '../../scripts/lab/lab';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';
import { LabDaemon } from '../../scripts/lab/daemons';

const D1 = '198.51.100.11';
const D2 = '198.51.100.12';
const DETECT_MS = 5 * 10; // multiplier 5 x 10 ms (keepalived's defaults, both sides)
const SLACK = 30; // ms on top of the protocol bound
const ADVERT_MS = 100; // VRRPv3 advert_int 0.1

interface Pkt {
  t: number;
  src: string;
  bfdState?: number;
  diag?: number;
  vrid?: number;
  prio?: number;
}

/** tshark on d1's lan0: BFD control packets and VRRP adverts, with capture times (ms). */
class BfdCapture {
  readonly pkts: Pkt[] = [];
  private child?: ChildProcess;
  constructor(private readonly lab: Lab) {}

  async start() {
    const fields = [
      'frame.time_epoch',
      'ip.src',
      'ipv6.src',
      'bfd.sta',
      'bfd.diag',
      'vrrp.virt_rtr_id',
      'vrrp.prio',
    ];
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.lab.host('d1').ns,
        'tshark',
        '-i',
        'lan0',
        '-l',
        '-n',
        '-f',
        'udp port 3784 or ip proto 112',
        '-T',
        'fields',
        '-E',
        'separator=|',
        ...fields.flatMap((f) => ['-e', f]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let buf = '';
    let ready = false;
    const num = (x: string) => (x === '' ? undefined : Number(x));
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [t, src4, src6, sta, diag, vrid, prio] = buf.slice(0, nl).split('|');
        const src = src4 || src6;
        buf = buf.slice(nl + 1);
        this.pkts.push({
          t: Number(t) * 1000,
          src,
          bfdState: num(sta),
          diag: num(diag),
          vrid: num(vrid),
          prio: num(prio),
        });
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('Capturing on')) ready = true;
    });
    await waitFor('tshark to start', () => ready, 20_000, 50);
    await sleep(200);
  }

  stop() {
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  bfd(src: string) {
    return this.pkts.filter((p) => p.src === src && p.bfdState !== undefined);
  }
  adverts(src: string, vrid: number) {
    return this.pkts.filter((p) => p.src === src && p.vrid === vrid);
  }
}

const ksConf = (d1: string, d2: string) => `bfd_instance to_d2 {
  neighbor_ip ${d2}
  source_ip ${d1}
}
vrrp_instance FAULTS {
  state BACKUP
  interface lan0
  virtual_router_id 61
  priority 100
  version 3
  advert_int 0.1
  virtual_ipaddress {
    198.51.100.61/24
  }
  track_bfd {
    to_d2
  }
}
vrrp_instance WEIGHS {
  state BACKUP
  interface lan0
  virtual_router_id 62
  priority 100
  version 3
  advert_int 0.1
  virtual_ipaddress {
    198.51.100.62/24
  }
  track_bfd {
    to_d2 weight -60
  }
}
`;

const kdConf = (d1: string, d2: string) => `bfd_instance to_d1 {
  neighbor_ip ${d1}
  source_ip ${d2}
}
vrrp_instance WEIGHS {
  state BACKUP
  interface lan0
  virtual_router_id 62
  priority 50
  version 3
  advert_int 0.1
  virtual_ipaddress {
    198.51.100.62/24
  }
  track_bfd {
    to_d1
  }
}
`;

describe('BFD interop with keepalived 2.2.7 (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  const running: LabDaemon[] = [];
  let cap: BfdCapture | undefined;
  before(async () => {
    lab = await sharedLab();
  });
  afterEach(async () => {
    cap?.stop();
    for (const d of running.splice(0)) await d.stop().catch(() => {});
    await lab.exec('d2', ['ip', 'link', 'set', 'lan0', 'up']).catch(() => {});
  });

  for (const family of [4, 6]) {
    // BFD over either family (keepalived's defaults: TTL 255 for IPv4, hop limit 64 for IPv6); VRRP stays IPv4
    const [B1, B2] = family === 4 ? [D1, D2] : ['2001:db8:0:1::11', '2001:db8:0:1::12'];
    it(`IPv${family} sessions: Up both ways; a cut link: our session Down within the detection time, FAULT and weight follow; heal`, async () => {
      cap = new BfdCapture(lab);
      await cap.start();
      const ks = new LabDaemon(lab, 'd1', 'ks', ksConf(B1, B2));
      const kd = new LabDaemon(lab, 'd2', 'kd', kdConf(B1, B2));
      kd.kdModes = []; // keepalived's BFD child runs only without --vrrp
      running.push(ks, kd);
      await kd.start();
      await ks.start();
      type St = { name: string; state: string; priority: number };
      const inst = async (name: string) =>
        ((await ks.status()).instances as unknown as St[]).find((i) => i.name === name)!;

      // Up both ways, seen on the wire
      await waitFor(
        'BFD Up both ways',
        () =>
          cap!.bfd(B1).some((p) => p.bfdState === 3) && cap!.bfd(B2).some((p) => p.bfdState === 3),
        10_000,
        20,
      );
      await waitFor(
        'FAULTS master',
        async () => (await inst('FAULTS')).state === 'MASTER',
        10_000,
        50,
      );
      await waitFor(
        'WEIGHS master',
        async () => (await inst('WEIGHS')).state === 'MASTER',
        10_000,
        50,
      );
      assert.equal((await inst('FAULTS')).priority, 100);
      assert.equal((await inst('WEIGHS')).priority, 100);
      await sleep(500);
      // steady state: our packets go at ~10 ms (jittered 10-25% below), keepalived's too
      const recent = cap.bfd(B1).filter((p) => p.t > cap!.pkts.at(-1)!.t - 400);
      const gaps = recent.slice(1).map((p, i) => p.t - recent[i].t);
      const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;

      // break the path: d2's link down
      const cutAt = Date.now();
      await lab.exec('d2', ['ip', 'link', 'set', 'lan0', 'down']);
      await waitFor(
        'FAULTS in FAULT',
        async () => (await inst('FAULTS')).state === 'FAULT',
        5000,
        20,
      );
      await waitFor('WEIGHS at 40', async () => (await inst('WEIGHS')).priority === 40, 5000, 20);
      // d2 is silent from the cut to the heal: its last packet is the last one heard
      let last = cap.bfd(B2).at(-1)!;
      const find = () => (
        (last = cap!.bfd(B2).at(-1)!),
        {
          ourDown: cap!.bfd(B1).find((p) => p.t > last.t && p.bfdState === 1),
          faultAdvert: cap!.adverts(D1, 61).find((p) => p.t > last.t && p.prio === 0),
          weightAdvert: cap!.adverts(D1, 62).find((p) => p.t > last.t && p.prio === 40),
        }
      );
      // tshark prints with some delay
      await waitFor('the capture', () => Object.values(find()).every(Boolean), 5000, 20).catch(
        () => {
          const around = cap!.pkts.filter((p) => p.t > last.t - 30 && p.t < last.t + 300);
          assert.fail(
            `not all seen after the cut: ${JSON.stringify({ cutAt, last, found: find(), around })}`,
          );
        },
      );
      const { ourDown, faultAdvert, weightAdvert } = find() as {
        [K in keyof ReturnType<typeof find>]-?: Pkt;
      };
      const r = {
        meanTxGapMs: +meanGap.toFixed(2),
        downPacketMs: +(ourDown.t - last.t).toFixed(1),
        downDiag: ourDown.diag,
        faultAdvertMs: +(faultAdvert.t - last.t).toFixed(1),
        weightAdvertMs: +(weightAdvert.t - last.t).toFixed(1),
      };
      // the Down packet leaves at the next transmission after the expiry (<= 10 ms)
      assert.ok(r.downPacketMs <= DETECT_MS + 10 + SLACK, JSON.stringify(r));
      assert.ok(r.downPacketMs >= DETECT_MS - 1, JSON.stringify(r));
      assert.equal(r.downDiag, 1, 'control detection time expired');
      assert.ok(r.faultAdvertMs <= DETECT_MS + SLACK, JSON.stringify(r));
      assert.ok(r.weightAdvertMs <= DETECT_MS + ADVERT_MS + SLACK, JSON.stringify(r));

      // heal
      const healAt = Date.now();
      await lab.exec('d2', ['ip', 'link', 'set', 'lan0', 'up']);
      await waitFor(
        'WEIGHS back at 100',
        async () => (await inst('WEIGHS')).priority === 100,
        10_000,
        20,
      );
      await waitFor(
        'FAULTS master again',
        async () => (await inst('FAULTS')).state === 'MASTER',
        10_000,
        20,
      );
      await waitFor(
        'our Up after the heal',
        () => cap!.bfd(B1).some((p) => p.t > healAt && p.bfdState === 3),
        5000,
        20,
      );
      const upAgain = cap.bfd(B1).find((p) => p.t > healAt && p.bfdState === 3)!;
      console.log(
        `      bfd interop IPv${family}: ${JSON.stringify({ ...r, upAgainAfterHealMs: Math.round(upAgain.t - healAt) })}`,
      );
      assert.ok(!/error/i.test(await ks.log()), await ks.log());
    });
  }
});
