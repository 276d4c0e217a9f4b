// The client probe, run on the probe host over SSH with the node found
// there: a new TCP connection to the VIP every `interval` ms, each given
// `timeout` ms, for at most `maxSeconds` or until its stdin closes. It prints
// "R" when it starts and "<epoch ms on its own clock> <1|0>" per attempt
// (the verifier maps the probe host's clock onto its own).

/** Runs on the probe host (shipped as source: it must not reference anything outside itself). */
export function probeAgent() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof import('node:net');
  const [host, port, interval, timeout, maxSeconds, count] = process.argv
    .slice(1)
    .map((a, i) => (i === 0 ? a : Number(a)));
  const t0 = performance.now();
  const lines: string[] = [];
  const flush = () => {
    if (lines.length) process.stdout.write(lines.splice(0).join('\n') + '\n');
  };
  let sent = 0;
  let pending = 0;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const wait = () => (pending ? setTimeout(wait, 5) : (flush(), process.exit(0)));
    wait();
  };
  const attempt = () => {
    const start = performance.now() - t0;
    pending++;
    const s = net.connect({ host: host as string, port: port as number });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      lines.push(`${(performance.timeOrigin + t0 + start).toFixed(1)} ${ok ? 1 : 0}`);
      pending--;
    };
    const timer = setTimeout(() => finish(false), timeout as number);
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
  };
  process.stdout.write('R\n');
  process.stdin.on('data', () => {});
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  setInterval(flush, 50);
  setTimeout(stop, (maxSeconds as number) * 1000);
  // attempts on a fixed schedule, so a slow attempt does not delay the next one
  const tick = () => {
    if (stopping) return;
    if (count && sent >= (count as number)) return stop();
    sent++;
    attempt();
    const next = t0 + sent * (interval as number) - performance.now();
    setTimeout(tick, Math.max(0, next));
  };
  tick();
}

/** The shell command that runs the agent with node on the probe host. */
export function probeCommand(o: {
  vip: string;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  maxSeconds: number;
  /** stop after this many attempts (0 = no limit) */
  count?: number;
}): string {
  const src = Buffer.from(`(${probeAgent.toString()})()`).toString('base64');
  return `node -e "eval(Buffer.from('${src}','base64').toString())" ${o.vip} ${o.port} ${o.intervalMs} ${o.timeoutMs} ${o.maxSeconds} ${o.count ?? 0}`;
}

/** An agent's line as a sample: the attempt's start on the probe host's clock (epoch ms). */
export function parseProbeLine(line: string): { t: number; ok: boolean } | undefined {
  const m = /^(\d+(?:\.\d+)?) ([01])$/.exec(line.trim());
  return m ? { t: Number(m[1]), ok: m[2] === '1' } : undefined;
}
