// The daemon process: loads the config, runs the VRRP engine in a worker
// thread, serves the control socket, runs notify scripts, and handles
// SIGTERM (priority-0 adverts, VIPs released, exit 0) and SIGHUP (hitless
// reload: unchanged instances keep state and VIPs).
import { endScripts } from './system/scripts';
import { unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Config } from './config/model';
import type { Log } from './core/log';
import { Notifier } from './control/notify';
import { serveControl } from './control/socket';
import { EventLog } from './control/events';
import { LoopLag } from './system/loop-lag';
import { sdNotify } from './system/sdnotify';
import type { DaemonStatus } from './control/status';
import type { LvsRuntime } from './lvs-runtime';
import type { BgpRuntime } from './bgp-runtime';
import type { SmtpAlerts } from './control/alerts';
import { discardSpare, VrrpThread } from './vrrp/thread';
import { AcceptFirewall } from './control/accept-firewall';
import { nameThisThread, processNames } from './system/process-names';
import { startProcess } from './system/sched';
import { runLifecycleScript } from './control/lifecycle';
import { LvsSync } from './lvs-sync-runtime';
import { singleFlight } from './core/single-flight';

export interface DaemonOptions {
  file: string;
  configId: string;
  pidfile?: string;
  control: string;
  vrrp: boolean;
  checkers: boolean;
  /** keepalived -I: leave the dataplane programmed on stop */
  keepDataplane: boolean;
  log: Log;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
/** diagnostics a (re)load writes to the log; `keepalive-ts -t` shows them all */
const MAX_LOGGED_DIAGNOSTICS = 200;

function load(
  file: string,
  configId: string,
  log: Log,
  report?: (lines: string[], ok: boolean) => void,
): Config | undefined {
  // required here, not at the top: the VRRP thread is spawned before the reader loads
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parseFile } = require('./config/index') as typeof import('./config/index');
  const { fsHost } = require('./config/fs-host') as typeof import('./config/fs-host');
  const { formatDiagnostic } =
    require('./config/diagnostics') as typeof import('./config/diagnostics');
  /* eslint-enable @typescript-eslint/no-require-imports */
  let r: ReturnType<typeof parseFile>;
  try {
    r = parseFile(file, fsHost, { configId });
  } catch (e) {
    // the reader reports bad input as diagnostics; this is the last guard, at start and at reload
    const msg = `${file}:0: error: configuration could not be read: ${(e as Error).message}`;
    log('error', msg);
    report?.([msg], false);
    return undefined;
  }
  // a hostile file can yield a million diagnostics: the log gets the first ones and a count
  const shown = r.diagnostics.slice(0, MAX_LOGGED_DIAGNOSTICS);
  for (const d of shown) log(d.level === 'error' ? 'error' : 'warn', formatDiagnostic(d));
  if (r.diagnostics.length > shown.length)
    log(
      r.ok ? 'warn' : 'error',
      `${file}: ${r.diagnostics.length - shown.length} more diagnostics not logged`,
    );
  report?.(r.diagnostics.map(formatDiagnostic), r.ok);
  return r.ok ? r.config : undefined;
}

