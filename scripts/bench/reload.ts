// Benchmark: a SIGHUP of a large config with one instance changed, as the
// daemon does it: the main thread parses the new text and plans the reload;
// the VRRP thread gets what changed (a structured clone) and applies it.
// N address-owner instances (every one MASTER, an advert a second each) run
// on a NetIO that only records sends. The thread's part runs after the
// adverts have settled again, and the adverts of the kept instances are
// watched across it: the largest gap between two of an instance's adverts.
// `npm run bench:reload [-- N]` (default 10,000)
import { parseText } from '../../daemon/config/index';
import { realClock } from '../../daemon/core/clock';
import type { NetIO } from '../../daemon/net/io';
import { VrrpEngine } from '../../daemon/vrrp/engine';
import { planReload, reloadMessage, runningOf } from '../../daemon/vrrp/reload';

const N = Number(process.argv[2] ?? 10_000);

function generate(n: number, changed?: number): string {
  const out = ['global_defs {', '  router_id bench', '}'];
  for (let i = 0; i < n; i++)
    out.push(
      `vrrp_instance VI_${i} {`,
      `  interface eth${Math.floor(i / 250)}`,
      `  virtual_router_id ${(i % 250) + 1}`,
      `  priority ${i === changed ? 254 : 255}`,
      '  advert_int 1',
      '  virtual_ipaddress {',
      `    10.${Math.floor(i / 256) % 256}.${i % 256}.1/32`,
      '  }',
      '}',
    );
  return out.join('\n') + '\n';
}

/** per instance (by its source path name): the times of its adverts */
const sends = new Map<string, number[]>();
const net: NetIO = {
  primaryIp: () => '198.51.100.11',
  linkUp: () => true,
  hasAddress: () => true,
  interfaceIndex: () => 1,
  sysctl: () => undefined,
  watchLinks: () => ({ close() {} }),
  openChannel: (o) => {
    // one channel per instance: key it by a counter the instance owns
    const key = `${o.ifname}#${channels++}`;
    return {
      send: () => {
        const l = sends.get(key) ?? [];
        l.push(realClock.now());
        sends.set(key, l);
      },
      close() {},
    };
  },
  setVip() {},
  setRoute() {},
  setRule() {},
  garp() {},
  unsolicitedNa() {},
  createVmac: () => ({ created: true }),
  deleteVmac() {},
  ping: async () => true,
};
let channels = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const first = parseText(generate(N));
  if (!first.ok)
    throw new Error(
      first.diagnostics
        .slice(0, 3)
        .map((d) => d.message)
        .join('; '),
    );
  const engine = new VrrpEngine(first.config, {
    net,
    clock: realClock,
    scripts: { run: async () => 0 },
    log: () => {},
  });
  engine.start();
  await sleep(3500); // every instance has sent a few adverts
  const keptChannels = new Set(sends.keys());

  const text = generate(N, Math.floor(N / 2));
  // the main thread's part (the daemon's adverts run on the other thread meanwhile)
  const t0 = realClock.now();
  const next = parseText(text);
  const t1 = realClock.now();
  const plan = planReload(first.config, runningOf(first.config), next.config);
  const message = reloadMessage(plan, next.config);
  const t2 = realClock.now();
  await sleep(2500); // here the adverts were delayed by the part above: let them settle
  // the VRRP thread's part
  const t3 = realClock.now();
  engine.applyReload(plan, structuredClone(message));
  const t4 = realClock.now();
  await sleep(3000);
  engine.stop();

  // the largest gap between two adverts of a kept instance, around the thread's part
  let worst = 0;
  for (const k of keptChannels) {
    const ts = sends.get(k)!.filter((t) => t > t3 - 1500);
    if (ts.length < 3) continue; // the restarted instance's old channel
    for (let i = 1; i < ts.length; i++) worst = Math.max(worst, ts[i] - ts[i - 1]);
  }
  console.log(
    JSON.stringify({
      bench: 'reload',
      instances: N,
      kept: plan.kept.length,
      restarted: plan.restarted,
      main_thread: { parse_ms: Math.round(t1 - t0), plan_ms: Math.round(t2 - t1) },
      vrrp_thread: { clone_and_apply_ms: +(t4 - t3).toFixed(1) },
      total_ms: Math.round(t2 - t0 + (t4 - t3)),
      worst_advert_gap_ms_of_kept: Math.round(worst),
      advert_int_ms: 1000,
    }),
  );
}

void main();
