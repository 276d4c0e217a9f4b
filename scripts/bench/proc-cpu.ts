// CPU and memory of a process tree, read from /proc: every thread of the
// process and of its descendants (keepalived forks its VRRP child; Node runs
// worker threads). schedstat gives nanoseconds on the CPU.
import { readdirSync, readFileSync } from 'node:fs';

/** pid and every descendant (keepalived forks its VRRP child) */
export function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** CPU nanoseconds of every thread of these processes */
export function cpuNs(pids: number[]): number {
  let ns = 0;
  for (const p of pids)
    for (const t of readdirSync(`/proc/${p}/task`))
      ns += Number(readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
  return ns;
}

export const rssKb = (pids: number[]) =>
  pids.reduce(
    (sum, p) => sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]),
    0,
  );
