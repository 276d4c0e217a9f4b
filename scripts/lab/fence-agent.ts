// The lab's fencing device, the other end of scripts/lab/fence.sh: a director's
// fence_command drops `request-<ip>` in the fence folder, the agent takes every
// link of the host with that address down (like a PDU or an iLO would cut it
// off) and answers with `done-<ip>` holding "ok" or "failed".
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { sleep, type RunResult } from './sys';
import type { LabHost } from './topology';

export interface FenceAgent {
  dir: string;
  /** names of the hosts fenced so far */
  fenced: string[];
  stop: () => void;
}

/** Runs `cmd` inside a lab host. */
export type HostExec = (host: string, cmd: string[]) => Promise<RunResult>;

/** Serve fence requests in `dir` for `hosts` until stop(); polls every 20 ms. */
export function startFenceAgent(dir: string, hosts: LabHost[], exec: HostExec): FenceAgent {
  mkdirSync(dir, { recursive: true });
  const fenced: string[] = [];
  let running = true;
  const fence = async (ip: string): Promise<boolean> => {
    const h = hosts.find((x) => x.ifaces.some((i) => i.address === ip));
    if (!h) return false;
    const down = h.ifaces.map((i) => `ip link set ${i.name} down`).join('; ');
    const r = await exec(h.name, ['sh', '-c', down]);
    if (r.code !== 0) return false;
    fenced.push(h.name);
    return true;
  };
  const loop = async () => {
    while (running) {
      for (const f of readdirSync(dir).filter((x) => x.startsWith('request-'))) {
        const ip = f.slice('request-'.length);
        rmSync(path.join(dir, f), { force: true });
        const ok = await fence(ip);
        writeFileSync(path.join(dir, `done-${ip}`), ok ? 'ok' : 'failed');
      }
      await sleep(20);
    }
  };
  void loop();
  return { dir, fenced, stop: () => (running = false) };
}
