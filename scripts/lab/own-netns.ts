// A network namespace of one's own, for tests and benchmarks that need no lab:
// a veth pair lan0/lan1 inside it (both up, 198.51.100.1/24 on lan0) and a
// scratch directory. close() kills whatever runs in the namespace, then
// deletes it and the directory; callers call it from their `after`/finally.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run } from './sys';

/** lan0's address */
export const OWN_NETNS_ADDR = '198.51.100.1';

export interface OwnNetns {
  ns: string;
  dir: string;
  close(): Promise<void>;
}

export async function ownNetns(tag: string): Promise<OwnNetns> {
  const ns = `lab-${tag}${process.pid % 100000}`;
  const dir = mkdtempSync(path.join(tmpdir(), `kts-${tag}-`));
  await must('ip', ['netns', 'add', ns]);
  await must('ip', [
    'netns',
    'exec',
    ns,
    'sh',
    '-c',
    `ip link set lo up; ip link add lan0 type veth peer name lan1; ip link set lan0 up; ip link set lan1 up; ip addr add ${OWN_NETNS_ADDR}/24 dev lan0`,
  ]);
  return {
    ns,
    dir,
    async close() {
      const r = await run('ip', ['netns', 'pids', ns]);
      for (const pid of r.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
      await run('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
