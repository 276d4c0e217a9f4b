// npm run bench:lb: the load-balancer side against keepalived, in the VM
// (IPVS needs Debian's kernel; this machine's has none). Boots the VM once,
// runs lb-vm-guest.js there and prints the IPVS apply times of a 2,000-real-
// server table and the CPU / RSS of 2,000 mixed checks a second, each as a
// ratio to the C tools doing the same work. The VM is emulated (TCG): the
// absolute numbers are slower than on hardware, the ratios are the result.
import * as path from 'node:path';
import { ensureVmTools, runInVm } from '../vm/vm';

const ROOT = path.resolve(__dirname, '../../..');

interface Run {
  cpuMsPerS: number;
  rssMb: number;
  checksPerS: number;
  inService: number;
}
interface Result {
  apply?: {
    trials: number;
    ours: { full: number[]; one: number[] };
    ipvsadm: { full: number[]; one: number[] };
  };
  checkers?: {
    windowS: number;
    realServers: number;
    runs: Record<'keepalive-ts' | 'keepalived', Run[]>;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (n: number, d = 1) => n.toFixed(d);

async function main() {
  const why = ensureVmTools((m) => console.error(m));
  if (why) {
    console.error(`bench:lb: not measured: the VM cannot run here: ${why}`);
    process.exit(2);
  }
  // npm run bench:lb [-- PER_VS]: real servers per virtual server (x 20), default 100
  const perVs = Number(process.argv[2] ?? 100);
  const vm = await runInVm({
    job: `cd ${JSON.stringify(ROOT)} && LB_PER_VS=${perVs} ${perVs !== 100 ? 'LB_CHECKS_ONLY=1 ' : ''}${process.execPath} dist/scripts/bench/lb-vm-guest.js`,
    timeoutS: 900,
    memoryMiB: 2048,
  });
  const text = vm.files.get('lb.json');
  if (!text || vm.status !== 0) {
    console.error(vm.console.split('\n').slice(-60).join('\n'));
    console.error(`bench:lb: not measured (VM job status ${vm.status ?? 'none'})`);
    process.exit(1);
  }
  const r = JSON.parse(text) as Result;
  const a = r.apply;
  if (a) {
    console.log(`IPVS apply, 2,000 real servers (20 x 100), median of ${a.trials}, in the VM:`);
    for (const k of ['full', 'one'] as const) {
      const ours = median(a.ours[k]);
      const theirs = median(a.ipvsadm[k]);
      console.log(
        `  ${k === 'full' ? 'full apply' : 'one change'}: keepalive-ts ${f(ours)} ms, ipvsadm ${f(theirs)} ms (ratio ${f(ours / theirs, 2)})`,
      );
    }
  }
  if (!r.checkers) {
    console.error('bench:lb: checkers not measured');
    process.exit(1);
  }
  console.log(
    `${r.checkers.realServers} real servers, TCP/HTTP/UDP/PING x ${r.checkers.realServers / 4}, delay_loop 1, ${r.checkers.windowS} s windows, alternating:`,
  );
  const sum: Record<string, Run> = {};
  for (const [name, runs] of Object.entries(r.checkers.runs)) {
    for (const x of runs)
      console.log(
        `  ${name}: ${f(x.cpuMsPerS)} ms CPU/s, ${f(x.rssMb)} MB RSS, ${f(x.checksPerS, 0)} checks/s seen at the real servers, ${x.inService} in service`,
      );
    sum[name] = {
      cpuMsPerS: median(runs.map((x) => x.cpuMsPerS)),
      rssMb: median(runs.map((x) => x.rssMb)),
      checksPerS: median(runs.map((x) => x.checksPerS)),
      inService: Math.min(...runs.map((x) => x.inService)),
    };
  }
  const [o, k] = [sum['keepalive-ts'], sum.keepalived];
  const perK = (x: Run) => x.cpuMsPerS / (x.checksPerS / 1000);
  console.log(
    `  ratio keepalive-ts / keepalived: CPU ${f(o.cpuMsPerS / k.cpuMsPerS, 2)}, RSS ${f(o.rssMb / k.rssMb, 2)}, ` +
      `CPU per 1,000 checks ${f(perK(o))} vs ${f(perK(k))} ms/s (${f(perK(o) / perK(k), 2)})`,
  );
  if (o.inService < r.checkers.realServers || k.inService < r.checkers.realServers)
    console.log('  NOTE: not every real server stayed in service (see the in-service counts)');
}

main().catch((e: Error) => {
  console.error(`bench:lb: ${e.message}`);
  process.exit(1);
});
