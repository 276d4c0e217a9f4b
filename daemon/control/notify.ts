// State-change notifications as keepalived does them: the state's own script
// (notify_master/backup/fault/stop), then the generic `notify` script with
// `INSTANCE <name> <state> <priority>`, in order per instance; and one line
// per change on the notify FIFO in keepalived's format. A vrrp_sync_group's
// scripts run the same way on the group's own transitions (group-notify.ts),
// the generic one with `GROUP <name> <state> 0`.
import type { Config, ScriptRef, VrrpInstance, VrrpSyncGroup } from '../config/model';
import { splitArgv } from '../core/argv';
import type { InstanceEvent, Transition } from '../vrrp/status';
import type { Log } from '../core/log';
import type { UserRef } from '../system/script-user';
import { ScriptGate } from '../system/script-gate';
import { SyncGroupStates, type GroupState, type GroupTransition } from './group-notify';
import { NotifyFifo } from './fifo';

const FIFO_STATE: Record<string, string> = {
  MASTER: 'MASTER',
  BACKUP: 'BACKUP',
  FAULT: 'FAULT',
  INIT: 'STOP',
};

export function fifoLine(t: Pick<Transition, 'instance' | 'to' | 'priority'>): string {
  return `INSTANCE "${t.instance}" ${FIFO_STATE[t.to]} ${t.priority}\n`;
}

/** keepalived's lines for events: MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY */
export function eventFifoLine(e: InstanceEvent): string {
  const what =
    e.kind === 'master_rx_lower_pri'
      ? 'MASTER_RX_LOWER_PRI'
      : e.state === 'MASTER'
        ? 'MASTER_PRIORITY'
        : 'BACKUP_PRIORITY';
  return `INSTANCE "${e.instance}" ${what} ${e.priority}\n`;
}

/** notify_priority_changes: the instance's, else its sync group's, else the global one */
export function notifiesPriority(c: Config, vi: VrrpInstance): boolean {
  const g = c.vrrp_sync_group.find((x) => x.group.some((m) => m.name === vi.name));
  return (
    vi.notify_priority_changes ??
    g?.notify_priority_changes ??
    c.global_defs.vrrp_notify_priority_changes ??
    false
  );
}

export function groupFifoLine(g: GroupTransition): string {
  return `GROUP "${g.group}" ${g.state} 0\n`;
}

const userOf = (r: ScriptRef): UserRef | undefined =>
  r.user ? { user: r.user, group: r.group } : undefined;

export class Notifier {
  private readonly queues = new Map<string, Promise<void>>();
  private fifos: NotifyFifo[];
  /** notify_fifo: it also carries the checkers' lines */
  private mainFifo?: NotifyFifo;
  /** lvs_notify_fifo: the checkers' lines only */
  private lvsFifo?: NotifyFifo;
  private gate: ScriptGate;
  /** instances a reload removed: their scripts run when they are stopped */
  private removed = new Map<string, VrrpInstance>();
  private groups: SyncGroupStates;

  constructor(
    private config: Config,
    private readonly log: Log,
  ) {
    this.gate = this.makeGate();
    this.fifos = this.openFifos();
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
    for (const vi of this.config.vrrp_instance)
      if (!c.vrrp_instance.some((n) => n.name === vi.name)) this.removed.set(vi.name, vi);
    const fifos = (x: Config) => {
      const g = x.global_defs;
      return JSON.stringify([
        g.notify_fifo,
        g.notify_fifo_script,
        g.vrrp_notify_fifo,
        g.vrrp_notify_fifo_script,
        g.lvs_notify_fifo,
        g.lvs_notify_fifo_script,
      ]);
    };
    const reopen = fifos(c) !== fifos(this.config);
    this.config = c;
    this.gate = this.makeGate();
    // FIFOs (and their scripts) changed by the reload are closed and opened anew
    if (reopen && !this.reopening) {
      const old = [...this.fifos, ...(this.lvsFifo ? [this.lvsFifo] : [])];
      this.fifos = [];
      this.mainFifo = undefined;
      this.lvsFifo = undefined;
      const held: string[] = (this.reopening = []);
      void Promise.all(old.map((f) => f.close())).then(() => {
        if (this.reopening !== held) return; // closed meanwhile
        this.reopening = undefined;
        this.fifos = this.openFifos();
        for (const l of held) this.fifo(l);
      });
    }
  }

