// The main thread's side of the VRRP worker: start it, ask it for status,
// reload and stop it, and hear its events. Typed by protocol.ts.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/model';
import { SEA_ASSETS, seaAsset } from '../core/sea';
import type { LogLevel } from '../core/log';
import type { FromWorker, ToWorker } from './protocol';
import { planReload, reloadMessage, runningOf, type ReloadPlan } from './reload';
import type { InstanceEvent, Transition } from './status';

export interface ThreadEvents {
  log(level: LogLevel, msg: string): void;
  transition(t: Transition): void;
  /** MASTER_RX_LOWER_PRI, a change of priority */
  event(e: InstanceEvent): void;
  /** every instance started, at epoch ms `at` */
  ready(at: number): void;
  /** the engine failed to start, or the thread died */
  failed(msg: string): void;
  /** a bfd_instance's session is up or down (BFD_CHECK) */
  bfd?(name: string, up: boolean): void;
}

const WORKER = path.join(__dirname, 'worker.js');

/** The thread's code: worker.js beside this file, or the bundle embedded in the single executable. */
function spawnWorker(): Worker {
  const embedded = seaAsset(SEA_ASSETS.vrrpWorker);
  return embedded ? new Worker(embedded.toString('utf8'), { eval: true }) : new Worker(WORKER);
}

/** A thread spawned by prespawn(), waiting for its VrrpThread; an error it had meanwhile. */
let spare: { worker: Worker; error?: Error } | undefined;

/**
 * Spawn the VRRP thread at once, before the command line is parsed and the
 * config read: it boots while the main thread does that. The next VrrpThread
 * takes it over.
 */
export function prespawn() {
  if (spare) return;
  const worker = spawnWorker();
  const s: { worker: Worker; error?: Error } = { worker };
  worker.once('error', (e) => (s.error = e));
  spare = s;
}

/** The prespawned thread was not needed (a config test, a config without VRRP). */
export function discardSpare() {
  void spare?.worker.terminate();
  spare = undefined;
}

export class VrrpThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    (m: Extract<FromWorker, { type: 'status' }>) => void
  >();
  private onStopped?: () => void;
  private onReloaded?: (r: ReloadPlan) => void;

  /**
   * Spawn the thread now, before the config is read: a thread takes tens of
   * milliseconds to boot, and a restarted master's preemption waits for it.
   */
  constructor(events: ThreadEvents) {
    const taken = spare;
    spare = undefined;
    this.worker = taken?.worker ?? spawnWorker();
    if (taken?.error)
      queueMicrotask(() => events.failed(`VRRP engine crashed: ${taken.error!.message}`));
    this.worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'log':
          return events.log(m.level, m.msg);
        case 'transition':
          return events.transition(m.t);
        case 'event':
          return events.event(m.e);
        case 'status':
          return this.pending.get(m.id)?.(m);
        case 'stopped':
          return this.onStopped?.();
        case 'ready':
          return events.ready(m.at);
        case 'reloaded':
          return this.onReloaded?.(m.result);
        case 'fatal':
          return events.failed(`VRRP engine failed to start: ${m.msg}`);
        case 'bfd':
          return events.bfd?.(m.name, m.up);
      }
    });
    this.worker.on('error', (e) => events.failed(`VRRP engine crashed: ${e.message}`));
  }

  private post(m: ToWorker) {
    this.worker.postMessage(m);
  }

  /** Start every instance of `config` (ThreadEvents.ready or .failed follows). */
  start(config: Config) {
    this.post({ type: 'start', config });
  }

  /** The config has no VRRP instance after all: end the thread unused. */
  discard() {
    void this.worker.terminate();
  }

  status(
    timeoutMs = 2000,
  ): Promise<Pick<Extract<FromWorker, { type: 'status' }>, 'instances' | 'loop' | 'unclaimed'>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('VRRP engine did not answer'));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        this.pending.delete(id);
        resolve({ instances: m.instances, loop: m.loop, unclaimed: m.unclaimed });
      });
      this.post({ type: 'status', id });
    });
  }

  /**
   * Reload from `current` (what the thread runs) to `next`: planned here, so
   * the thread gets only what changed; `done` hears the plan once applied.
   */
  reload(current: Config, next: Config, done: (r: ReloadPlan) => void) {
    const plan = planReload(current, runningOf(current), next);
    this.onReloaded = done;
    this.post({ type: 'reload', plan, config: reloadMessage(plan, next) });
  }

  /** Priority-0 adverts and VIPs released (or `timeoutMs` passed), then the thread ends. */
  async stop(timeoutMs = 3000) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.onStopped = () => {
        clearTimeout(t);
        resolve();
      };
      this.post({ type: 'stop' });
    });
    await this.worker.terminate();
  }
}
