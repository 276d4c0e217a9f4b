// A simulated active-active cluster for the verifier's unit tests: three
// directors behind a router whose VIP route lists the directors that announce
// it and are alive (as seen after its detection time), a client whose new
// connections go to the route's next hops in turn, and a fake clock.
import type { Clock } from '../../../verify/verify';
import type { Remote, RunResult, Stream } from '../../../verify/remote';
import { SimTimers, simulatedClock } from './fake-cluster';

export interface AaBehaviour {
  /** ms from a director going silent to the router dropping it (BFD detection, or the hold time) */
  routerDropMs: number;
  /** ms from a silent director's revival to its path back in the route */
  returnMs: number;
  /** ms from `drain` to BIRD withdrawing (the daemon's round) */
  withdrawMs: number;
  /** ms from `undrain` to the announcement (announce_after + a round) */
  announceMs: number;
  /** ms from a director's withdrawal or announcement to the router's route change */
  propagateMs: number;
  /** a drained director stops forwarding at once (a broken drain: flows still routed to it fail) */
  drainStopsForwarding?: boolean;
}

const ADDR: Record<string, string> = {
  d1: '198.51.100.11',
  d2: '198.51.100.12',
  d3: '198.51.100.13',
};

export class FakeAaCluster implements Remote {
  now = 2_000_000;
  private readonly timers = new SimTimers();
  /** directors in the router's route, in order */
  route = ['d1', 'd2', 'd3'];
  silent = new Set<string>();
  drained = new Set<string>();
  private routeListener?: (l: string) => void;
  private probe?: { onLine: (l: string) => void; next: number; interval: number; stopped: boolean };
  private events = new Map<string, string[]>();
  private rr = 0;

  constructor(readonly b: AaBehaviour) {}

  clock: Clock = simulatedClock(this);

  private at(delay: number, fn: () => void) {
    this.timers.add(this.now + delay, fn);
  }

  advance(ms: number) {
    this.timers.advance(this, ms, () => {
      const p = this.probe;
      if (p && !p.stopped && this.now >= p.next) {
        p.next += p.interval;
        p.onLine(`${this.now} ${this.serves() ? 1 : 0}`);
      }
    });
  }

  /** a new connection works unless the router sends it to a silent (or stopped) director */
  private serves() {
    if (!this.route.length) return false;
    const d = this.route[this.rr++ % this.route.length];
    return !this.silent.has(d) && !(this.b.drainStopsForwarding && this.drained.has(d));
  }

  private setRoute(d: string, on: boolean) {
    if (on === this.route.includes(d)) return;
    this.route = on ? [...this.route, d].sort() : this.route.filter((x) => x !== d);
    const ts = new Date(this.now).toISOString().replace('Z', '000');
    const hops = this.route.map((x) => `\\\tnexthop via ${ADDR[x]} dev lan0 weight 1 `).join('');
    this.routeListener?.(
      this.route.length
        ? `[${ts}] 198.51.100.10 proto bird metric 32 ${hops}`
        : `[${ts}] Deleted 198.51.100.10 via ${ADDR[d]} dev lan0 proto bird metric 32`,
    );
  }

  private emit(host: string, e: object) {
    const l = this.events.get(host) ?? [];
    l.push(JSON.stringify({ ...e, wallTime: this.now }));
    this.events.set(host, l);
  }

  private revive(host: string) {
    if (!this.silent.delete(host)) return;
    this.at(this.b.returnMs, () => this.setRoute(host, true));
  }

  async run(host: string, cmd: string): Promise<RunResult> {
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
    const ns = `${BigInt(this.now) * 1_000_000n}\n`;
    if (cmd === 'date +%s%N') return ok(ns);
    if (cmd.startsWith('date +%s%N; ')) {
      const r = await this.run(host, cmd.slice('date +%s%N; '.length));
      return { ...r, stdout: ns + r.stdout };
    }
    if (cmd.startsWith('ip -o -4 route show'))
      return ok(
        `198.51.100.10 proto bird metric 32 ${this.route.map((x) => `\\\tnexthop via ${ADDR[x]} dev lan0 weight 1 `).join('')}\n`,
      );
    if (cmd.includes('keepalive_verify_kill') && cmd.includes('nft -f -')) {
      this.silent.add(host);
      this.at(this.b.routerDropMs, () => this.silent.has(host) && this.setRoute(host, false));
      const s = Number(/sleep (\d+)/.exec(cmd)![1]);
      this.at(s * 1000, () => this.revive(host));
      return ok();
    }
    if (cmd.startsWith('nft delete table netdev keepalive_verify_kill')) {
      this.revive(host);
      return ok();
    }
    if (cmd.includes(' undrain ')) {
      if (!this.drained.delete(host)) return ok();
      this.at(this.b.announceMs, () => {
        this.emit(host, { kind: 'bgp', announced: true, reason: 'undrained' });
        this.at(this.b.propagateMs, () => this.setRoute(host, true));
      });
      return ok();
    }
    if (cmd.includes(' drain ')) {
      this.drained.add(host);
      this.at(this.b.withdrawMs, () => {
        this.emit(host, { kind: 'bgp', announced: false, reason: 'drained' });
        this.at(this.b.propagateMs, () => this.setRoute(host, false));
      });
      return ok();
    }
    if (cmd.includes(' events --control')) return ok((this.events.get(host) ?? []).join('\n'));
    return ok();
  }

  async stream(_host: string, cmd: string, onLine: (line: string) => void): Promise<Stream> {
    if (cmd.includes('monitor route')) {
      this.routeListener = onLine;
      return { end: async () => void (this.routeListener = undefined) };
    }
    const interval = Number(cmd.split(' ').slice(-6)[2]);
    const p = { onLine, next: this.now + 1, interval, stopped: false };
    this.probe = p;
    queueMicrotask(() => onLine('R'));
    return { end: async () => void (p.stopped = true) };
  }

  async close() {}
}
