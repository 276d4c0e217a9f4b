// Injecting the soak's faults into the lab, and undoing them. Each fault
// returns when it is healed, with the moment of the heal; every undo is also
// registered so that an interrupted run leaves nothing cut, stopped,
// throttled or broken (Faults.cleanup).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Lab } from '../lab/lab';
import { sleep } from '../lab/sys';
import type { Violation } from './invariants';
import type { Fault } from './schedule';
import type { Supervisor } from './supervisor';

export interface FaultCtl {
  /** SIGKILL of every daemon process (daemonControl().crash) */
  crash: string;
  /** machine-readable status (daemonControl().status) */
  status: string;
  /** the director's config file and the daemon's log */
  config: string;
  log: string;
  iface: string;
}

/**
 * A cgroup that holds a process to a share of one CPU: cgroup v2 (cpu.max)
 * where the cpu controller is on, else v1 (cfs quota). No stressor burns the
 * machine's shared cores, and only the one daemon is starved.
 */
export class CpuLimit {
  private readonly dir: string;
  private readonly root: string;
  private readonly v2: boolean;
  constructor(name: string) {
    const v2 = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((d) => {
      try {
        return readFileSync(path.join(d, 'cgroup.subtree_control'), 'utf8').includes('cpu');
      } catch {
        return false;
      }
    });
    this.v2 = !!v2;
    this.root = v2 ?? '/sys/fs/cgroup/cpu';
    if (!existsSync(path.join(this.root, 'cgroup.procs')))
      throw new Error('soak: no cgroup with the cpu controller (cgroup v2 cpu.max or v1 cpu)');
    this.dir = path.join(this.root, name);
  }
  hold(pid: number, percent: number) {
    mkdirSync(this.dir, { recursive: true });
    const period = 100_000;
    const quota = Math.round((period * percent) / 100);
    if (this.v2) writeFileSync(path.join(this.dir, 'cpu.max'), `${quota} ${period}`);
    else {
      writeFileSync(path.join(this.dir, 'cpu.cfs_period_us'), String(period));
      writeFileSync(path.join(this.dir, 'cpu.cfs_quota_us'), String(quota));
    }
    writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
  }
  /** Move every process back to the root group and remove ours. */
  release() {
    if (!existsSync(this.dir)) return;
    const pids = readFileSync(path.join(this.dir, 'cgroup.procs'), 'utf8').split('\n');
    for (const p of pids.filter(Boolean)) {
      try {
        writeFileSync(path.join(this.root, 'cgroup.procs'), p);
      } catch {
        /* gone meanwhile */
      }
    }
    rmdirSync(this.dir);
  }
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

export class Faults {
  /** undo actions of faults in progress */
  private readonly undo = new Map<string, () => Promise<unknown> | unknown>();
  readonly cpu: CpuLimit;

  constructor(
    private readonly lab: Lab,
    private readonly sup: Supervisor,
    private readonly ctl: FaultCtl,
    readonly rsHoldMs: number,
    cgroupName: string,
  ) {
    this.cpu = new CpuLimit(cgroupName);
  }

  private sh = (host: string, script: string) => this.lab.exec(host, ['sh', '-c', script]);

  /** Hold a fault for `ms` with its undo registered; returns when undone, with the moment. */
  private async hold(key: string, ms: number, undo: () => Promise<unknown> | unknown) {
    this.undo.set(key, undo);
    await sleep(ms);
    this.undo.delete(key);
    await undo();
    return Date.now();
  }

  /** Inject one fault; resolves with the heal time and anything the fault itself found wrong. */
  async inject(f: Fault): Promise<{ heal: number; violations: Violation[] }> {
    const t = f.target;
    const none: Violation[] = [];
    switch (f.cls) {
      case 'kill': {
        this.sup.markKilled(t);
        await this.sh(t, this.ctl.crash);
        await sleep(f.holdMs);
        await this.sup.restart(t);
        return { heal: Date.now(), violations: none };
      }
      case 'stop': {
        const pid = this.sup.pidOf(t)!;
        signal(pid, 'SIGSTOP');
        return {
          heal: await this.hold('stop', f.holdMs, () => signal(pid, 'SIGCONT')),
          violations: none,
        };
      }
      case 'flap': {
        await this.sh(t, `ip link set ${this.ctl.iface} down`);
        const heal = await this.hold('flap', f.holdMs, () =>
          this.sh(t, `ip link set ${this.ctl.iface} up`),
        );
        return { heal, violations: none };
      }
      case 'partition-lan0':
      case 'partition-lan1': {
        await this.lab.cut('d1', 'd2', f.cls === 'partition-lan0' ? 0 : 1);
        return { heal: await this.hold('cut', f.holdMs, () => this.lab.heal()), violations: none };
      }
      case 'cpu': {
        this.cpu.hold(this.sup.pidOf(t)!, 5);
        return {
          heal: await this.hold('cpu', f.holdMs, () => this.cpu.release()),
          violations: none,
        };
      }
      case 'rs-death': {
        await this.lab.httpService(t, false);
        const heal = await this.hold('rs', f.holdMs, () => this.lab.httpService(t, true));
        return { heal, violations: none };
      }
      case 'hup-storm': {
        const pid = this.sup.pidOf(t)!;
        for (let i = 0; i < Math.round(f.holdMs / 100); i++) {
          signal(pid, 'SIGHUP');
          await sleep(100);
        }
        return { heal: Date.now(), violations: none };
      }
      case 'bad-reload':
        return this.badReload(f);
    }
  }

  /** An invalid config and SIGHUP: the daemon keeps running with its old one, counts no reload. */
  private async badReload(f: Fault): Promise<{ heal: number; violations: Violation[] }> {
    const t = f.target;
    const c = this.ctl.config;
    const reloads = async () => {
      const out = (await this.sh(t, this.ctl.status)).stdout;
      try {
        return (JSON.parse(out) as { reloads?: number }).reloads;
      } catch {
        return undefined; // judged below: a daemon that does not answer has not rejected anything
      }
    };
    const before = await reloads();
    const pid = this.sup.pidOf(t)!;
    const restore = () => this.sh(t, `[ -f ${c}.soak ] && mv ${c}.soak ${c}; true`);
    await this.sh(t, `cp -p ${c} ${c}.soak && sed -i 's/priority [0-9]*/priority 999/' ${c}`);
    signal(pid, 'SIGHUP');
    const heal = await this.hold('reload', f.holdMs, restore);
    const after = await reloads();
    const log = (await this.sh(t, `tail -n 50 ${this.ctl.log}`)).stdout;
    const violations: Violation[] = [];
    const v = (detail: string) =>
      violations.push({
        invariant: 'reload',
        at: heal,
        fault: f.index,
        detail: `fault #${f.index} ${t}: ${detail}`,
      });
    if (before === undefined || after !== before)
      v(`the reload count went from ${before} to ${after}: the invalid config was not rejected`);
    if (!/reload: new configuration invalid/.test(log)) v('no rejection in the daemon log');
    return { heal, violations };
  }

  /** Undo whatever is in progress: SIGCONT, links up, cuts healed, CPU released, servers back, config restored. */
  async cleanup() {
    for (const [k, u] of [...this.undo]) {
      this.undo.delete(k);
      try {
        await u();
      } catch {
        /* best effort: lab down removes the rest */
      }
    }
    try {
      this.cpu.release();
    } catch {
      /* nothing held */
    }
  }
}
