// A simulated director pair, pool and client for the verifier's unit tests:
// a fake clock (sleep advances simulated time and fires what was scheduled)
// and a Remote that answers the verifier's commands from the simulated state.
import type { Clock } from '../../../verify/verify';
import type { Remote, RunResult, Stream } from '../../../verify/remote';

export interface Behaviour {
  /** ms from SIGTERM of the master to the VIP on the backup */
  cleanMoveMs: number;
  /** ms from a restart of the master to the VIP back on it */
  preemptMs: number;
  /** ms from a real server failing to its removal from the dataplane */
  rsRemoveMs: number;
  rsReturnMs: number;
  arpIgnore: Record<string, number>;
  vrid: Record<string, number>;
  /** each host's clock minus the verifier's (ms); hosts' clocks differ in real deployments */
  clockOffsetMs?: Record<string, number>;
  /** ms from a restart of the master to its first VRRP state (start-up) */
  startupMs?: number;
  /** the balancer never sends a client to the first real server (nothing reaches it) */
  firstServerUnused?: boolean;
}

/** A clock on simulated time: a wait moves `sim`'s time to its deadline (firing what is due). */
export function simulatedClock(sim: { now: number; advance(ms: number): void }): Clock {
  return {
    now: () => sim.now,
    at: (ms, fn) => {
      sim.advance(Math.max(0, ms - sim.now));
      queueMicrotask(fn);
      return { cancel: () => {} };
    },
  };
}

/** Timers on simulated time: the fakes' `at` and the firing of what is due at a millisecond. */
export class SimTimers {
  private list: { at: number; fn: () => void }[] = [];
  add(at: number, fn: () => void) {
    this.list.push({ at, fn });
  }
  /** Move `sim`'s time forward 1 ms at a time: what is due fires, then `each`. */
  advance(sim: { now: number }, ms: number, each: () => void) {
    const end = sim.now + ms;
    while (sim.now < end) {
      sim.now++;
      for (const t of this.list.filter((x) => x.at <= sim.now)) {
        this.list.splice(this.list.indexOf(t), 1);
        t.fn();
      }
      each();
    }
  }
}

export class FakeCluster implements Remote {
  now = 1_000_000;
  private readonly timers = new SimTimers();
  holders = new Set<string>();
  running = new Set<string>();
  rsFailed = new Set<string>();
  rsInService = new Set<string>();
  private vipListeners = new Map<string, (line: string) => void>();
  private probes: {
    onLine: (l: string) => void;
    next: number;
    start: number;
    stopped: boolean;
    count: number;
    sent: number;
    interval: number;
  }[] = [];
  private rr = 0;
  readonly commands: string[] = [];
  /** each director's daemon event backlog (JSON lines, its clock) */
  private events = new Map<string, string[]>();
  /** connections the failed server's reject rule counted */
  private rejected = new Map<string, number>();

  constructor(
    readonly b: Behaviour,
    readonly vip = '198.51.100.10',
    readonly master = 'd1',
    readonly backup = 'd2',
    readonly realServers = ['rs1', 'rs2'],
  ) {
    this.holders.add(master);
    this.running.add(master).add(backup);
    for (const r of realServers) this.rsInService.add(r);
  }

  /** the verifier only waits (sleeps): a wait moves simulated time to its deadline */
  clock: Clock = simulatedClock(this);

  /** a host's own clock */
  hostNow(host: string) {
    return this.now + (this.b.clockOffsetMs?.[host] ?? 0);
  }

  private emit(host: string, e: object) {
    const l = this.events.get(host) ?? [];
    l.push(JSON.stringify({ ...e, wallTime: this.hostNow(host) }));
    this.events.set(host, l);
  }

  at(delay: number, fn: () => void) {
    this.timers.add(this.now + delay, fn);
  }

  /** Move time forward 1 ms at a time, firing timers and probe attempts. */
  advance(ms: number) {
    this.timers.advance(this, ms, () => {
      for (const p of this.probes) {
        if (p.stopped || this.now < p.next || (p.count && p.sent >= p.count)) continue;
        p.sent++;
        p.next += p.interval;
        p.onLine(`${this.hostNow('cl')} ${this.serves() ? 1 : 0}`);
      }
    });
  }

  /** a new connection succeeds when one director holds the VIP and the chosen real server is healthy */
  private serves(): boolean {
    if (this.holders.size !== 1) return false;
    const pool = this.realServers.filter(
      (r, i) => this.rsInService.has(r) && !(i === 0 && this.b.firstServerUnused),
    );
    if (!pool.length) return false;
    const rs = pool[this.rr++ % pool.length];
    if (this.rsFailed.has(rs)) this.rejected.set(rs, (this.rejected.get(rs) ?? 0) + 1);
    return !this.rsFailed.has(rs);
  }

  private setVip(host: string, on: boolean) {
    if (on === this.holders.has(host)) return;
    if (on) this.holders.add(host);
    else this.holders.delete(host);
    const ts = new Date(this.hostNow(host)).toISOString().replace('Z', '000');
    this.vipListeners.get(host)?.(
      `[${ts}] ${on ? '' : 'Deleted '}2: lan0    inet ${this.vip}/24 scope global lan0`,
    );
  }

