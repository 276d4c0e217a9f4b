// Benchmark: a VRRP pair under a flood of hostile adverts (issue 20). For
// each rate, keepalive-ts and keepalived alternate: a fresh pair (d1 MASTER,
// d2 BACKUP; v3 at 0.1 s over IPv4 and IPv6, v2 PASS at 1 s), then gw floods
// valid-looking and malformed adverts for our VRIDs and others for --seconds.
// Reported per run: the injector's own rate and CPU (it shares the machine's
// two cores with everything else), the rate the backup's kernel received,
// each daemon's CPU (whole process tree, schedstat) during the flood, the
// master's VRID-51 advert spacing as tshark on cl timestamps it (p50, p99,
// max; 100 ms is on time), false failovers (adverts from the backup), and
// the drops by reason (keepalive-ts: status --json; keepalived: its
// SIGUSR2 stats file), plus what the kernel dropped (full socket buffers).
// `npm run bench:hostile [-- --rates 20000,40000,60000 --seconds 60]`
import { Command } from 'commander';
import { Lab } from '../lab/lab';
import { type Kind, type LabDaemon } from '../lab/daemons';
import { sleep } from '../lab/sys';
import {
  countedSince,
  D1,
  D2,
  daemonCounts,
  delta,
  inject,
  kernelCounters,
  spacing,
  startPair,
  stopPair,
  watchAdverts,
} from '../chaos/hostile-lab';
import { LIMITS } from '../chaos/inject';
import { cpuNs, tree } from './proc-cpu';

const o = new Command()
  .option('--rates <list>', 'frames per second, comma-separated', '20000,40000,60000')
  .option('--seconds <n>', 'flood duration', '60')
  .option('--kinds <list>', 'ks,kd', 'ks,kd')
  .parse()
  .opts<{ rates: string; seconds: string; kinds: string }>();

const rates = o.rates.split(',').map(Number);
const seconds = Number(o.seconds);
if (rates.some((r) => !(r > 0 && r <= LIMITS.rate)) || !(seconds > 0 && seconds <= LIMITS.seconds))
  throw new Error(`rates must be in (0, ${LIMITS.rate}], seconds in (0, ${LIMITS.seconds}]`);

/** keepalived's SIGUSR2 statistics (/tmp/keepalived.stats), the non-zero error lines per instance */
async function keepalivedStats(lab: Lab, d: LabDaemon) {
  const r = await lab.exec(d.host, [
    'sh',
    '-c',
    `rm -f /tmp/keepalived.stats; kill -USR2 ${d.pid}; sleep 0.5; cat /tmp/keepalived.stats`,
  ]);
  const out: Record<string, Record<string, number>> = {};
  let inst = '';
  let section = '';
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*VRRP Instance: (\S+)/.exec(line);
    if (m) [inst, section] = [m[1], ''];
    else if (/^\s+[A-Za-z ]+:$/.test(line)) section = line.trim().slice(0, -1);
    else {
      const kv = /^\s+([A-Za-z ]+): (\d+)$/.exec(line);
      if (inst && kv && /Errors|Became master/.test(`${section}${kv[1]}`) && Number(kv[2]))
        (out[inst] ??= {})[`${section ? `${section}/` : ''}${kv[1]}`] = Number(kv[2]);
    }
  }
  return out;
}

async function run(lab: Lab, kind: Kind, rate: number) {
  const pair = await startPair(lab, kind);
  const cap = watchAdverts(lab);
  try {
    await sleep(2000); // the backup has settled
    await cap.start();
    const pids = { d1: tree(pair.m.pid!), d2: tree(pair.b.pid!) };
    const ks = kind === 'ks';
    const before = {
      d1: ks ? await daemonCounts(pair.m) : undefined,
      d2: ks ? await daemonCounts(pair.b) : undefined,
      k1: await kernelCounters(lab, 'd1'),
      k2: await kernelCounters(lab, 'd2'),
    };
    const cpu0 = { d1: cpuNs(pids.d1), d2: cpuNs(pids.d2) };
    const t0 = Date.now();
    const r = await inject(lab, ['flood', '--rate', String(rate), '--seconds', String(seconds)]);
    const t1 = Date.now();
    const wall = (t1 - t0) / 1000;
    const cpu = {
      d1: (cpuNs(pids.d1) - cpu0.d1) / 1e6 / wall,
      d2: (cpuNs(pids.d2) - cpu0.d2) / 1e6 / wall,
    };
    await sleep(500);
    const alive = (await pair.m.alive()) && (await pair.b.alive());
    const k1 = delta(await kernelCounters(lab, 'd1'), before.k1);
    const k2 = delta(await kernelCounters(lab, 'd2'), before.k2);
    const adverts = cap.adverts(D1).filter((p) => p.t >= t0 && p.t <= t1);
    const backupAdverts = cap.adverts(D2).filter((p) => p.t >= t0 && (p.prio ?? 0) > 0);
    // a false failover: the backup advertised; episodes are separated by a second of silence
    const failovers = backupAdverts.filter(
      (p, i) => i === 0 || p.t - backupAdverts[i - 1].t > 1000,
    ).length;
    const drops = ks
      ? {
          d1: countedSince(await daemonCounts(pair.m), before.d1!),
          d2: countedSince(await daemonCounts(pair.b), before.d2!),
        }
      : { d1: await keepalivedStats(lab, pair.m), d2: await keepalivedStats(lab, pair.b) };
    return {
      kind,
      rate,
      seconds,
      injector: { rate: r.rate, cpuMsPerS: r.cpuMsPerS, bufferFull: r.bufferFull },
      receivedPerS: Math.round((k2.IpInReceives + k2.Ip6InReceives) / wall),
      cpuMsPerS: { master: +cpu.d1.toFixed(1), backup: +cpu.d2.toFixed(1) },
      advertSpacing: spacing(adverts.map((p) => p.t)),
      falseFailovers: failovers,
      alive,
      drops,
      socketOverflow: { master: k1.RawDrops + k1.Raw6Drops, backup: k2.RawDrops + k2.Raw6Drops },
    };
  } finally {
    cap.stop();
    await stopPair(lab, pair);
  }
}

async function main() {
  const lab = new Lab({ prefix: 'lab-hostile', log: () => {} });
  await lab.up();
  const results: Awaited<ReturnType<typeof run>>[] = [];
  try {
    for (const rate of rates)
      for (const kind of o.kinds.split(',') as Kind[]) {
        const res = await run(lab, kind, rate);
        results.push(res);
        console.log(JSON.stringify(res));
      }
  } finally {
    lab.down();
  }
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? +(a / b).toPrecision(3) : null);
  for (const rate of rates) {
    const ks = results.find((x) => x.kind === 'ks' && x.rate === rate);
    const kd = results.find((x) => x.kind === 'kd' && x.rate === rate);
    if (!ks || !kd) continue;
    console.log(
      JSON.stringify({
        bench: 'hostile',
        rate,
        received: { ks: ks.receivedPerS, kd: kd.receivedPerS },
        falseFailovers: { ks: ks.falseFailovers, kd: kd.falseFailovers },
        ratio: {
          backupCpu: ratio(ks.cpuMsPerS.backup, kd.cpuMsPerS.backup),
          masterCpu: ratio(ks.cpuMsPerS.master, kd.cpuMsPerS.master),
          advertP99: ratio(ks.advertSpacing?.p99Ms, kd.advertSpacing?.p99Ms),
          advertMax: ratio(ks.advertSpacing?.maxMs, kd.advertSpacing?.maxMs),
        },
      }),
    );
  }
}

void main();
