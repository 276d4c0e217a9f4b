// The daemon process: loads the config, runs the VRRP engine in a worker
// thread, serves the control socket, runs notify scripts, and handles
// SIGTERM (priority-0 adverts, VIPs released, exit 0) and SIGHUP (hitless
// reload: unchanged instances keep state and VIPs).
import { unlinkSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { formatDiagnostic } from './config/diagnostics';
import { fsHost } from './config/fs-host';
import { parseFile } from './config/index';
import type { Config } from './config/model';
import type { Logger } from './control/log';
import { Notifier } from './control/notify';
import { serveControl } from './control/socket';
import { EventLog } from './control/events';
import { sdNotify } from './control/sdnotify';
import type { InstanceStatus, Transition } from './vrrp/engine';
import { HealthManager, type VirtualServerStatus } from './check/manager';
import { dnsProbe, httpProbe, scriptProbe, tcpProbe } from './check/probes';
import { runScript } from './control/scripts';
import { selectDataplane } from './dataplane/select';
import type { Dataplane } from './dataplane/types';
import { realClock } from './net/io';
import { networkInterfaces } from 'node:os';

export interface DaemonOptions {
  file: string;
  configId: string;
  pidfile?: string;
  control: string;
  vrrp: boolean;
  checkers: boolean;
  /** keepalived -I: leave the dataplane programmed on stop */
  keepDataplane: boolean;
  log: Logger;
}

export interface DaemonStatus {
  pid: number;
  config: string;
  startedAt: string;
  reloads: number;
  instances: InstanceStatus[];
  virtualServers: VirtualServerStatus[];
  dataplane?: { backend: string; errors: number };
  checks?: HealthManager['stats'];
  loop: {
    mainP99Ms: number;
    mainMaxMs: number;
    vrrp?: { maxAdvertLagMs: number; p99Ms: number; maxMs: number };
  };
}

function load(file: string, configId: string, log: Logger): Config | undefined {
  const r = parseFile(file, fsHost, { configId });
  for (const d of r.diagnostics) log(d.level === 'error' ? 'error' : 'warn', formatDiagnostic(d));
  return r.ok ? r.config : undefined;
}

export async function runDaemon(o: DaemonOptions): Promise<void> {
  const { log } = o;
  let config = load(o.file, o.configId, log);
  if (!config) {
    log('error', `${o.file}: configuration invalid, not starting`);
    process.exitCode = 1;
    return;
  }
  const startedAt = new Date().toISOString();
  let reloads = 0;
  if (o.pidfile) writeFileSync(o.pidfile, `${process.pid}\n`);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const notifier = new Notifier(config, log);
  const transitions = new Map<string, number>();
  const events = new EventLog();

  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, (v: unknown) => void>();
  let stopped: (() => void) | undefined;
  let reloaded: ((r: unknown) => void) | undefined;

  if (o.vrrp && config.vrrp_instance.length) {
    worker = new Worker(path.join(__dirname, 'vrrp/worker.js'), { workerData: { config } });
    worker.on('message', (m: { type: string; [k: string]: unknown }) => {
      if (m.type === 'log') log(m.level as 'info', m.msg as string);
      else if (m.type === 'transition') {
        const t = m.t as Transition;
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
      } else if (m.type === 'status') pending.get(m.id as number)?.(m);
      else if (m.type === 'stopped') stopped?.();
      else if (m.type === 'ready')
        sdNotify(
          `READY=1\nSTATUS=${config!.vrrp_instance.length} VRRP instance(s)\nMAINPID=${process.pid}`,
        );
      else if (m.type === 'reloaded') reloaded?.(m.result);
      else if (m.type === 'fatal') {
        log('error', `VRRP engine failed to start: ${m.msg as string}`);
        void shutdown(1);
      }
    });
    worker.on('error', (e) => {
      log('error', `VRRP engine crashed: ${e.message}`);
      void shutdown(1);
    });
  }

  let dataplane: Dataplane | undefined;
  let health: HealthManager | undefined;
  const startHealth = (cfg: Config) => {
    if (!o.checkers || cfg.virtual_server.length === 0) return;
    dataplane ??= selectDataplane(cfg.global_defs.lvs_backend, log);
    const dp = dataplane;
    health = new HealthManager(cfg, {
      clock: realClock,
      probes: { tcp: tcpProbe, http: httpProbe, script: scriptProbe, dns: dnsProbe },
      apply: (services) => dp.apply(services),
      runScript,
      log,
      onEvent: (e) => {
        events.emit({
          kind: 'real_server',
          virtualServer: e.vs,
          realServer: e.rs,
          up: e.up,
          reason: e.reason,
          wallTime: e.wallTime,
        });
        notifier.onRealServer(e);
      },
      isLocal: (a) =>
        Object.values(networkInterfaces()).some((l) => l?.some((x) => x.address === a)),
    });
    health.start();
  };
  try {
    startHealth(config);
  } catch (e) {
    log('error', (e as Error).message);
    process.exitCode = 1;
  }
  // converge back if someone changes or flushes our rules from outside
  const reconcileTimer = setInterval(() => {
    dataplane?.reconcile().catch((e: Error) => log('error', `dataplane: ${e.message}`));
  }, 5000);

  const status = async (): Promise<DaemonStatus> => {
    let vrrp: { instances: InstanceStatus[]; loop: DaemonStatus['loop']['vrrp'] } = {
      instances: [],
      loop: undefined,
    };
    if (worker) {
      const id = nextId++;
      vrrp = await new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          pending.delete(id);
          reject(new Error('VRRP engine did not answer'));
        }, 2000);
        pending.set(id, (v) => {
          clearTimeout(t);
          pending.delete(id);
          resolve(v as typeof vrrp);
        });
        worker!.postMessage({ type: 'status', id });
      });
    }
    return {
      pid: process.pid,
      config: path.resolve(o.file),
      startedAt,
      reloads,
      instances: vrrp.instances,
      virtualServers: health?.status() ?? [],
      ...(health ? { checks: { ...health.stats } } : {}),
      ...(dataplane
        ? {
            dataplane: {
              backend: dataplane.name,
              errors: (dataplane as { errors?: number }).errors ?? 0,
            },
          }
        : {}),
      loop: {
        mainP99Ms: Math.round(lag.percentile(99) / 1e4) / 100,
        mainMaxMs: Math.round(lag.max / 1e4) / 100,
        ...(vrrp.loop ? { vrrp: vrrp.loop } : {}),
      },
    };
  };

  const server = serveControl(
    o.control,
    async (req) => {
      if (req.cmd === 'status') return status();
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
    health?.stop();
    clearInterval(reconcileTimer);
    if (worker) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 3000);
        stopped = () => {
          clearTimeout(t);
          resolve();
        };
        worker!.postMessage({ type: 'stop' });
      });
      await worker.terminate();
    }
    // only now that the VIPs are gone: with the VIP still local and the rules gone,
    // the kernel would answer clients of established DR flows with a RST
    if (dataplane && !o.keepDataplane)
      await dataplane.clear().catch((e: Error) => log('error', `dataplane: ${e.message}`));
    notifier.close();
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
    process.exit(code);
  }

  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGHUP', () => {
    const next = load(o.file, o.configId, log);
    if (!next) {
      log('error', 'reload: new configuration invalid, keeping the running one');
      return;
    }
    sdNotify('RELOADING=1');
    reloads++;
    config = next;
    notifier.setConfig(next);
    health?.stop();
    startHealth(next);
    if (!worker) {
      sdNotify('READY=1');
      return;
    }
    reloaded = (r) => {
      log('info', `reload: ${JSON.stringify(r)}`);
      sdNotify('READY=1');
    };
    worker.postMessage({ type: 'reload', config: next });
  });
  // without a VRRP engine the configuration is applied now; with one, when the worker says ready
  if (!worker) sdNotify(`READY=1\nMAINPID=${process.pid}`);
  log(
    'info',
    `keepalive-ts started (pid ${process.pid}, ${config.vrrp_instance.length} VRRP instance(s))`,
  );
}
