// The VRRP engine in its own thread: adverts keep their timing while the
// main thread is busy (checkers, reloads, status requests). The messages
// are in protocol.ts; thread.ts is the main thread's side.
import { parentPort } from 'node:worker_threads';
import { ScriptGate } from '../system/script-gate';
import { LoopLag } from '../system/loop-lag';
import {
  applyRttime,
  applyThread,
  AutoPriority,
  rttimeLimit,
  vrrpThreadPlan,
} from '../system/sched';
import { sdNotify, watchdogIntervalMs } from '../system/sdnotify';
import { realClock } from '../core/clock';
import { LinuxNet, type NetTuning } from '../net/linux';
import { native, type RcvBuf } from '../net/native';
import type { Config } from '../config/model';
import type { LogLevel } from '../core/log';
import { fileSource } from '../system/file-watch';
import { endScripts } from '../system/scripts';
import { procInfo, procPids, subscribeProcEvents } from '../system/procs';
import { BfdSessions } from '../bfd/sessions';
import { LinuxBfdTransport } from '../bfd/io';
import { nameThisThread, processNames } from '../system/process-names';
import { VrrpEngine } from './engine';
import type { FromWorker, ToWorker } from './protocol';

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const net = new LinuxNet();
const lag = new LoopLag();

let engine: VrrpEngine | undefined;
let bfdSessions: BfdSessions | undefined;

/** every session's state, as keepalived's BFD process tells it at start and reload */
const sendBfdStates = () => {
  for (const s of bfdSessions?.status() ?? []) send({ type: 'bfd', name: s.name, up: s.up });
};
/** child_wait_time, ms */
let childWaitMs = 5000;
/** process_monitor_rcv_bufs of the current config */
let procBuf: RcvBuf | undefined;

const logWarn = (msg: string) => send({ type: 'log', level: 'warn', msg });

/** a configured size (0 means keepalive-ts's default, as in keepalived) */
const bufOf = (bytes: number | undefined, force: boolean): RcvBuf | undefined =>
  bytes ? { bytes, force } : undefined;

/** keepalived's vrrp_netlink_*_rcv_bufs and process_monitor_rcv_bufs, at start and on reload */
function tune(g: Config['global_defs']) {
  const t: NetTuning = { warn: logWarn };
  const cmd = bufOf(g.vrrp_netlink_cmd_rcv_bufs, g.vrrp_netlink_cmd_rcv_bufs_force);
  const monitor = bufOf(g.vrrp_netlink_monitor_rcv_bufs, g.vrrp_netlink_monitor_rcv_bufs_force);
  if (cmd) t.cmdRcvbuf = cmd;
  if (monitor) t.monitorRcvbuf = monitor;
  net.configure(t);
  procBuf = bufOf(g.process_monitor_rcv_bufs, g.process_monitor_rcv_bufs_force);
}

/**
 * keepalived's VRRP (and BFD) process settings, for this thread
 * (daemon/system/sched.ts: vrrp_/bfd_ priority, rt_priority, cpu_affinity),
 * and its automatic realtime priority when a timer fires late.
 */
function schedule(config: Config, log: (level: LogLevel, msg: string) => void) {
  const g = config.global_defs;
  const plan = vrrpThreadPlan(g, config.bfd_instance.length > 0);
  const n = native();
  const done = applyThread(n, 'VRRP', plan, log);
  if (done.length) log('info', `VRRP thread (tid ${n.gettid()}): ${done.join(', ')}`);
  const auto = new AutoPriority(g.max_auto_priority, g.min_auto_priority_delay, plan.rt ?? 0);
  let limited = plan.rt !== undefined; // RLIMIT_RTTIME already set by the main thread
  return (lateMs: number) => {
    const step = auto.late(lateMs);
    if (!step) return;
    log('info', `VRRP thread: ${step.log}`);
    if (step.priority === undefined) return;
    if (!applyThread(n, 'VRRP', { nice: plan.nice, rt: step.priority }, log).length) return;
    log(
      'info',
      `VRRP thread: set realtime priority ${step.priority} (max_auto_priority ${g.max_auto_priority})`,
    );
    if (limited) return;
    limited = true;
    const rt = {
      vrrp: true,
      bfd: g.bfd_rt_priority !== undefined,
      checker: g.checker_rt_priority !== undefined,
    };
    applyRttime(n, rttimeLimit(g, rt), log);
  };
}

function start(config: Config) {
  const names = processNames(config.global_defs);
  if (names.vrrp) nameThisThread(names.vrrp);
  tune(config.global_defs);
  childWaitMs = config.child_wait_time * 1000;
  const log = (level: LogLevel, msg: string) => send({ type: 'log', level, msg });
  const timerLag = schedule(config, log);
  const gate = new ScriptGate({
    scriptUser: config.global_defs.script_user,
    secure: config.global_defs.enable_script_security,
    log,
  });
  // BFD_CHECK on the main thread follows these sessions too (keepalived: the BFD process's checker pipe)
  const bfd = new BfdSessions(new LinuxBfdTransport(log), realClock, log);
  bfd.subscribe((name, up) => send({ type: 'bfd', name, up }));
  bfdSessions = bfd;
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
      procs: {
        pids: procPids,
        info: procInfo,
        subscribe: (on, lost) => subscribeProcEvents(on, lost, procBuf, logWarn),
      },
      carrier: (ifname) => net.carrier(ifname),
      onTransition: (t) => send({ type: 'transition', t }),
      onEvent: (e) => send({ type: 'event', e }),
      // BFD at 10 ms intervals needs a loop kept free: this one, the adverts' own
      bfd,
      timerLag,
    });
    engine.start();
    sendBfdStates();
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
        unclaimed: { ...engine.unclaimed.drops },
        loop: {
          maxAdvertLagMs: round(engine.maxLagMs),
          ...lag.read(),
        },
      });
      break;
    case 'reload':
      if (engine) {
        tune(m.config.global_defs);
        engine.applyReload(m.plan, m.config);
        sendBfdStates();
        send({ type: 'reloaded', result: m.plan });
      }
      break;
    case 'stop':
      engine?.stop();
      net.close();
      // the scripts this thread started (notify, vrrp_script): ended within child_wait_time
      void endScripts(childWaitMs).then(() => send({ type: 'stopped' }));
      break;
  }
});

// the watchdog is pinged from this thread: if the protocol loop is stuck, systemd restarts us
const wd = watchdogIntervalMs();
if (wd) setInterval(() => sdNotify('WATCHDOG=1'), wd).unref();
