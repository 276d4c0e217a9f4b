// The VRRP engine in its own thread: adverts keep their timing while the
// main thread is busy (checkers, reloads, status requests). The messages
// are in protocol.ts; thread.ts is the main thread's side.
import { parentPort } from 'node:worker_threads';
import { ScriptGate } from '../system/script-gate';
import { LoopLag } from '../system/loop-lag';
import { sdNotify, watchdogIntervalMs } from '../system/sdnotify';
import { realClock } from '../core/clock';
import { LinuxNet } from '../net/linux';
import { native } from '../net/native';
import type { Config } from '../config/model';
import type { LogLevel } from '../core/log';
import { fileSource } from '../system/file-watch';
import { procInfo, procPids, subscribeProcEvents } from '../system/procs';
import { BfdSessions } from '../bfd/sessions';
import { LinuxBfdTransport } from '../bfd/io';
import { VrrpEngine } from './engine';
import type { FromWorker, ToWorker } from './protocol';

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const net = new LinuxNet();
const lag = new LoopLag();

let engine: VrrpEngine | undefined;

/** keepalived's vrrp_priority / vrrp_rt_priority, for this thread */
function schedule(g: Config['global_defs']) {
  if (g.vrrp_priority === undefined && g.vrrp_rt_priority === undefined) return;
  try {
    native().threadPriority(g.vrrp_priority ?? 0, g.vrrp_rt_priority ?? 0);
  } catch (e) {
    send({ type: 'log', level: 'warn', msg: `VRRP thread priority: ${(e as Error).message}` });
  }
}

function start(config: Config) {
  schedule(config.global_defs);
  const log = (level: LogLevel, msg: string) => send({ type: 'log', level, msg });
  const gate = new ScriptGate({
    scriptUser: config.global_defs.script_user,
    secure: config.global_defs.enable_script_security,
    log,
  });
  try {
    engine = new VrrpEngine(config, {
      net,
      clock: realClock,
      scripts: {
        run: (argv, ms, user) => gate.run(argv, ms, user),
        allowed: (cmd, user) => gate.identity(cmd, user) !== undefined,
      },
      log,
      files: fileSource,
      procs: { pids: procPids, info: procInfo, subscribe: subscribeProcEvents },
      carrier: (ifname) => net.carrier(ifname),
      onTransition: (t) => send({ type: 'transition', t }),
      onEvent: (e) => send({ type: 'event', e }),
      // BFD at 10 ms intervals needs a loop kept free: this one, the adverts' own
      bfd: new BfdSessions(new LinuxBfdTransport(log), realClock, log),
    });
    engine.start();
    send({ type: 'ready', at: performance.timeOrigin + performance.now() });
  } catch (e) {
    send({ type: 'log', level: 'error', msg: (e as Error).message });
    send({ type: 'fatal', msg: (e as Error).message });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'start':
      start(m.config);
      break;
    case 'status':
      if (!engine) break; // not started: the main thread's request times out
      send({
        type: 'status',
        id: m.id,
        instances: engine.status(),
        loop: {
          maxAdvertLagMs: round(engine.maxLagMs),
          ...lag.read(),
        },
      });
      break;
    case 'reload':
      if (engine) {
        engine.applyReload(m.plan, m.config);
        send({ type: 'reloaded', result: m.plan });
      }
      break;
    case 'stop':
      engine?.stop();
      net.close();
      send({ type: 'stopped' });
      break;
  }
});

// the watchdog is pinged from this thread: if the protocol loop is stuck, systemd restarts us
const wd = watchdogIntervalMs();
if (wd) setInterval(() => sdNotify('WATCHDOG=1'), wd).unref();
