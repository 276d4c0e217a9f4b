// Keeping the dataplane as configured when someone changes it from outside:
// a backend that can hear changes (nftables: netlink events) reconciles
// shortly after one; every backend also has a slow safety net. Nothing runs
// while nothing changes.
import type { Log } from '../core/log';
import type { Dataplane } from './types';

/** changes come in bursts (a whole `nft -f` file): reconcile once after the burst */
const SETTLE_MS = 100;

export function keepReconciled(dp: Dataplane, log: Log): { stop(): void } {
  let running = false;
  let again = false;
  let settle: NodeJS.Timeout | undefined;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await dp.reconcile();
    } catch (e) {
      log('error', `dataplane: ${(e as Error).message}`);
    } finally {
      running = false;
      if (again) {
        again = false;
        void run();
      }
    }
  };
  const changes = dp.watchChanges?.(() => {
    clearTimeout(settle);
    settle = setTimeout(() => void run(), SETTLE_MS);
  });
  const net = setInterval(() => void run(), dp.safetyNetMs);
  return {
    stop() {
      clearTimeout(settle);
      clearInterval(net);
      changes?.close();
    },
  };
}
