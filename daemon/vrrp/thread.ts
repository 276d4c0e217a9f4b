// The main thread's side of the VRRP worker: start it, ask it for status,
// reload and stop it, and hear its events. Typed by protocol.ts.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/model';
import type { LogLevel } from '../core/log';
import type { FromWorker, ToWorker, WorkerData, WorkerLoop } from './protocol';
import type { ReloadPlan } from './reload';
import type { InstanceStatus, Transition } from './status';

export interface ThreadEvents {
  log(level: LogLevel, msg: string): void;
  transition(t: Transition): void;
  /** every instance started */
  ready(): void;
  /** the engine failed to start, or the thread died */
  failed(msg: string): void;
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

  constructor(config: Config, events: ThreadEvents) {
    const data: WorkerData = { config };
    this.worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: data });
    this.worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'log':
          return events.log(m.level, m.msg);
        case 'transition':
          return events.transition(m.t);
        case 'status':
          return this.pending.get(m.id)?.(m);
        case 'stopped':
          return this.onStopped?.();
        case 'ready':
          return events.ready();
        case 'reloaded':
          return this.onReloaded?.(m.result);
        case 'fatal':
          return events.failed(`VRRP engine failed to start: ${m.msg}`);
      }
    });
    this.worker.on('error', (e) => events.failed(`VRRP engine crashed: ${e.message}`));
  }

  private post(m: ToWorker) {
    this.worker.postMessage(m);
  }

  status(timeoutMs = 2000): Promise<{ instances: InstanceStatus[]; loop: WorkerLoop }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('VRRP engine did not answer'));
      }, timeoutMs);
      this.pending.set(id, (m) => {
        clearTimeout(t);
        this.pending.delete(id);
        resolve({ instances: m.instances, loop: m.loop });
      });
      this.post({ type: 'status', id });
    });
  }

  /** Hand the engine a new config; `done` hears what it kept and restarted. */
  reload(config: Config, done: (r: ReloadPlan) => void) {
    this.onReloaded = done;
    this.post({ type: 'reload', config });
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
