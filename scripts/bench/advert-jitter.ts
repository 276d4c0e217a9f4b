// Benchmark: do adverts leave on time while the daemon's main thread is
// busy? A VRRPv3 master (advert_int 0.1 s) runs (a) in the main thread and
// (b) in the worker thread the daemon uses, while the main thread blocks for
// 200 ms every second. tshark on the peer end of a veth measures the gaps.
// Runs in a network namespace it creates and removes. `npm run bench:jitter`
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseText } from '../../daemon/config/index';
import { realClock } from '../../daemon/core/clock';
import { LinuxNet } from '../../daemon/net/linux';
import { VrrpEngine } from '../../daemon/vrrp/engine';

const SECONDS = 10;
const CONF = `global_defs {\n vrrp_version 3\n}\nvrrp_instance VI_1 {\n interface a0\n virtual_router_id 9\n priority 255\n advert_int 0.1\n virtual_ipaddress {\n  10.99.0.10/24\n }\n}\n`;

function busyEverySecond(ms: number) {
  return setInterval(() => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      /* the main thread is stuck (a big reload, a slow status dump, a GC storm...) */
    }
  }, 1000);
}

async function child(mode: 'main' | 'worker') {
  const config = parseText(CONF).config;
  let stop: () => void;
  if (mode === 'main') {
    const net = new LinuxNet();
    const e = new VrrpEngine(config, {
      net,
      clock: realClock,
      scripts: { run: async () => 0 },
      log: () => {},
    });
    e.start();
    stop = () => e.stop();
  } else {
    const w = new Worker(path.join(__dirname, '../../daemon/vrrp/worker.js'), {
      workerData: { config },
    });
    stop = () => w.postMessage({ type: 'stop' });
  }
  const busy = busyEverySecond(200);
  setTimeout(() => {
    clearInterval(busy);
    stop();
    setTimeout(() => process.exit(0), 300);
  }, SECONDS * 1000);
}

async function measure(ns: string, mode: string) {
  const cap = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'tshark',
      '-i',
      'b0',
      '-l',
      '-n',
      '-f',
      'ip proto 112',
      '-T',
      'fields',
      '-e',
      'frame.time_epoch',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  cap.stdout.on('data', (d) => (out += d));
  await new Promise<void>((res) =>
    cap.stderr.on('data', (d) => d.toString().includes('Capturing') && res()),
  );
  await new Promise<void>((res) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, __filename, '--child', mode], {
      stdio: 'inherit',
    });
    c.on('exit', () => res());
  });
  await new Promise((r) => setTimeout(r, 1000));
  cap.kill();
  const ts = out.trim().split('\n').map(Number).slice(2); // skip the start-up burst
  const gaps = ts.slice(1).map((t, i) => (t - ts[i]) * 1000);
  gaps.sort((a, b) => a - b);
  const q = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
  return {
    mode,
    adverts: ts.length,
    gap_p50_ms: +q(0.5).toFixed(1),
    gap_p99_ms: +q(0.99).toFixed(1),
    gap_max_ms: +gaps[gaps.length - 1].toFixed(1),
    late_over_120ms: gaps.filter((g) => g > 120).length,
  };
}

async function main() {
  const ns = `lab-jit${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const ip = (...a: string[]) => execFileSync('ip', ['-n', ns, ...a]);
    ip('link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0');
    ip('addr', 'add', '10.99.0.1/24', 'dev', 'a0');
    ip('link', 'set', 'a0', 'up');
    ip('link', 'set', 'b0', 'up');
    for (const mode of ['main', 'worker'])
      console.log(
        JSON.stringify({ bench: 'advert-jitter', busy: '200ms/s', ...(await measure(ns, mode)) }),
      );
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

if (process.argv[2] === '--child') void child(process.argv[3] as 'main' | 'worker');
else void main();
