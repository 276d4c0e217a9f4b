// The active-active lab the benchmarks run in: the one already up and
// deployed (npm run lab -- --mode active-active; LAB_PREFIX picks another),
// or with `own` a lab of their own (own prefix and folder), deployed by the
// direct path and torn down at the end whatever happens.
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ClusterSpec } from '../../components/spec';
import { readStackSpec } from '../../components/stack-file';
import { deployDirect } from '../lab/deploy';
import { Lab } from '../lab/lab';

export async function withAaLab<T>(
  o: { own?: boolean; stack: string; log: (m: string) => void },
  fn: (lab: Lab, spec: ClusterSpec) => Promise<T>,
): Promise<T> {
  const spec = readStackSpec(o.stack);
  if (spec.mode !== 'active-active') throw new Error(`stack ${o.stack} is not active-active`);
  if (!o.own) {
    const lab = new Lab({ mode: 'active-active', prefix: process.env.LAB_PREFIX });
    if (!(await lab.status()).up)
      throw new Error('the active-active lab is not up: npm run lab -- --mode active-active');
    return fn(lab, spec);
  }
  const prefix = `aab${process.pid % 10000}`;
  const lab = new Lab({
    prefix,
    mode: 'active-active',
    dir: path.join(tmpdir(), `keepalive-${prefix}`),
    log: () => {},
  });
  // an interrupted run (^C, timeout) still tears its lab down
  const onSignal = () => {
    lab.down();
    process.exit(130);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, onSignal);
  try {
    const up = await lab.up();
    o.log(`own lab ${prefix} up in ${up.seconds.toFixed(1)} s`);
    // the benchmark measures on its own: no verification run (it would kill and drain directors)
    await deployDirect(lab, o.log, withoutVerification(spec));
    return await fn(lab, spec);
  } finally {
    lab.down();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, onSignal);
  }
}

/** The declaration without its post-deploy verification. */
export const withoutVerification = (spec: ClusterSpec): ClusterSpec => ({
  ...spec,
  failoverCheck: { ...spec.failoverCheck, enabled: false },
});
