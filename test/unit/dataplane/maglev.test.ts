import { strict as assert } from 'node:assert';
import { isPrime, maglevTable, tableSize } from '../../../daemon/dataplane/maglev';

const count = (t: number[], n: number) =>
  Array.from({ length: n }, (_, i) => t.filter((x) => x === i).length);

describe('Maglev table', () => {
  it('has a prime size of about 40 slots per backend', () => {
    assert.equal(tableSize(2), 251);
    assert.ok(isPrime(tableSize(37)) && tableSize(37) >= 1480 && tableSize(37) < 1500);
    assert.equal(tableSize(5000), 65521);
    assert.equal(tableSize(1), 251);
  });

  it('fills every slot and shares slots evenly between equal backends', () => {
    const b = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'].map((id) => ({ id, weight: 1 }));
    const t = maglevTable(b, 1021);
    assert.ok(t.every((x) => x >= 0));
    for (const c of count(t, 3)) assert.ok(Math.abs(c - 1021 / 3) <= 2, `share ${c}`);
  });

  it('shares slots in proportion to weight', () => {
    const t = maglevTable(
      [
        { id: 'a', weight: 3 },
        { id: 'b', weight: 1 },
      ],
      1021,
    );
    const [a, b] = count(t, 2);
    assert.ok(Math.abs(a / (a + b) - 0.75) < 0.01, `a share ${a / (a + b)}`);
  });

  it('is the same on every director (deterministic, independent of list order)', () => {
    const x = maglevTable(
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 1 },
      ],
      251,
    ).map((i) => ['a', 'b'][i]);
    const y = maglevTable(
      [
        { id: 'b', weight: 1 },
        { id: 'a', weight: 1 },
      ],
      251,
    ).map((i) => ['b', 'a'][i]);
    assert.deepEqual(x, y);
  });

  it('removing one backend moves (almost) only its slots', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:80`);
    const m = 1021;
    const before = maglevTable(
      ids.map((id) => ({ id, weight: 1 })),
      m,
    ).map((i) => ids[i]);
    const rest = ids.filter((id) => id !== ids[3]);
    const after = maglevTable(
      rest.map((id) => ({ id, weight: 1 })),
      m,
    ).map((i) => rest[i]);
    const moved = before.filter((id, slot) => id !== ids[3] && after[slot] !== id).length;
    assert.ok(moved / m < 0.03, `${moved} slots of surviving backends moved`);
    assert.ok(after.every((id) => id !== ids[3]));
  });

  it('gives all -1 when no backend has weight (inhibited)', () => {
    assert.ok(maglevTable([{ id: 'a', weight: 0 }], 251).every((x) => x === -1));
  });
});
