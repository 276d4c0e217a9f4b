// Maglev consistent hashing (Eisenbud et al., NSDI 2016), weighted: a lookup
// table of size M (prime) filled from per-backend permutations. Pure and
// deterministic from the backend set, so both directors build the same
// table, and removing a backend only moves the slots that pointed at it
// (plus a few, bounded by the algorithm).

export interface Backend {
  id: string;
  weight: number;
}

function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}

/** A table size: the smallest prime >= 40 x backends (share error ~2.5%), between 251 and 65521. */
export function tableSize(backends: number): number {
  let m = Math.min(65521, Math.max(251, backends * 40));
  while (!isPrime(m)) m++;
  return m;
}

/** Slot -> index into `backends`; -1 slots only when no backend has weight. */
export function maglevTable(backends: readonly Backend[], m: number): number[] {
  const table = new Array<number>(m).fill(-1);
  // fill in id order, so every director gets the same table whatever order it lists servers in
  const live = backends
    .map((b, i) => ({ ...b, i }))
    .filter((b) => b.weight > 0)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (live.length === 0) return table;
  const maxW = Math.max(...live.map((b) => b.weight));
  const st = live.map((b) => ({
    i: b.i,
    offset: fnv1a(b.id, 0x9e3779b9) % m,
    skip: (fnv1a(b.id, 0x7f4a7c15) % (m - 1)) + 1,
    next: 0,
    credit: 0,
    share: b.weight / maxW,
  }));
  let filled = 0;
  while (filled < m) {
    for (const b of st) {
      b.credit += b.share;
      while (b.credit >= 1 && filled < m) {
        b.credit -= 1;
        let c: number;
        do {
          c = (b.offset + b.next * b.skip) % m;
          b.next++;
        } while (table[c] !== -1);
        table[c] = b.i;
        filled++;
      }
      if (filled >= m) break;
    }
  }
  return table;
}
