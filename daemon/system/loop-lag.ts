// Event-loop delay, sampled only while someone is looking. A histogram at
// 10 ms resolution wakes the loop 100 times a second; an idle daemon that
// nobody asks about should not pay for that. The first read starts sampling
// (and has nothing to report yet); sampling stops once no read has come for
// `windowMs`, so a metrics scraper keeps it on and a quiet daemon sleeps.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LagReading {
  p99Ms: number;
  maxMs: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

export class LoopLag {
  private histogram?: IntervalHistogram;
  private lastRead = 0;
  private off?: NodeJS.Timeout;

  constructor(
    private readonly windowMs = 120_000,
    private readonly resolutionMs = 10,
  ) {}

  /** The delay since sampling started, or undefined on the read that starts it. */
  read(): LagReading | undefined {
    this.lastRead = performance.now();
    if (!this.histogram) {
      this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs });
      this.histogram.enable();
      this.scheduleOff(this.windowMs);
      return undefined;
    }
    return {
      p99Ms: round(this.histogram.percentile(99) / 1e6),
      maxMs: round(this.histogram.max / 1e6),
    };
  }

  get sampling() {
    return this.histogram !== undefined;
  }

  private scheduleOff(inMs: number) {
    this.off = setTimeout(() => {
      const quiet = performance.now() - this.lastRead;
      if (quiet < this.windowMs) return this.scheduleOff(this.windowMs - quiet);
      this.stop();
    }, inMs);
    this.off.unref();
  }

  stop() {
    clearTimeout(this.off);
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
