// The VRRP engine in its own thread: adverts keep their timing while the
// main thread is busy (checkers, reloads, status requests). Messages:
//   in:  {type:'status', id} | {type:'reload', config} | {type:'stop'}
//   out: {type:'log'} | {type:'transition'} | {type:'status', id, ...} | {type:'reloaded'} | {type:'stopped'} | {type:'ready'}
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/model';
import { runScript } from '../control/scripts';
import { sdNotify, watchdogIntervalMs } from '../control/sdnotify';
import { realClock } from '../net/io';
import { LinuxNet } from '../net/linux';
import { VrrpEngine } from './engine';

const port = parentPort!;
const net = new LinuxNet();
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

const engine = new VrrpEngine(workerData.config as Config, {
  net,
  clock: realClock,
  scripts: { run: (argv, ms) => runScript(argv, ms) },
  log: (level, msg) => port.postMessage({ type: 'log', level, msg }),
  onTransition: (t) => port.postMessage({ type: 'transition', t }),
});

port.on('message', (m: { type: string; id?: number; config?: Config }) => {
  if (m.type === 'status') {
    port.postMessage({
      type: 'status',
      id: m.id,
      instances: engine.status(),
      loop: {
        maxAdvertLagMs: round(engine.maxLagMs),
        p99Ms: round(lag.percentile(99) / 1e6),
        maxMs: round(lag.max / 1e6),
      },
    });
  } else if (m.type === 'reload' && m.config) {
    port.postMessage({ type: 'reloaded', result: engine.reload(m.config) });
  } else if (m.type === 'stop') {
    engine.stop();
    net.close();
    port.postMessage({ type: 'stopped' });
  }
});

const round = (x: number) => Math.round(x * 100) / 100;

// the watchdog is pinged from this thread: if the protocol loop is stuck, systemd restarts us
const wd = watchdogIntervalMs();
if (wd) setInterval(() => sdNotify('WATCHDOG=1'), wd).unref();

try {
  engine.start();
  port.postMessage({ type: 'ready' });
} catch (e) {
  port.postMessage({ type: 'log', level: 'error', msg: (e as Error).message });
  port.postMessage({ type: 'fatal', msg: (e as Error).message });
}