export async function runDaemon(o: DaemonOptions): Promise<void> {
  const { log } = o;
  // lvs_sync_daemon: the BACKUP thread from start, MASTER as its instance goes (lvs-sync-runtime.ts)
  const lvsSync = new LvsSync(log, { vrrp: o.vrrp, checkers: o.checkers });
  // the VRRP thread boots while the config is read; its events come after start()
  /** bfd_instance sessions' state as the VRRP thread tells it (BFD_CHECK) */
  const bfdStates = new Map<string, boolean>();
  const newVrrpThread = () =>
    new VrrpThread({
      log,
      transition: (t) => {
        const k = `${t.instance}\0${t.cause}`;
        transitions.set(k, (transitions.get(k) ?? 0) + 1);
        events.emit({
          kind: 'instance',
          instance: t.instance,
          from: t.from,
          to: t.to,
          cause: t.cause,
          priority: t.priority,
          wallTime: t.wallTime,
        });
        void notifier.onTransition(t);
        alerts?.onTransition(t);
        lvsSync.onTransition(t.instance, t.to);
      },
      event: (e) => void notifier.onEvent(e),
      ready: (at) => {
        startup.vrrpMs = round(at - performance.timeOrigin);
        sdNotify(
          `READY=1\nSTATUS=${config!.vrrp_instance.length} VRRP instance(s)\nMAINPID=${process.pid}`,
        );
      },
      failed: (msg) => {
        log('error', msg);
        void shutdown(1);
      },
      bfd: (name, up) => {
        bfdStates.set(name, up);
        lvs?.bfdChanged(name, up);
      },
    });
  let vrrp: VrrpThread | undefined = o.vrrp ? newVrrpThread() : undefined;
  if (!vrrp) discardSpare(); // checkers only (-C)
  let config = load(o.file, o.configId, log);
  if (!config) {
    log('error', `${o.file}: configuration invalid, not starting`);
    vrrp?.discard();
    process.exitCode = 1;
    return;
  }
  // keepalived's umask (022 unless configured), before any file is created
  process.umask(config.global_defs.umask ?? 0o022);
  const names = processNames(config.global_defs);
  if (names.title) process.title = names.title;
  if (names.main) nameThisThread(names.main);
  // keepalived runs it before anything starts, and waits for it (bounded)
  await runLifecycleScript('startup', config.global_defs, log);
  const startedAt = new Date().toISOString();
  // performance.now() counts from the process's start
  const startup: DaemonStatus['startup'] = { configMs: round(performance.now()) };
  let reloads = 0;
  if (o.pidfile) writeFileSync(o.pidfile, `${process.pid}\n`);
  const lag = new LoopLag();
  const notifier = new Notifier(config, log);
  // SMTP alerts: loaded only for configs that name recipients (nodemailer costs start-up)
  let alerts: SmtpAlerts | undefined;
  const setAlerts = (cfg: Config) => {
    if (alerts) return alerts.setConfig(cfg);
    if (cfg.global_defs.notification_email.length === 0) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SmtpAlerts } = require('./control/alerts') as typeof import('./control/alerts');
    alerts = new SmtpAlerts(cfg, log);
  };
  setAlerts(config);
  const transitions = new Map<string, number>();
  const events = new EventLog();

  // no_accept / strict mode: the drop table (nft runs only for configs that need it)
  const firewall = new AcceptFirewall(log);
  const applyAcceptMode = (cfg: Config | undefined) => firewall.apply(cfg);
  const acceptReady = applyAcceptMode(config);

  // static addresses/routes/rules are the VRRP side's too (keepalived: have_vrrp_config)
  const hasStatic = (c: Config) =>
    c.static_ipaddress.length + c.static_routes.length + c.static_rules.length > 0;
  // bfd_instance sessions run in the VRRP thread, for track_bfd and BFD_CHECK alike
  const needsVrrp = (c: Config) =>
    c.vrrp_instance.length > 0 || hasStatic(c) || c.bfd_instance.length > 0;
  if (vrrp && needsVrrp(config)) vrrp.start(config);
  else {
    vrrp?.discard();
    vrrp = undefined;
  }
  startProcess(
    config.global_defs,
    { vrrp: !!vrrp, checkers: o.checkers, bfd: !!vrrp && config.bfd_instance.length > 0 },
    log,
  );

  lvsSync.apply(config);
  // keepalived -C runs no BFD process either: its BFD_CHECKs never hear a session
  const bfdChecks = config.virtual_server.some((v) =>
    v.real_server.some((r) => r.checkers.some((c) => c.type === 'BFD_CHECK')),
  );
  if (!vrrp && o.checkers && bfdChecks)
    log(
      'warn',
      'BFD_CHECK: no BFD sessions run with checkers only (-C); those real servers keep their initial state',
    );

  let lvs: LvsRuntime | undefined;
  const startLvs = (cfg: Config) => {
    if (!o.checkers || (cfg.virtual_server.length === 0 && !lvs)) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    lvs ??= new (require('./lvs-runtime') as { LvsRuntime: typeof LvsRuntime }).LvsRuntime(
      log,
      events,
      notifier,
      (e) => {
        alerts?.onRealServer(e);
        bgp?.poke();
      },
      (name) => bfdStates.get(name),
    );
    lvs.start(cfg);
  };
  try {
    startLvs(config);
  } catch (e) {
    log('error', (e as Error).message);
    process.exitCode = 1;
  }

  // bgp_announce: the VIP announced by BIRD while this director can serve (active-active)
  let bgp: BgpRuntime | undefined;
  const applyBgp = async (cfg: Config) => {
    if (!cfg.bgp_announce && !bgp) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    bgp ??= new (require('./bgp-runtime') as { BgpRuntime: typeof BgpRuntime }).BgpRuntime(
      log,
      events,
      () => lvs?.services() ?? [],
    );
    // never fatal: BIRD problems are states of the loop; anything else is logged
    await bgp.apply(cfg).catch((e: Error) => log('error', `bgp_announce: ${e.message}`));
  };
  void applyBgp(config);

  const status = singleFlight(async (): Promise<DaemonStatus> => {
    const engine = vrrp ? await vrrp.status() : undefined;
    return {
      pid: process.pid,
      config: path.resolve(o.file),
      startedAt,
      reloads,
      startup,
      instances: engine?.instances ?? [],
      ...(engine ? { unclaimedDrops: engine.unclaimed } : {}),
      virtualServers: [],
      ...lvs?.status(),
      ...((b) => (b ? { bgp: b } : {}))(bgp?.status()),
      loop: {
        ...((l) => (l ? { mainP99Ms: l.p99Ms, mainMaxMs: l.maxMs } : {}))(lag.read()),
        ...(engine ? { vrrp: engine.loop } : {}),
      },
    };
  });

  const server = serveControl(
    o.control,
    async (req) => {
      if (req.cmd === 'status') return status();
      if (req.cmd === 'drain' || req.cmd === 'undrain') {
        if (!bgp?.status())
          throw new Error('no bgp_announce in the configuration: nothing to drain');
        return req.cmd === 'drain' ? bgp.drain(req.reason) : bgp.undrain();
      }
      throw new Error(`unknown command ${req.cmd}`);
    },
    events,
  );
  // loaded only when asked for: prom-client costs ~30 ms of start-up, and start-up
  // delays a restarted master's preemption
  const metricsServer = config.global_defs.metrics_listen
    ? await import('./control/metrics.js').then((m) =>
        m.serveMetrics(
          config!.global_defs.metrics_listen!,
          m.buildRegistry({ status, transitions: () => transitions }),
          log,
        ),
      )
    : undefined;

  let shuttingDown = false;
  async function shutdown(code: number) {
    if (shuttingDown) return;
    shuttingDown = true;
    sdNotify('STOPPING=1');
    log('info', 'stopping: releasing virtual addresses');
    // child_wait_time bounds the wait for the VRRP thread and for running scripts
    const waitMs = (config?.child_wait_time ?? 5) * 1000;
    const t0 = Date.now();
    // active-active: the route goes first, so the router stops sending before anything else stops
    await bgp?.stop();
    lvs?.stopChecks();
    await vrrp?.stop(waitMs + 1000);
    await acceptReady;
    await applyAcceptMode(undefined);
    // only now that the VIPs are gone: with the VIP still local and the rules gone,
    // the kernel would answer clients of established DR flows with a RST
    await lvs?.clear(o.keepDataplane);
    lvsSync.stop();
    // the VIPs are gone: the "Stopping" mails may take a moment, bounded
    await alerts?.flush(1000);
    // notify_stop and the group STOP scripts, bounded by child_wait_time
    await notifier.settle(Math.max(0, waitMs - (Date.now() - t0)));
    await notifier.close();
    await runLifecycleScript('shutdown', config!.global_defs, log);
    server.close();
    metricsServer?.close();
    try {
      unlinkSync(o.control);
    } catch {
      /* already gone */
    }
    if (o.pidfile) {
      try {
        unlinkSync(o.pidfile);
      } catch {
        /* already gone */
      }
    }
    await endScripts(Math.max(0, waitMs - (Date.now() - t0)));
    process.exit(code);
  }

  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGHUP', () => {
    // a reload is always checked first (keepalived's reload_check_config); its LOG_FILE gets the result
    const checkLog = config!.global_defs.reload_check_config;
    const next = load(o.file, o.configId, log, (lines, ok) => {
      if (typeof checkLog !== 'string') return;
      try {
        writeFileSync(
          checkLog,
          [...lines, ok ? 'configuration OK' : 'configuration invalid', ''].join('\n'),
        );
      } catch (e) {
        log('warn', `reload_check_config ${checkLog}: ${(e as Error).message}`);
      }
    });
    if (!next) {
      log('error', 'reload: new configuration invalid, keeping the running one');
      return;
    }
    sdNotify('RELOADING=1');
    reloads++;
    const current = config!;
    config = next;
    notifier.setConfig(next);
    setAlerts(next);
    void applyAcceptMode(next);
    startLvs(next);
    void applyBgp(next);
    lvsSync.apply(next);
    if (!vrrp && o.vrrp && needsVrrp(next)) {
      // started without VRRP configuration (e.g. a package's inert default):
      // the first instances arrive by reload, as with keepalived
      vrrp = newVrrpThread();
      vrrp.start(next);
      log('info', `reload: VRRP started with ${next.vrrp_instance.length} instance(s)`);
      return; // READY=1 comes from the thread's ready callback
    }
    if (!vrrp) {
      sdNotify('READY=1');
      return;
    }
    vrrp.reload(current, next, (r) => {
      log('info', `reload: ${JSON.stringify(r)}`);
      sdNotify('READY=1');
      if (next.global_defs.fifo_write_vrrp_states_on_reload)
        void vrrp
          ?.status()
          .then((s) => notifier.onReloaded(s.instances.filter((i) => r.kept.includes(i.name))))
          .catch(() => {});
    });
  });
  // without a VRRP engine the configuration is applied now; with one, when the worker says ready
  if (!vrrp) sdNotify(`READY=1\nMAINPID=${process.pid}`);
  log(
    'info',
    `keepalive-ts started (pid ${process.pid}, ${config.vrrp_instance.length} VRRP instance(s))`,
  );
}
