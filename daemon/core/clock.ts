// Time for everything that waits: one Clock interface, injected so the pure
// parts and their tests run on a fake clock. Two real clocks share the same
// timer: monotonic milliseconds (the daemon's protocol timing) and epoch
// milliseconds (the verifier, whose timelines are compared across hosts).

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** milliseconds on this clock's scale */
  now(): number;
  /** run fn once the clock reads `ms` or later */
  at(ms: number, fn: () => void): Timer;
}

/** A timer on `performance.now()` + `offset`, never firing before its deadline. */
function realAt(offset: number) {
  return (ms: number, fn: () => void): Timer => {
    // setTimeout counts whole milliseconds on the loop's cached clock and can fire a
    // fraction early; never run fn before the deadline.
    const due = ms - offset;
    let t: NodeJS.Timeout;
    const arm = () => {
      const left = due - performance.now();
      if (left <= 0) fn();
      else t = setTimeout(arm, Math.ceil(left));
    };
    t = setTimeout(arm, Math.max(0, Math.ceil(due - performance.now())));
    return { cancel: () => clearTimeout(t) };
  };
}

/** Monotonic: unaffected by wall-clock steps (NTP, date -s). */
export const realClock: Clock = { now: () => performance.now(), at: realAt(0) };

/** Epoch milliseconds at monotonic resolution (timeOrigin is fixed at start). */
export const wallClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  at: realAt(performance.timeOrigin),
};

export const sleep = (clock: Clock, ms: number): Promise<void> =>
  new Promise((resolve) => clock.at(clock.now() + ms, resolve));
