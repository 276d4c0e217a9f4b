// Dataplane applies, serialised and coalesced: while an apply runs, further
// changes only mark the state dirty, and one apply of the latest state
// follows. A burst of 50 failures costs two applies, not fifty.
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';
import type { Service } from '../dataplane/types';
import type { CheckStats } from './status';

export class ApplyQueue {
  private dirty = false;
  private inFlight?: Promise<void>;
  /** the state last programmed into the dataplane ("in service" means in here) */
  applied: Service[] = [];

  constructor(
    private readonly desired: () => Service[],
    private readonly apply: (services: Service[]) => Promise<void>,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly stats: CheckStats,
  ) {}

  push(): Promise<void> {
    this.dirty = true;
    if (!this.inFlight) {
      this.inFlight = (async () => {
        while (this.dirty) {
          this.dirty = false;
          const services = this.desired();
          const t0 = this.clock.now();
          try {
            await this.apply(services);
            this.stats.applies++;
            this.applied = services;
          } catch (e) {
            this.stats.applyErrors++;
            this.log('error', `dataplane: ${(e as Error).message}`);
          }
          this.stats.lastApplyMs = Math.round(this.clock.now() - t0);
          this.stats.maxApplyMs = Math.max(this.stats.maxApplyMs, this.stats.lastApplyMs);
        }
        this.inFlight = undefined;
      })();
    }
    return this.inFlight;
  }
}
