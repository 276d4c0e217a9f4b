// The soak's observers, each a long-running process inside a lab host that
// reports lines with timestamps taken there: VIP holder samples on each
// director (every ~100 ms), the client probe through the VIP (the verifier's
// agent), and each director's event stream (reconnecting after a kill).
import { spawn, type ChildProcess } from 'node:child_process';
import { parseProbeLine, probeCommand } from '../../verify/probe';
import type { ProbeSample } from '../../verify/timeline';
import type { Lab } from '../lab/lab';
import { isAlive, sleep } from '../lab/sys';
import type { EventSample, HolderSample } from './invariants';

/** A process in a lab host whose stdout is handed over line by line. */
export async function streamInHost(
  lab: Lab,
  host: string,
  script: string,
  onLine: (l: string) => void,
): Promise<ChildProcess> {
  const [bin, ...args] = await lab.hostArgv(host, ['sh', '-c', script]);
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.on('error', () => {});
  return child;
}

/** Every ~100 ms on a director: does lan0 (up) carry the VIP? "<epoch ms> <0|1>" */
export function holderScript(vip: string, iface: string) {
  const re = ` ${vip.replace(/\./g, '\\.')}/`;
  return `while :; do if ip -o -4 addr show dev ${iface} up | grep -q '${re}'; then h=1; else h=0; fi; echo "$(date +%s%3N) $h"; sleep 0.1; done`;
}

export function parseHolderLine(host: string, line: string): HolderSample | undefined {
  const m = /^(\d+) ([01])$/.exec(line.trim());
  return m ? { t: Number(m[1]), host, holds: m[2] === '1' } : undefined;
}

export class Observers {
  readonly holders: HolderSample[] = [];
  readonly probes: ProbeSample[] = [];
  readonly events: EventSample[] = [];
  private readonly children: ChildProcess[] = [];
  private stopped = false;
  private followers: Promise<void>[] = [];

  constructor(
    private readonly lab: Lab,
    private readonly o: {
      vip: string;
      iface: string;
      port: number;
      directors: string[];
      probeHost: string;
      maxSeconds: number;
      /** the shell command that prints the daemon's events (daemonControl().events) */
      eventsCmd: string;
      /** the daemon's current pid on a host, if one is running */
      pidOf: (host: string) => number | undefined;
    },
  ) {}

  async start() {
    for (const d of this.o.directors)
      this.children.push(
        await streamInHost(this.lab, d, holderScript(this.o.vip, this.o.iface), (l) => {
          const s = parseHolderLine(d, l);
          if (s) this.holders.push(s);
        }),
      );
    // a new connection every 50 ms; 300 ms is far beyond any lab round trip
    const probe = probeCommand({
      vip: this.o.vip,
      port: this.o.port,
      intervalMs: 50,
      timeoutMs: 300,
      maxSeconds: this.o.maxSeconds,
    });
    let ready = false;
    this.children.push(
      await streamInHost(this.lab, this.o.probeHost, probe, (l) => {
        if (l === 'R') ready = true;
        const s = parseProbeLine(l);
        if (s) this.probes.push(s);
      }),
    );
    for (const d of this.o.directors) this.followers.push(this.follow(d));
    for (let i = 0; i < 100 && !(ready && this.o.directors.every((d) => this.latest(d))); i++)
      await sleep(50);
    if (!ready) throw new Error('soak: the client probe did not start');
  }

  /** The latest holder sample of a director. */
  latest(host: string): HolderSample | undefined {
    for (let i = this.holders.length - 1; i >= 0; i--)
      if (this.holders[i].host === host) return this.holders[i];
    return undefined;
  }

  /** `events --follow` on a director, again after every end (a kill), tagged with the daemon's pid. */
  private async follow(host: string) {
    let lastPid = 0;
    let lastSeq = 0;
    while (!this.stopped) {
      const pid = this.o.pidOf(host);
      if (!pid || !isAlive(pid)) {
        await sleep(100);
        continue;
      }
      if (pid !== lastPid) lastSeq = 0;
      lastPid = pid;
      const child = await streamInHost(
        this.lab,
        host,
        `exec ${this.o.eventsCmd} --follow --since ${lastSeq}`,
        (l) => {
          try {
            const e = JSON.parse(l) as { seq: number; wallTime: number };
            this.events.push({ host, pid, seq: e.seq, wallTime: e.wallTime });
            lastSeq = e.seq;
          } catch {
            /* not an event line */
          }
        },
      );
      this.children.push(child);
      await new Promise((r) => child.once('exit', r));
      this.children.splice(this.children.indexOf(child), 1);
      await sleep(100);
    }
  }

  async stop() {
    this.stopped = true;
    for (const c of this.children) {
      c.stdin?.end();
      c.kill('SIGTERM');
    }
    await Promise.race([Promise.all(this.followers), sleep(3000)]);
  }
}
