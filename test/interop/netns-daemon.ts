// A network namespace of a test's own with one veth (lan0, 198.51.100.1/24),
// a scratch directory, and keepalive-ts started in it. Everything goes at
// `close()`, which the test calls from its `after` hook (also on failure).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run } from '../../scripts/lab/sys';

const ROOT = path.resolve(__dirname, '../../..');
export const BIN = path.join(ROOT, 'bin/keepalive-ts');

/**
 * `keepalive-ts -f CONF -n -l -p DIR/kts.pid --control DIR/kts.sock` in `ns`
 * (ip netns exec execs it: the child's pid is the daemon's); `onOutput` hears
 * what it prints.
 */
export function spawnDaemon(
  ns: string,
  conf: string,
  dir: string,
  onOutput: (text: string) => void,
): ChildProcess {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      BIN,
      '-f',
      conf,
      '-n',
      '-l',
      '-p',
      path.join(dir, 'kts.pid'),
      '--control',
      path.join(dir, 'kts.sock'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => onOutput(d.toString()));
  child.stderr!.on('data', (d: Buffer) => onOutput(d.toString()));
  return child;
}

export interface TestNetns {
  ns: string;
  dir: string;
  /** start `keepalive-ts -f CONF -n -l` in the namespace; `out()` is what it printed so far */
  daemon(conf: string): { child: ChildProcess; out: () => string };
  close(): Promise<void>;
}

export async function testNetns(tag: string): Promise<TestNetns> {
  const ns = `lab-${tag}${process.pid % 100000}`;
  const dir = mkdtempSync(path.join(tmpdir(), `kts-${tag}-`));
  await must('ip', ['netns', 'add', ns]);
  await must('ip', [
    'netns',
    'exec',
    ns,
    'sh',
    '-c',
    'ip link set lo up; ip link add lan0 type veth peer name lan1; ip link set lan0 up; ip link set lan1 up; ip addr add 198.51.100.1/24 dev lan0',
  ]);
  return {
    ns,
    dir,
    daemon(conf) {
      let out = '';
      const child = spawnDaemon(ns, conf, dir, (t) => (out += t));
      return { child, out: () => out };
    },
    async close() {
      const r = await run('ip', ['netns', 'pids', ns]);
      for (const pid of r.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
      await run('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
