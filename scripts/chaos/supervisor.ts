// The lab has no systemd: this plays its part for the directors' daemons.
// It knows each daemon's pid (from its pidfile), notices every exit (every
// 100 ms, from /proc: the lab has no pid namespaces), tells a kill it was
// asked for from one it was not, restarts a daemon the way the suite starts
// it (daemonControl().start), and samples RSS and open fds.
import { readdirSync, readFileSync } from 'node:fs';
import type { Lab } from '../lab/lab';
import { isAlive, sleep, waitFor } from '../lab/sys';
import type { Lifetime, ResourceSample } from './invariants';

export interface DaemonCtl {
  pidfile: string;
  start: string;
  /** where `start` sends the daemon's output */
  log: string;
}

/** VmRSS (kB) and open fds of a process, or undefined when it is gone. */
export function procUsage(pid: number): { rssKb: number; fds: number } | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { rssKb: m ? Number(m[1]) : 0, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

export class Supervisor {
  readonly lives: Lifetime[] = [];
  readonly usage: ResourceSample[] = [];
  private readonly current = new Map<string, Lifetime>();
  private timer?: NodeJS.Timeout;
  private usageTimer?: NodeJS.Timeout;
  private readonly restarting = new Set<string>();

  constructor(
    private readonly lab: Lab,
    private readonly ctl: DaemonCtl,
    private readonly hosts: string[],
    private readonly log: (s: string) => void,
  ) {}

  pidOf = (host: string) => this.current.get(host)?.pid;

  private async readPid(host: string): Promise<number | undefined> {
    const r = await this.lab.exec(host, ['cat', this.ctl.pidfile]);
    const pid = Number(r.stdout.trim());
    return r.code === 0 && pid > 0 && isAlive(pid) ? pid : undefined;
  }

  /** Wait for the daemon on `host` (a pid other than `not`) and record its life. */
  async adopt(host: string, not?: number): Promise<Lifetime> {
    let pid: number | undefined;
    await waitFor(
      `the daemon on ${host}`,
      async () => ((pid = await this.readPid(host)) ?? not) !== not,
      15_000,
      50,
    );
    const life: Lifetime = { host, pid: pid!, start: Date.now(), killed: false };
    this.lives.push(life);
    this.current.set(host, life);
    return life;
  }

  async start() {
    for (const h of this.hosts) await this.adopt(h);
    this.timer = setInterval(() => this.watch(), 100);
    this.usageTimer = setInterval(() => this.sample(), 5_000);
  }

  private watch() {
    for (const [host, life] of this.current) {
      if (life.end !== undefined || isAlive(life.pid)) continue;
      life.end = Date.now();
      if (life.killed || this.restarting.has(host)) continue;
      this.log(`${host}: daemon pid ${life.pid} exited unexpectedly; restarting it`);
      this.restarting.add(host);
      void this.lab
        .exec(host, ['tail', '-n', '30', this.ctl.log])
        .then((r) => this.log(`${host}: the end of its log:\n${r.stdout}`))
        .then(() => this.restart(host))
        .catch((e) => this.log(`${host}: restart failed: ${e}`));
    }
  }

  private sample() {
    for (const [host, life] of this.current) {
      const u = life.end === undefined ? procUsage(life.pid) : undefined;
      if (u) this.usage.push({ t: Date.now(), host, pid: life.pid, ...u });
    }
  }

  /** Mark the running daemon as killed on purpose (before the kill is sent); its pid. */
  markKilled(host: string): number {
    const life = this.current.get(host);
    if (!life) throw new Error(`soak: no daemon known on ${host}`);
    life.killed = true;
    return life.pid;
  }

  /** Start the daemon again as the suite does, once the old one is gone; resolves when it runs. */
  async restart(host: string): Promise<Lifetime> {
    const old = this.current.get(host);
    this.restarting.add(host);
    try {
      if (old) await waitFor(`pid ${old.pid} on ${host} to go`, () => !isAlive(old.pid), 5_000);
      if (old && old.end === undefined) old.end = Date.now();
      const r = await this.lab.exec(host, ['sh', '-c', this.ctl.start]);
      if (r.code !== 0) throw new Error(`${host}: start failed: ${r.stderr.trim()}`);
      return await this.adopt(host, old?.pid);
    } finally {
      this.restarting.delete(host);
    }
  }

  allAlive(): boolean {
    return this.hosts.every((h) => {
      const l = this.current.get(h);
      return !!l && l.end === undefined && isAlive(l.pid);
    });
  }

  stop() {
    clearInterval(this.timer);
    clearInterval(this.usageTimer);
  }

  /** Give the watcher a moment to see exits that just happened. */
  settle = () => sleep(150);
}
