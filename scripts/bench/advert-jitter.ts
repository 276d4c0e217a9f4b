// Benchmark: do adverts leave on time while the daemon's main thread is
// busy? A VRRPv3 master runs (a) in the main thread and (b) in the worker
// thread the daemon uses, while the main thread blocks for 200 ms every
// second and (with --gc) allocates garbage all the time. tshark on the peer
// end of a veth measures the gaps; the send lag is a gap minus the interval.
// Runs in a network namespace it creates and removes.
// `npm run bench:jitter [-- --advert-int 0.01 --seconds 10 --gc --rt 50]` (default 0.1 s;
// --rt sets vrrp_rt_priority, which the worker applies to itself)
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseText } from '../../daemon/config/index';
import { realClock } from '../../daemon/core/clock';
import { LinuxNet } from '../../daemon/net/linux';
import { VrrpEngine } from '../../daemon/vrrp/engine';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('--seconds', '10'));
const ADVERT_INT = Number(arg('--advert-int', '0.1'));
const GC = process.argv.includes('--gc');
/** vrrp_rt_priority for the worker thread (0: none) */
const RT = Number(arg('--rt', '0'));
const CONF = `global_defs {\n vrrp_version 3\n${RT ? ` vrrp_rt_priority ${RT}\n` : ''}}\nvrrp_instance VI_1 {\n interface a0\n virtual_router_id 9\n priority 255\n advert_int ${ADVERT_INT}\n virtual_ipaddress {\n  203.0.113.10/24\n }\n}\n`;

/** garbage all the time: short-lived objects and, every 100 ms, a few MB that survive a while */
function garbage() {
  const keep: unknown[] = [];
  return setInterval(() => {
    for (let i = 0; i < 20_000; i++) keep.push({ i, s: `x${i}` });
    if (keep.length > 400_000) keep.length = 0;
  }, 100);
}

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
    const w = new Worker(path.join(__dirname, '../../daemon/vrrp/worker.js'));
    w.postMessage({ type: 'start', config });
    stop = () => w.postMessage({ type: 'stop' });
  }
  const busy = busyEverySecond(200);
  const gc = GC ? garbage() : undefined;
  setTimeout(() => {
    clearInterval(busy);
    clearInterval(gc);
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
    const c = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        __filename,
        ...process.argv.slice(2),
        '--child',
        mode,
      ],
      { stdio: 'inherit' },
    );
    c.on('exit', () => res());
  });
  await new Promise((r) => setTimeout(r, 1000));
  cap.kill();
  const ts = out.trim().split('\n').map(Number).slice(2); // skip the start-up burst
  const gaps = ts.slice(1).map((t, i) => (t - ts[i]) * 1000);
  gaps.sort((a, b) => a - b);
  const q = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
  const int = ADVERT_INT * 1000;
  return {
    mode,
    advert_int_ms: int,
    gc_pressure: GC,
    vrrp_rt_priority: mode === 'worker' ? RT : 0,
    adverts: ts.length,
    gap_p50_ms: +q(0.5).toFixed(2),
    gap_p99_ms: +q(0.99).toFixed(2),
    gap_max_ms: +gaps[gaps.length - 1].toFixed(2),
    send_lag_p99_ms: +(q(0.99) - int).toFixed(2),
    late_over_a_fifth: gaps.filter((g) => g > int * 1.2).length,
  };
}

async function main() {
  const ns = `lab-jit${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const ip = (...a: string[]) => execFileSync('ip', ['-n', ns, ...a]);
    ip('link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0');
    ip('addr', 'add', '203.0.113.1/24', 'dev', 'a0');
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

const childAt = process.argv.indexOf('--child');
if (childAt > 0) void child(process.argv[childAt + 1] as 'main' | 'worker');
else void main();
