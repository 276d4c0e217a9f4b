// Benchmark: what an idle daemon costs. One director alone on its link,
// MASTER of N VRRP instances (v2, advert_int 1, the seed's settings), no
// virtual servers; after a warm-up, CPU time and RSS of the daemon's whole
// process tree (every thread of every process) over a window, keepalive-ts
// and keepalived alternating. CPU comes from /proc/<pid>/task/*/schedstat
// (nanoseconds), RSS from /proc/<pid>/status.
// With --dual-stack the instances come in pairs sharing a VRID, one IPv4 and
// one IPv6 (VRRPv3 to ff02::12), as a dual-stack director runs them.
// `npm run bench:idle [-- --seconds 60 --instances 1 --rounds 1 --dual-stack]`
import { Command } from 'commander';
import { Lab } from '../lab/lab';
import { LabDaemon, type Kind } from '../lab/daemons';
import { sleep, waitFor } from '../lab/sys';
import { cpuNs, rssKb, tree } from './proc-cpu';

const o = new Command()
  .option('--seconds <n>', 'measurement window', '60')
  .option('--warmup <n>', 'seconds after every instance is MASTER', '5')
  .option('--instances <n>', 'VRRP instances', '1')
  .option('--rounds <n>', 'keepalive-ts / keepalived pairs', '1')
  .option('--dual-stack', 'IPv4 and IPv6 instance pairs (VRRPv3)')
  .parse()
  .opts<{
    seconds: string;
    warmup: string;
    instances: string;
    rounds: string;
    dualStack?: boolean;
  }>();

const N = Number(o.instances);
const dual = !!o.dualStack;
const six = (i: number) => dual && i % 2 === 0;
const vridOf = (i: number) => (dual ? Math.ceil(i / 2) : i);
const vipOf = (i: number) =>
  six(i) ? `2001:db8:0:1::a:${i}` : i === 1 ? '198.51.100.10' : `203.0.113.${i - 1}`;
const cidrOf = (i: number) => `${vipOf(i)}/${six(i) ? 128 : i === 1 ? 24 : 32}`;

function conf(n: number): string {
  let s = `global_defs {\n  router_id idle\n${dual ? '  vrrp_version 3\n' : ''}}\n`;
  for (let i = 1; i <= n; i++)
    s +=
      `vrrp_instance VI_${i} {\n  state MASTER\n  interface lan0\n  virtual_router_id ${vridOf(i)}\n  priority 100\n` +
      `  advert_int 1\n` +
      (dual ? '' : `  authentication {\n    auth_type PASS\n    auth_pass lab1234\n  }\n`) +
      `  virtual_ipaddress {\n    ${cidrOf(i)}\n  }\n}\n`;
  return s;
}

async function measure(lab: Lab, kind: Kind) {
  const d = new LabDaemon(lab, 'd1', kind, conf(N));
  try {
    await d.start();
    await waitFor(
      `${kind}: ${N} instance(s) MASTER`,
      async () => {
        const r = await lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0']);
        return [1, N].every((i) => r.stdout.includes(` ${vipOf(i)}/`));
      },
      30_000,
      100,
    );
    await sleep(Number(o.warmup) * 1000);
    const pids = tree(d.pid!);
    const c0 = cpuNs(pids);
    const t0 = performance.now();
    await sleep(Number(o.seconds) * 1000);
    const pidsAfter = tree(d.pid!);
    if (pidsAfter.join() !== pids.join())
      throw new Error(`${kind}: the process tree changed while measured`);
    const cpu = cpuNs(pids) - c0;
    const wall = performance.now() - t0;
    return {
      cpuMsPerS: cpu / 1e6 / (wall / 1000),
      rssMb: rssKb(pids) / 1024,
      processes: pids.length,
    };
  } finally {
    await d.stop().catch(() => {});
    // a daemon that died uncleanly leaves its VIPs behind
    const vips = Array.from({ length: N }, (_, i) => cidrOf(i + 1));
    await lab.exec('d1', [
      'sh',
      '-c',
      `for v in ${vips.join(' ')}; do ip addr del $v dev lan0 2>/dev/null; done; true`,
    ]);
  }
}

async function main() {
  const lab = new Lab({ prefix: 'lab-bench', log: () => {} });
  await lab.up();
  try {
    const res: Record<Kind, { cpuMsPerS: number; rssMb: number; processes: number }[]> = {
      ks: [],
      kd: [],
    };
    for (let r = 0; r < Number(o.rounds); r++)
      for (const kind of ['ks', 'kd'] as const) res[kind].push(await measure(lab, kind));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const row = (k: Kind) => ({
      cpu_ms_per_s: +med(res[k].map((x) => x.cpuMsPerS)).toFixed(3),
      rss_mb: +med(res[k].map((x) => x.rssMb)).toFixed(1),
      processes: res[k][0].processes,
    });
    const ks = row('ks');
    const kd = row('kd');
    console.log(
      JSON.stringify({
        bench: 'idle',
        instances: N,
        ...(dual ? { dualStack: true } : {}),
        seconds: Number(o.seconds),
        rounds: Number(o.rounds),
        'keepalive-ts': ks,
        'keepalived 2.2.7': kd,
        ratio: {
          cpu: +(ks.cpu_ms_per_s / kd.cpu_ms_per_s).toFixed(2),
          rss: +(ks.rss_mb / kd.rss_mb).toFixed(2),
        },
      }),
    );
  } finally {
    lab.down();
  }
}

void main();