  async run(host: string, cmd: string, stdin?: string): Promise<RunResult> {
    // `date +%s%N` before a command (or after nft -f): the host's clock, in ns
    const ns = `${BigInt(Math.round(this.hostNow(host) * 1000)) * 1000n}\n`;
    if (cmd === 'date +%s%N') return { code: 0, stdout: ns, stderr: '' };
    if (cmd.startsWith('date +%s%N; ')) {
      const r = await this.run(host, cmd.slice('date +%s%N; '.length), stdin);
      return { ...r, stdout: ns + r.stdout };
    }
    if (cmd.endsWith(' && date +%s%N')) {
      const r = await this.run(host, cmd.slice(0, -' && date +%s%N'.length), stdin);
      return { ...r, stdout: r.stdout + ns };
    }
    this.commands.push(`${host}: ${cmd}`);
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
    if (cmd.includes(' events --control')) return ok((this.events.get(host) ?? []).join('\n'));
    if (cmd === 'ip -o -4 addr show')
      return ok(this.holders.has(host) ? `2: lan0    inet ${this.vip}/24 scope global lan0\n` : '');
    if (cmd.startsWith('[ -f '))
      return { code: this.running.has(host) ? 0 : 1, stdout: '', stderr: '' };
    if (cmd.includes(' status --json')) {
      return ok(
        JSON.stringify({
          instances: [{ name: 'VI_1', state: this.holders.has(host) ? 'MASTER' : 'BACKUP' }],
          virtualServers: [
            {
              servers: this.realServers.map((r, i) => ({
                address: `198.51.100.2${i + 1}`,
                inService: this.rsInService.has(r),
              })),
            },
          ],
        }),
      );
    }
    if (cmd.startsWith('cat ') && cmd.includes('keepalived.conf'))
      return ok(`virtual_router_id ${this.b.vrid[host]}\n`);
    if (cmd.includes('send_redirects')) return ok('0\n0\n');
    if (cmd.includes('arp_ignore')) return ok(`${this.b.arpIgnore[host] ?? 1}\n0\n2\n0\n`);
    if (cmd.startsWith('cat /sys/class/net/'))
      return ok(`02:00:00:00:00:${host.slice(-1).padStart(2, '0')}\n`);
    if (cmd.startsWith('ip -o route get')) return ok(`${this.vip} dev eth0 src 198.51.100.100\n`);
    if (cmd.startsWith('arping')) {
      const macs = [
        '02:00:00:00:00:a1',
        ...this.realServers
          .filter((r) => (this.b.arpIgnore[r] ?? 1) === 0)
          .map((r) => `02:00:00:00:00:${r.slice(-1).padStart(2, '0')}`),
      ];
      return ok(
        macs.map((m) => `Unicast reply from ${this.vip} [${m.toUpperCase()}]  0.5ms`).join('\n'),
      );
    }
    if (cmd.startsWith('kill -TERM')) {
      this.running.delete(host);
      this.at(5, () => this.setVip(host, false));
      this.at(this.b.cleanMoveMs, () => this.setVip(this.backup, true));
      return ok();
    }
    if (cmd.startsWith('setsid node')) {
      this.running.add(host);
      this.events.set(host, []);
      this.at(this.b.startupMs ?? 300, () =>
        this.emit(host, { kind: 'instance', from: 'INIT', to: 'BACKUP' }),
      );
      this.at(this.b.preemptMs, () => {
        this.setVip(host, true);
        this.setVip(this.backup, false);
      });
      return ok();
    }
    if (cmd === 'nft -f -' && stdin?.includes('reject')) {
      this.rsFailed.add(host);
      this.at(this.b.rsRemoveMs, () => {
        this.rsInService.delete(host);
        this.emit(this.master, { kind: 'real_server', realServer: this.rsId(host), up: false });
      });
      return ok();
    }
    if (cmd.startsWith('nft delete table')) {
      if (this.rsFailed.delete(host))
        this.at(this.b.rsReturnMs, () => {
          this.rsInService.add(host);
          this.emit(this.master, { kind: 'real_server', realServer: this.rsId(host), up: true });
        });
      return ok();
    }
    if (cmd.startsWith('nft list table'))
      return ok(
        `counter packets ${this.rsFailed.has(host) ? (this.rejected.get(host) ?? 0) : 4} bytes 240\n`,
      );
    return ok();
  }

  async stream(host: string, cmd: string, onLine: (line: string) => void): Promise<Stream> {
    if (cmd.includes('monitor address')) {
      this.vipListeners.set(host, onLine);
      return { end: async () => void this.vipListeners.delete(host) };
    }
    const args = cmd.split(' ').slice(-6).map(Number); // vip port interval timeout maxSeconds count
    const p = {
      onLine,
      next: this.now + 1,
      start: this.now,
      stopped: false,
      count: args[5],
      sent: 0,
      interval: args[2],
    };
    this.probes.push(p);
    queueMicrotask(() => onLine('R'));
    return { end: async () => void (p.stopped = true) };
  }

  private rsId(host: string) {
    return `198.51.100.2${this.realServers.indexOf(host) + 1}:80`;
  }

  async close() {}
}
