// State-change notifications as keepalived does them: the state's own script
// (notify_master/backup/fault/stop), then the generic `notify` script with
// `INSTANCE <name> <state> <priority>`, in order per instance; and one line
// per change on the notify FIFO in keepalived's format. A vrrp_sync_group's
// scripts run the same way on the group's own transitions (group-notify.ts),
// the generic one with `GROUP <name> <state> 0`.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, write } from 'node:fs';
import type { Config, ScriptRef, VrrpInstance, VrrpSyncGroup } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Transition } from '../vrrp/status';
import type { Log } from '../core/log';
import type { UserRef } from '../system/script-user';
import { ScriptGate } from '../system/script-gate';
import { SyncGroupStates, type GroupState, type GroupTransition } from './group-notify';

const FIFO_STATE: Record<string, string> = {
  MASTER: 'MASTER',
  BACKUP: 'BACKUP',
  FAULT: 'FAULT',
  INIT: 'STOP',
};

export function fifoLine(t: Pick<Transition, 'instance' | 'to' | 'priority'>): string {
  return `INSTANCE "${t.instance}" ${FIFO_STATE[t.to]} ${t.priority}\n`;
}

export function groupFifoLine(g: GroupTransition): string {
  return `GROUP "${g.group}" ${g.state} 0\n`;
}

export function rsFifoLine(e: { vs: string; rs: string; up: boolean }): string {
  return `RS "${e.rs}" "${e.vs}" ${e.up ? 'UP' : 'DOWN'}\n`;
}

const userOf = (r: ScriptRef): UserRef | undefined =>
  r.user ? { user: r.user, group: r.group } : undefined;

export class Notifier {
  private readonly queues = new Map<string, Promise<void>>();
  private fifoFd?: number;
  private gate: ScriptGate;
  private groups: SyncGroupStates;

  constructor(
    private config: Config,
    private readonly log: Log,
  ) {
    this.openFifo();
    this.gate = this.makeGate();
    this.groups = new SyncGroupStates(config);
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
    const groups = (x: Config) =>
      JSON.stringify(x.vrrp_sync_group.map((g) => [g.name, g.group.map((m) => m.name)]));
    // a group's state is kept across a reload unless its membership changed
    if (groups(c) !== groups(this.config)) this.groups = new SyncGroupStates(c);
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

  private readonly fifoLines: string[] = [];
  private fifoBusy = false;

  /** one line on the FIFO, in order: writes never overlap (the thread pool may reorder them) */
  private fifo(line: string) {
    if (this.fifoFd === undefined) return;
    this.fifoLines.push(line);
    const next = () => {
      const l = this.fifoLines.shift();
      if (l === undefined || this.fifoFd === undefined) return void (this.fifoBusy = false);
      this.fifoBusy = true;
      write(this.fifoFd, l, next);
    };
    if (!this.fifoBusy) next();
  }

  close() {
    if (this.fifoFd !== undefined) closeSync(this.fifoFd);
    this.fifoFd = undefined;
  }

  /** A real server changed: one FIFO line, `RS "<real server>" "<virtual server>" UP|DOWN`. */
  onRealServer(e: { vs: string; rs: string; up: boolean }) {
    this.fifo(rsFifoLine(e));
  }

  onTransition(t: Transition): Promise<void> {
    this.fifo(fifoLine(t));
    const vi = this.config.vrrp_instance.find((v) => v.name === t.instance);
    const done = [
      vi ? this.run(t.instance, t.instance, this.scriptsFor(vi, t)) : Promise.resolve(),
    ];
    // then the group's, as keepalived's sync group handlers follow the member's transition
    for (const g of this.groups.onTransition(t)) {
      this.log('info', `VRRP_Group(${g.group}) ${g.state}`);
      this.fifo(groupFifoLine(g));
      const sg = this.config.vrrp_sync_group.find((x) => x.name === g.group);
      if (sg) done.push(this.run(`\0group ${g.group}`, g.group, this.groupScripts(sg, g.state)));
    }
    return Promise.all(done).then(() => {});
  }

  /** run scripts one after another, after those queued before under `key` */
  private run(key: string, who: string, scripts: { argv: string[]; user?: UserRef }[]) {
    if (!scripts.length) return this.queues.get(key) ?? Promise.resolve();
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const { argv, user } of scripts) {
        const code = await this.gate.run(argv, 30_000, user);
        if (code !== 0) this.log('warn', `${who}: notify script ${argv[0]} exited ${code}`);
      }
    });
    this.queues.set(key, next);
    return next;
  }

  private groupScripts(sg: VrrpSyncGroup, state: GroupState) {
    const own: Record<GroupState, ScriptRef | undefined> = {
      MASTER: sg.notify_master,
      BACKUP: sg.notify_backup,
      FAULT: sg.notify_fault,
      STOP: sg.notify_stop,
    };
    const out: { argv: string[]; user?: UserRef }[] = [];
    const s = own[state];
    if (s) out.push({ argv: splitArgv(s.cmd), user: userOf(s) });
    if (sg.notify)
      out.push({
        argv: [...splitArgv(sg.notify.cmd), 'GROUP', sg.name, state, '0'],
        user: userOf(sg.notify),
      });
    return out;
  }

  private scriptsFor(vi: VrrpInstance, t: Transition): { argv: string[]; user?: UserRef }[] {
    const own: Record<string, ScriptRef | undefined> = {
      MASTER: vi.notify_master,
      BACKUP: vi.notify_backup,
      FAULT: vi.notify_fault,
      INIT: vi.notify_stop,
    };
    const user = userOf;
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
