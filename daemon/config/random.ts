// ${_RANDOM [MIN [MAX]]}: keepalived's values come from glibc's random()
// seeded with srandom(random_seed) (else the time). This is that generator
// (glibc's TYPE_3 additive feedback generator), so a config with
// random_seed gives the same values as keepalived gives for it. Pure.

export class GlibcRandom {
  private readonly state = new Int32Array(31);
  private f = 3;
  private r = 0;

  constructor(seed: number) {
    let s = seed >>> 0;
    if (s === 0) s = 1; // glibc: a zero seed would make every value zero
    this.state[0] = s | 0;
    let word = s;
    for (let i = 1; i < 31; i++) {
      // 16807 * word % (2^31 - 1) without overflow (Schrage's method, as glibc)
      const hi = Math.trunc(word / 127773);
      const lo = word % 127773;
      word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      this.state[i] = word;
    }
    for (let i = 0; i < 310; i++) this.next();
  }

  /** the next value of random(): 0 .. 2^31-1 */
  next(): number {
    const st = this.state;
    st[this.f] = (st[this.f] + st[this.r]) | 0;
    const out = (st[this.f] >>> 0) >>> 1;
    this.f = (this.f + 1) % 31;
    this.r = (this.r + 1) % 31;
    return out;
  }

  /**
   * keepalived's get_random: random() % (MAX - MIN + 1) + MIN, defaults 0 and
   * 32767, written with at most as many digits as MAX has.
   */
  value(min = 0, max = 32767): string {
    const v = (this.next() % (max - min + 1)) + min;
    return String(v).slice(0, String(max).length);
  }
}
