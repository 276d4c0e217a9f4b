// npm run bench:aa -- [--seconds 5] [--concurrency 16]
// The active-active lab (deployed: npm run lab -- --mode active-active) with
// 1, 2 and 3 directors announcing (the others drained): aggregate requests/s
// through the VIP from the client (a new connection per request), the CPU of
// keepalive-ts + BIRD on each director, and each director's share of the
// client's packets (an nft counter in its ingress hook). Bounded: one load run
// of --seconds per director count. The lab's hosts share this machine's cores:
// read the shape, not absolute capacity.
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { ClusterSpec } from '../../components/spec';
import type { Lab } from '../lab/lab';
import { withAaLab } from './aa-lab';
import { cpuNs, tree } from '../bench/proc-cpu';
import {
  countFlows,
  drain,
  labSh as sh,
  packetCounts,
  shares,
  uncountFlows,
  waitForRoute,
} from './lab-ops';
import type { LoadResult } from './load-agent';
import { formatTable } from './table';

/** keepalive-ts's and BIRD's processes on a director (their pid files in its own /run). */
async function daemonPids(lab: Lab, d: string, spec: ClusterSpec): Promise<number[]> {
  const files = [
    '/run/keepalive-ts.pid',
    `${path.posix.dirname(spec.bgp!.controlSocket)}/bird.pid`,
  ];
  const out = await sh(lab, d, `cat ${files.join(' ')} 2>/dev/null; true`);
  return out
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .flatMap((p) => tree(p));
}

async function load(lab: Lab, vip: string, port: number, concurrency: number, seconds: number) {
  const [bin, ...args] = await lab.hostArgv('cl', [
    process.execPath,
    path.join(__dirname, 'load-agent.js'),
    vip,
    String(port),
    String(concurrency),
    String(seconds),
  ]);
  return new Promise<LoadResult>((resolve, reject) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => c.kill('SIGKILL'), (seconds + 15) * 1000);
    c.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`load agent: no result (${out.slice(0, 200)})`));
      }
    });
  });
}

async function main() {
  const o = new Command('bench:aa')
    .option('--seconds <n>', 'load per director count', '5')
    .option('--concurrency <n>', 'concurrent requests', '16')
    .option('--stack <name>', 'the deployed active-active stack', 'lab-aa')
    .option('--own-lab', 'bring up and deploy a lab of its own (direct path), torn down after')
    .parse()
    .opts<{ seconds: string; concurrency: string; stack: string; ownLab?: boolean }>();
  const log = (m: string) => console.error(`bench:aa: ${m}`);
  const rows = await withAaLab({ own: o.ownLab, stack: o.stack, log }, (lab, spec) =>
    measure(lab, spec, Number(o.seconds), Number(o.concurrency), log),
  );
  console.log(
    formatTable(
      [
        'directors',
        'req/s',
        'failed',
        'packet share',
        'keepalive-ts+BIRD CPU ms/s',
        'real servers',
      ],
      rows,
    ),
  );
}

async function measure(
  lab: Lab,
  spec: ClusterSpec,
  seconds: number,
  concurrency: number,
  log: (m: string) => void,
): Promise<string[][]> {
  const vip = spec.vip.split('/')[0];
  const port = spec.services[0].port;
  const names = spec.directors.map((d) => d.name);
  const rows: string[][] = [];
  try {
    await countFlows(lab, spec);
    for (let n = 1; n <= names.length; n++) {
      const active = names.slice(0, n);
      for (const d of names) await drain(lab, spec, d, !active.includes(d));
      const addresses = spec.directors.filter((d) => active.includes(d.name)).map((d) => d.address);
      if ((await waitForRoute(lab, vip, addresses, 30_000)) === undefined)
        throw new Error(`the router's route did not become ${addresses.join(', ')} within 30 s`);
      const before = await packetCounts(lab, spec);
      const pids = Object.fromEntries(
        await Promise.all(names.map(async (d) => [d, await daemonPids(lab, d, spec)] as const)),
      );
      const cpu0 = Object.fromEntries(names.map((d) => [d, cpuNs(pids[d])]));
      log(`${n} director(s) (${active.join(' ')}): ${seconds} s of load`);
      const r = await load(lab, vip, port, concurrency, seconds);
      const cpu = Object.fromEntries(
        names.map((d) => [d, (cpuNs(pids[d]) - cpu0[d]) / 1e6 / r.seconds]),
      );
      const share = shares(before, await packetCounts(lab, spec));
      rows.push([
        String(n),
        (r.ok / r.seconds).toFixed(0),
        String(r.failed),
        names.map((d) => `${d} ${(share[d] * 100).toFixed(0)}%`).join(' '),
        names.map((d) => `${d} ${cpu[d].toFixed(1)}`).join(' '),
        Object.entries(r.servers)
          .map(([k, v]) => `${k} ${v}`)
          .join(' '),
      ]);
    }
  } finally {
    for (const d of names) await drain(lab, spec, d, false).catch(() => {});
    await uncountFlows(lab, spec);
  }
  return rows;
}

if (require.main === module)
  main().catch((e: Error) => {
    console.error(`bench:aa: ${e.message}`);
    process.exit(2);
  });
