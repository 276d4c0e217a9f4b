// Benchmark: takeover times of a keepalive-ts pair and a keepalived pair on
// the same lab, alternating A B A B: clean stop (SIGTERM -> priority 0) and
// crash (SIGKILL + link down), VRRPv2 advert_int 1, VRRPv3 advert_int 0.1 and
// VRRPv3 advert_int 0.01 (centisecond adverts).
// Times come from packet timestamps (tshark on the backup). `npm run bench:takeover [-- TRIALS]`
import { Lab } from '../lab/lab';
import { Capture, holders, LabDaemon, measureTakeover, vrrpConf, type Kind } from '../lab/daemons';
import { waitFor } from '../lab/sys';

const trials = Number(process.argv[2] ?? 5);
const D1 = '198.51.100.11';
const D2 = '198.51.100.12';

async function trial(lab: Lab, kind: Kind, version: 2 | 3, advertInt: number) {
  const m = new LabDaemon(lab, 'd1', kind, vrrpConf({ priority: 100, version, advertInt }));
  const b = new LabDaemon(lab, 'd2', kind, vrrpConf({ priority: 50, version, advertInt }));
  const cap = new Capture(lab, 'd2');
  await cap.start();
  const holder = (h: string, alone = true) =>
    waitFor(
      `VIP on ${h}`,
      async () =>
        ((x) => (alone ? x.join() === h : x.includes(h)))(await holders(lab, ['d1', 'd2'])),
      10_000,
      10,
    );
  try {
    await m.start();
    await holder('d1');
    await b.start();
    await new Promise((r) => setTimeout(r, advertInt * 4000 + 500));
    let t0 = Date.now();
    await m.term();
    await holder('d2');
    await cap.waitAdvert(D2, t0);
    const term = measureTakeover(cap, D1, D2, t0, true).ms;
    await m.start();
    await holder('d1');
    t0 = Date.now();
    await m.crash();
    await holder('d2', false);
    await cap.waitAdvert(D2, t0);
    const crash = measureTakeover(cap, D1, D2, t0, false).ms;
    await m.recover();
    return { term, crash };
  } finally {
    cap.stop();
    await m.stop().catch(() => {});
    await b.stop().catch(() => {});
    await m.recover();
    await lab.exec('d2', ['sh', '-c', 'ip addr del 198.51.100.10/24 dev lan0 2>/dev/null; true']);
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: +s[Math.floor(s.length / 2)].toFixed(1),
    min: +s[0].toFixed(1),
    max: +s[s.length - 1].toFixed(1),
  };
};

async function main() {
  const lab = new Lab({ prefix: 'lab-bench', log: () => {} });
  await lab.up();
  try {
    for (const [version, advertInt] of [
      [2, 1],
      [3, 0.1],
      [3, 0.01],
    ] as const) {
      const res: Record<Kind, { term: number[]; crash: number[] }> = {
        ks: { term: [], crash: [] },
        kd: { term: [], crash: [] },
      };
      for (let i = 0; i < trials; i++) {
        for (const kind of ['ks', 'kd'] as const) {
          const r = await trial(lab, kind, version, advertInt);
          res[kind].term.push(r.term);
          res[kind].crash.push(r.crash);
        }
      }
      for (const kind of ['ks', 'kd'] as const) {
        console.log(
          JSON.stringify({
            bench: 'takeover',
            daemon: kind === 'ks' ? 'keepalive-ts' : 'keepalived 2.2.7',
            version,
            advert_int: advertInt,
            trials,
            sigterm_ms: stats(res[kind].term),
            crash_ms: stats(res[kind].crash),
          }),
        );
      }
    }
  } finally {
    lab.down();
  }
}

void main();
