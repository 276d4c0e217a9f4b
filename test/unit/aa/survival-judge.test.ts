// The survival judge on recorded connections: what counts as broken (ended,
// answered by another real server, silent past the bound) and the stalls.
import { strict as assert } from 'node:assert';
import {
  describeSurvival,
  judgeSurvival,
  longestStall,
  type ConnRecord,
} from '../../../scripts/aa/survival-judge';

/** a connection answered every 100 ms from `start` to `until` by `server`, skipping (gapFrom, gapTo) */
function conn(
  id: number,
  server: string | ((t: number) => string),
  o: { start?: number; until?: number; gap?: [number, number]; end?: ConnRecord['end'] } = {},
): ConnRecord {
  const start = o.start ?? 0;
  const replies: number[] = [];
  for (let t = start + 5; t <= (o.end?.t ?? o.until ?? 10_000); t += 100)
    if (!o.gap || t < o.gap[0] || t > o.gap[1]) replies.push(t);
  const servers = replies.map((t) => (typeof server === 'string' ? server : server(t)));
  return { id, start, replies, servers, ...(o.end ? { end: o.end } : {}) };
}
const opts = { end: 10_000, answerBoundMs: 3000, stallThresholdMs: 250 };

describe('aa survival judge', () => {
  it('longest stall counts the start, the gaps between answers and the end of the run', () => {
    assert.equal(longestStall(0, [50, 150, 900, 1000], 1100), 750);
    assert.equal(longestStall(0, [], 500), 500);
    assert.equal(longestStall(100, [150], 2000), 1850);
  });

  it('steady connections: none broken, stall = the message interval', () => {
    const v = judgeSurvival([conn(0, 'rs1'), conn(1, 'rs2'), conn(2, 'rs1')], opts);
    assert.equal(v.broken, 0);
    assert.deepEqual(v.perServer, { rs1: 2, rs2: 1 });
    assert.ok(v.maxStallMs <= 100, String(v.maxStallMs));
    assert.equal(v.stalled, 0);
  });

  it('a stall within the bound survives and is counted as stalled; past the bound it is broken', () => {
    const v = judgeSurvival(
      [conn(0, 'rs1', { gap: [4000, 5000] }), conn(1, 'rs1', { gap: [4000, 7500] })],
      opts,
    );
    assert.deepEqual(
      v.perConnection.map((c) => [c.broken, c.reason]),
      [
        [false, undefined],
        [true, 'timeout'],
      ],
    );
    assert.equal(v.stalled, 1);
    assert.equal(v.maxStallSurvivorMs, 1100);
    assert.equal(v.maxStallMs, 3600);
  });

  it('a reset, a close or another real server answering breaks the connection', () => {
    const v = judgeSurvival(
      [
        conn(0, 'rs1', { end: { t: 5000, kind: 'reset', detail: 'ECONNRESET' } }),
        conn(1, 'rs1', { end: { t: 6000, kind: 'close' } }),
        conn(2, (t) => (t < 5000 ? 'rs1' : 'rs2')),
        conn(3, 'rs2'),
      ],
      opts,
    );
    assert.equal(v.broken, 3);
    assert.deepEqual(v.byReason, { reset: 1, close: 1, 'server-change': 1 });
    assert.deepEqual(v.perConnection[2].servers, ['rs1', 'rs2']);
    assert.match(describeSurvival(v), /^3\/4 broken \(reset 1, close 1, server-change 1\)/);
  });

  it('a connection that never answered is broken, not a survivor', () => {
    const v = judgeSurvival([{ id: 0, start: 0, replies: [], servers: [] }], opts);
    assert.deepEqual(v.byReason, { 'never-answered': 1 });
  });
});
