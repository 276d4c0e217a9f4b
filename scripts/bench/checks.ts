// Benchmark: 100 x VS real servers (VS virtual servers x 100, default 20 =
// 2,000; half the ports on each of rs1 and rs2) checked every second by
// TCP_CHECK from keepalive-ts on d1. Reports the daemon's CPU (also per
// thousand checks a second) and RSS, checks per second, and - after 50 ports
// close - how long until they are out of service and how long the dataplane
// apply took. `npm run bench:checks [-- VS [tcp|http]]` (100 = 10,000 real
// servers; http = HTTP_GET of / expecting 200 instead of TCP_CHECK)
import * as path from 'node:path';
import { Lab } from '../lab/lab';
import { LabDaemon, ROOT, VIP, vrrpConf } from '../lab/daemons';
import { sleep, waitFor } from '../lab/sys';

const VS = Number(process.argv[2] ?? 20);
const HTTP = process.argv[3] === 'http';
const CHECK = HTTP
  ? '    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n'
  : '    TCP_CHECK {\n';
const PER = 100;
const FARM = path.join(ROOT, 'dist/scripts/lab/port-farm.js');

function config(): string {
  let c = vrrpConf({
    priority: 100,
    version: 2,
    advertInt: 1,
    global: '  lvs_backend nftables\n',
  }).replace(`${VIP}/24`, `${VIP}/32`);
  for (let v = 0; v < VS; v++) {
    c += `virtual_server ${VIP} ${8000 + v} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
    for (let r = 0; r < PER; r++) {
      const host = r % 2 ? '198.51.100.22' : '198.51.100.21';
      const port = 10000 + v * (PER / 2) + Math.floor(r / 2);
      c += `  real_server ${host} ${port} {\n${CHECK}      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }\n  }\n`;
    }
    c += '}\n';
  }
  return c;
}

const cpuTicks = async (lab: Lab, pid: number) => {
  const s = (await lab.exec('d1', ['cat', `/proc/${pid}/stat`])).stdout;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};
const rssMb = async (lab: Lab, pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec((await lab.exec('d1', ['cat', `/proc/${pid}/status`])).stdout)![1]) /
  1024;

async function main() {
  const lab = new Lab({ prefix: 'lab-bench', log: () => {} });
  await lab.up();
  try {
    for (const [h, ip] of [
      ['rs1', '198.51.100.21'],
      ['rs2', '198.51.100.22'],
    ]) {
      await lab.exec(h, [
        'sh',
        '-c',
        `setsid ${process.execPath} ${FARM} --addr ${ip} --from 10000 --to ${10000 + (VS * PER) / 2 - 1} --close-first 25${HTTP ? ' --http' : ''} > /run/farm.log 2>&1 < /dev/null & echo $! > /run/farm.pid`,
      ]);
    }
    await sleep(1500);
    const d = new LabDaemon(lab, 'd1', 'ks', config());
    await d.start();
    type St = {
      virtualServers: { servers: { inService: boolean }[] }[];
      checks: { checks: number; applies: number; lastApplyMs: number; maxApplyMs: number };
    };
    const st = async () => (await d.status()) as unknown as St;
    // a status read that times out while the daemon starts 10,000 checks counts as "not yet"
    const inService = async () =>
      (await st().catch(() => ({ virtualServers: [] }))).virtualServers.reduce(
        (n, v) => n + v.servers.filter((s) => s.inService).length,
        0,
      );
    let shown = 0;
    const ready = waitFor(
      `${VS * PER} servers in service`,
      async () => {
        const n = await inService();
        if (Date.now() - shown > 10_000) {
          shown = Date.now();
          console.error(`${n} of ${VS * PER} in service`);
        }
        return n === VS * PER;
      },
      60_000 + VS * 1000,
      500,
    );
    // a start that never completes: what the daemon said
    await ready.catch(async (e: Error) => {
      console.error((await d.log()).split('\n').slice(-30).join('\n'));
      throw e;
    });
    // steady state: 30 s of checking everything every second
    const c0 = await cpuTicks(lab, d.pid!);
    const k0 = (await st()).checks.checks;
    const t0 = Date.now();
    await sleep(30_000);
    const secs = (Date.now() - t0) / 1000;
    const cpu = ((await cpuTicks(lab, d.pid!)) - c0) / 100 / secs;
    const checksPerS = ((await st()).checks.checks - k0) / secs;
    const rss = await rssMb(lab, d.pid!);
    const steady = {
      bench: 'checks',
      check: HTTP ? 'HTTP_GET' : 'TCP_CHECK',
      real_servers: VS * PER,
      virtual_servers: VS,
      delay_loop_s: 1,
      daemon_cpu_percent: Math.round(cpu * 1000) / 10,
      daemon_rss_mb: Math.round(rss),
      checks_per_s: Math.round(checksPerS),
      cpu_ms_per_1000_checks: +((cpu * 1000 * 1000) / checksPerS).toFixed(1),
    };
    // the steady state stands on its own if the failure phase does not complete
    console.error(JSON.stringify(steady));
    // failure: 25 ports on each real-server host close
    const t1 = Date.now();
    for (const h of ['rs1', 'rs2'])
      await lab.exec(h, ['sh', '-c', 'kill -USR1 $(cat /run/farm.pid)']);
    await waitFor(
      '50 servers out',
      async () => (await inService()) <= VS * PER - 50,
      30_000 + VS * 300,
      50,
    );
    const outMs = Date.now() - t1;
    const s = (await st()).checks;
    console.log(
      JSON.stringify({
        ...steady,
        fail_50_to_out_of_service_ms: outMs,
        dataplane_apply_last_ms: s.lastApplyMs,
        dataplane_apply_max_ms: s.maxApplyMs,
        dataplane_applies: s.applies,
      }),
    );
    await d.stop();
  } finally {
    lab.down();
  }
}

void main();
