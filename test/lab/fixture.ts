// One lab per mocha run, brought up on first use and always torn down: by
// mocha's global teardown, and on SIGINT/SIGTERM if the run is interrupted.
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Lab } from '../../scripts/lab/lab';

let shared: Lab | undefined;
let ready: Promise<Lab> | undefined;
const extra = new Set<Lab>();

export const TEST_PREFIX = `lab-t${process.pid % 100000}`;

/** A lab of our own (own prefix and folder), torn down at the end of the run. */
export function testLab(suffix = '', opts: { realServers?: number; subnet?: string } = {}): Lab {
  const prefix = suffix ? `${TEST_PREFIX}${suffix}` : TEST_PREFIX;
  const lab = new Lab({
    prefix,
    dir: path.join(tmpdir(), `keepalive-${prefix}`),
    log: () => {},
    ...opts,
  });
  if (suffix) extra.add(lab);
  return lab;
}

/** The run's shared lab, up. Call from a `before` hook. */
export function sharedLab(): Promise<Lab> {
  if (!ready) {
    shared = testLab();
    const lab = shared;
    ready = lab.up().then(() => lab);
  }
  return ready;
}

async function teardown() {
  const all = [...extra, ...(shared ? [shared] : [])];
  await Promise.allSettled(all.map((l) => l.down()));
}

export async function mochaGlobalTeardown() {
  await teardown();
}

// Last resort: a run that dies (EPIPE on stdout, an uncaught error) still tears its labs down.
process.on('exit', () => {
  for (const l of [...extra, ...(shared ? [shared] : [])]) {
    try {
      l.downSync();
    } catch {
      /* best effort */
    }
  }
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGPIPE', 'SIGHUP'] as const) {
  process.once(sig, () => {
    void teardown().finally(() => process.exit(130));
  });
}
