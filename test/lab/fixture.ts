// One lab per mocha run, brought up on first use and always torn down: by
// mocha's global teardown, and on SIGINT/SIGTERM if the run is interrupted.
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Lab } from '../../scripts/lab/lab';
import type { LabOptions } from '../../scripts/lab/topology';

let shared: Lab | undefined;
let ready: Promise<Lab> | undefined;
const extra = new Set<Lab>();

export const TEST_PREFIX = `lab-t${process.pid % 100000}`;

/** A lab of our own (own prefix and folder), torn down at the end of the run. */
export function testLab(suffix = '', opts: Partial<LabOptions> = {}): Lab {
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

/** Tear every lab of this run down (synchronous: also runs from the 'exit' handler). */
function teardown() {
  for (const l of [...extra, ...(shared ? [shared] : [])]) {
    try {
      l.down();
    } catch {
      /* best effort: the next lab down still tries */
    }
  }
}

export function mochaGlobalTeardown() {
  teardown();
}

// Last resort: a run that dies (EPIPE on stdout, an uncaught error) still tears its labs down.
process.on('exit', teardown);

// Not SIGPIPE: a listener would turn every write to a child that died (a test that kills
// one mid-input) into a signal that ends the run; Node's default makes it an EPIPE error.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    teardown();
    process.exit(130);
  });
}