  /** notify_fifo and vrrp_notify_fifo (both get the VRRP lines, as in keepalived) */
  private openFifos() {
    const g = this.config.global_defs;
    const fifos: NotifyFifo[] = [];
    if (g.notify_fifo)
      fifos.push(
        (this.mainFifo = new NotifyFifo(g.notify_fifo, g.notify_fifo_script, this.gate, this.log)),
      );
    // keepalived ignores a vrrp_notify_fifo that is notify_fifo itself
    if (g.vrrp_notify_fifo && g.vrrp_notify_fifo !== g.notify_fifo)
      fifos.push(
        new NotifyFifo(g.vrrp_notify_fifo, g.vrrp_notify_fifo_script, this.gate, this.log),
      );
    // likewise an lvs_notify_fifo that is notify_fifo (it has the lines already)
    if (g.lvs_notify_fifo && g.lvs_notify_fifo !== g.notify_fifo)
      this.lvsFifo = new NotifyFifo(
        g.lvs_notify_fifo,
        g.lvs_notify_fifo_script,
        this.gate,
        this.log,
      );
    return fifos;
  }

  /** lines held while the FIFOs are reopened after a reload */
  private reopening?: string[];

  private fifo(line: string) {
    if (this.reopening) this.reopening.push(line);
    for (const f of this.fifos) f.write(line);
  }

  /**
   * Wait, at most `ms`, for the scripts queued so far. At stop a group's
   * `GROUP G STOP` script waits in its queue behind the group's notify_stop:
   * without this the process could end between the two.
   */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.queues.values()),
      new Promise((r) => (timer = setTimeout(r, ms))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Write what is queued, close the FIFOs (removing those created) and end their scripts. */
  async close() {
    const f = [...this.fifos, ...(this.lvsFifo ? [this.lvsFifo] : [])];
    this.fifos = [];
    this.reopening = undefined;
    this.mainFifo = undefined;
    this.lvsFifo = undefined;
    await Promise.all(f.map((x) => x.close()));
  }

  /**
   * A checker event line (check/notifies.ts: `RS [ADDR]:tcp:PORT [VIP]:tcp:PORT UP`,
   * `VS [VIP]:tcp:PORT DOWN`): to notify_fifo and lvs_notify_fifo, as keepalived's
   * checker process writes both.
   */
  checkerLine(line: string) {
    this.mainFifo?.write(line);
    this.lvsFifo?.write(line);
  }

  /** MASTER_RX_LOWER_PRI (line and script), a change of priority (line, when asked for) */
  onEvent(e: InstanceEvent): Promise<void> {
    const vi = this.config.vrrp_instance.find((v) => v.name === e.instance);
    if (!vi) return Promise.resolve();
    if (e.kind === 'priority') {
      if (notifiesPriority(this.config, vi)) this.fifo(eventFifoLine(e));
      return Promise.resolve();
    }
    const s = vi.notify_master_rx_lower_pri;
    const run = s ? [{ argv: splitArgv(s.cmd), user: userOf(s) }] : [];
    const done = this.run(e.instance, e.instance, run);
    this.fifo(eventFifoLine(e));
    return done;
  }

  /**
   * After a reload (fifo_write_vrrp_states_on_reload): the groups' states and
   * those of the kept instances in BACKUP or FAULT. keepalived 2.2.7 writes no
   * line for a kept MASTER (vrrp_init_state takes its reload_master path);
   * instances that change state at the reload tell of it as usual.
   */
  onReloaded(kept: { name: string; state: string; priority: number }[]) {
    if (!this.config.global_defs.fifo_write_vrrp_states_on_reload) return;
    for (const g of this.groups.states()) this.fifo(groupFifoLine(g));
    for (const i of kept)
      if (i.state === 'BACKUP' || i.state === 'FAULT')
        this.fifo(fifoLine({ instance: i.name, to: i.state, priority: i.priority }));
  }

  /**
   * An instance removed by a reload: keepalived tells FAULT (DELETED with
   * notify_deleted) to its notifies, and nothing when it was in FAULT already
   * and has no notify_deleted.
   */
  private onDeleted(t: Transition, vi: VrrpInstance) {
    this.removed.delete(t.instance);
    const deleted = vi.notify_deleted !== undefined;
    if (!deleted && t.from === 'FAULT') return Promise.resolve();
    const state = deleted ? 'DELETED' : 'FAULT';
    this.fifo(`INSTANCE "${t.instance}" ${state} ${t.priority}\n`);
    const own = deleted ? vi.notify_deleted?.script : vi.notify_fault;
    const out: { argv: string[]; user?: UserRef }[] = [];
    if (own) out.push({ argv: splitArgv(own.cmd), user: userOf(own) });
    if (vi.notify)
      out.push({
        argv: [...splitArgv(vi.notify.cmd), 'INSTANCE', t.instance, state, String(t.priority)],
        user: userOf(vi.notify),
      });
    return this.run(t.instance, t.instance, out);
  }

  onTransition(t: Transition): Promise<void> {
    const gone = t.cause === 'deleted' ? this.removed.get(t.instance) : undefined;
    if (gone) return this.onDeleted(t, gone);
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
