// State-change notifications as keepalived does them: the state's own script
// (notify_master/backup/fault/stop), then the generic `notify` script with
// `INSTANCE <name> <state> <priority>`, in order per instance; and one line
// per change on the notify FIFO in keepalived's format.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, write } from 'node:fs';
import type { Config, ScriptRef, VrrpInstance } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Transition } from '../vrrp/status';
import type { Log } from '../core/log';
import type { UserRef } from '../system/script-user';
import { ScriptGate } from '../system/script-gate';

const FIFO_STATE: Record<string, string> = {
  MASTER: 'MASTER',
  BACKUP: 'BACKUP',
  FAULT: 'FAULT',
  INIT: 'STOP',
};

export function fifoLine(t: Pick<Transition, 'instance' | 'to' | 'priority'>): string {
  return `INSTANCE "${t.instance}" ${FIFO_STATE[t.to]} ${t.priority}\n`;
}

export function rsFifoLine(e: { vs: string; rs: string; up: boolean }): string {
  return `RS "${e.rs}" "${e.vs}" ${e.up ? 'UP' : 'DOWN'}\n`;
}

export class Notifier {
  private readonly queues = new Map<string, Promise<void>>();
  private fifoFd?: number;
  private gate: ScriptGate;

  constructor(
    private config: Config,
    private readonly log: Log,
  ) {
    this.openFifo();
    this.gate = this.makeGate();
  }

  /** scripts run as their user (script_user), refused when insecure (enable_script_security) */
  private makeGate() {
    const g = this.config.global_defs;
    return new ScriptGate({
      scriptUser: g.script_user,
      secure: g.enable_script_security,
      log: this.log,
    });
  }

  setConfig(c: Config) {
    this.config = c;
    this.gate = this.makeGate();
  }

  private openFifo() {
    const path = this.config.global_defs.vrrp_notify_fifo ?? this.config.global_defs.notify_fifo;
    if (!path) return;
    try {
      if (!existsSync(path)) execFileSync('mkfifo', ['-m', '0600', path]);
      if (!statSync(path).isFIFO()) throw new Error('not a FIFO');
      // read-write: never blocks and needs no reader to be present
      this.fifoFd = openSync(path, 'r+');
    } catch (e) {
      this.log('error', `notify fifo ${path}: ${(e as Error).message}`);
    }
  }

  close() {
    if (this.fifoFd !== undefined) closeSync(this.fifoFd);
    this.fifoFd = undefined;
  }

  /** A real server changed: one FIFO line, `RS "<real server>" "<virtual server>" UP|DOWN`. */
  onRealServer(e: { vs: string; rs: string; up: boolean }) {
    if (this.fifoFd !== undefined) write(this.fifoFd, rsFifoLine(e), () => {});
  }

  onTransition(t: Transition): Promise<void> {
    if (this.fifoFd !== undefined) write(this.fifoFd, fifoLine(t), () => {});
    const vi = this.config.vrrp_instance.find((v) => v.name === t.instance);
    if (!vi) return Promise.resolve();
    const scripts = this.scriptsFor(vi, t);
    const prev = this.queues.get(t.instance) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const { argv, user } of scripts) {
        const code = await this.gate.run(argv, 30_000, user);
        if (code !== 0) this.log('warn', `${t.instance}: notify script ${argv[0]} exited ${code}`);
      }
    });
    this.queues.set(t.instance, next);
    return next;
  }

  private scriptsFor(vi: VrrpInstance, t: Transition): { argv: string[]; user?: UserRef }[] {
    const own: Record<string, ScriptRef | undefined> = {
      MASTER: vi.notify_master,
      BACKUP: vi.notify_backup,
      FAULT: vi.notify_fault,
      INIT: vi.notify_stop,
    };
    const user = (r: ScriptRef) => (r.user ? { user: r.user, group: r.group } : undefined);
    const out: { argv: string[]; user?: UserRef }[] = [];
    const s = own[t.to];
    if (s) out.push({ argv: splitArgv(s.cmd), user: user(s) });
    if (vi.notify)
      out.push({
        argv: [
          ...splitArgv(vi.notify.cmd),
          'INSTANCE',
          t.instance,
          FIFO_STATE[t.to],
          String(t.priority),
        ],
        user: user(vi.notify),
      });
    return out;
  }
}
