// A network namespace of a test's own with one veth (lan0, 198.51.100.1/24),
// a scratch directory, and keepalive-ts started in it. Everything goes at
// `close()`, which the test calls from its `after` hook (also on failure).
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ownNetns } from '../../scripts/lab/own-netns';

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
  const own = await ownNetns(tag);
  return {
    ...own,
    daemon(conf) {
      let out = '';
      const child = spawnDaemon(own.ns, conf, own.dir, (t) => (out += t));
      return { child, out: () => out };
    },
  };
}
