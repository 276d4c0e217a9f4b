// Benchmark: start-up, the part of a restarted master's preemption that is
// the daemon's own. An address owner (priority 255) sends its first advert as
// soon as it runs; the time from the spawn to that advert on the wire
// (tshark on the peer's link), keepalive-ts and keepalived alternating, plus
// keepalive-ts's own phases from its status (ms after exec).
// `npm run bench:startup [-- TRIALS]` (default 5)
import { Capture, LabDaemon, type Kind } from '../lab/daemons';
import { Lab } from '../lab/lab';
import { sleep } from '../lab/sys';

const TRIALS = Number(process.argv[2] ?? 5);
const D1 = '198.51.100.11';
const CONF =
  'global_defs {\n  router_id startup\n}\n' +
  'vrrp_instance VI_1 {\n  state MASTER\n  interface lan0\n  virtual_router_id 51\n  priority 255\n' +
  '  advert_int 1\n  authentication {\n    auth_type PASS\n    auth_pass lab1234\n  }\n' +
  '  virtual_ipaddress {\n    198.51.100.10/24\n  }\n}\n';

async function trial(lab: Lab, cap: Capture, kind: Kind) {
  const d = new LabDaemon(lab, 'd1', kind, CONF);
  try {
    const t0 = Date.now();
    await d.start();
    await cap.waitAdvert(D1, t0, 10_000);
    const first = cap.adverts(D1).find((p) => p.t >= t0 && (p.prio ?? 0) > 0)!;
    const phases =
      kind === 'ks'
        ? ((await d.status()) as unknown as { startup: { configMs: number; vrrpMs?: number } })
            .startup
        : undefined;
    return { firstAdvertMs: first.t - t0, phases };
  } finally {
    await d.stop().catch(() => {});
    await lab.exec('d1', ['sh', '-c', 'ip addr del 198.51.100.10/24 dev lan0 2>/dev/null; true']);
    await sleep(300);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const lab = new Lab({ prefix: 'lab-bench', log: () => {} });
  await lab.up();
  const cap = new Capture(lab, 'd2');
  try {
    await cap.start();
    const first: Record<Kind, number[]> = { ks: [], kd: [] };
    const config: number[] = [];
    const vrrp: number[] = [];
    for (let i = 0; i < TRIALS; i++)
      for (const kind of ['ks', 'kd'] as const) {
        const r = await trial(lab, cap, kind);
        first[kind].push(r.firstAdvertMs);
        if (r.phases) {
          config.push(r.phases.configMs);
          if (r.phases.vrrpMs !== undefined) vrrp.push(r.phases.vrrpMs);
        }
      }
    const ks = median(first.ks);
    const kd = median(first.kd);
    console.log(
      JSON.stringify({
        bench: 'startup',
        trials: TRIALS,
        spawn_to_first_advert_ms: {
          'keepalive-ts': { median: Math.round(ks), all: first.ks.map(Math.round) },
          'keepalived 2.2.7': { median: Math.round(kd), all: first.kd.map(Math.round) },
          ratio: +(ks / kd).toFixed(2),
        },
        'keepalive-ts phases (ms after exec, median)': {
          config_read: median(config),
          vrrp_running: median(vrrp),
        },
      }),
    );
  } finally {
    cap.stop();
    lab.down();
  }
}

void main();
