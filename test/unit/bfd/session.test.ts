// The BFD session state machine on a fake clock: two sessions wired back to
// back (or one and a scripted peer), checked against RFC 5880 6.8.6 and
// keepalived's choices (idle TX until Up, a poll sequence to the fast timers).
import { strict as assert } from 'node:assert';
import { BfdDiag, BfdState, type BfdPacket, type OutgoingPacket } from '../../../daemon/bfd/packet';
import { BfdSession, type SessionParams } from '../../../daemon/bfd/session';
import { FakeClock } from '../vrrp/fakes';

const params = (name: string, over: Partial<SessionParams> = {}): SessionParams => ({
  name,
  minRxUs: 10_000,
  minTxUs: 10_000,
  idleTxUs: 1_000_000,
  detectMult: 5,
  passive: false,
  ttl: 255,
  maxHops: 0,
  ...over,
});

const full = (p: OutgoingPacket): BfdPacket => ({
  ...p,
  version: 1,
  cpi: false,
  auth: false,
  demand: false,
  multipoint: false,
  length: 24,
  requiredMinEchoRx: 0,
});

/** Two sessions joined by a link that can be cut; every packet and change recorded. */
function pair(a: Partial<SessionParams> = {}, b: Partial<SessionParams> = {}) {
  const clock = new FakeClock();
  const link = { cut: false };
  const log: { at: number; who: string; p: OutgoingPacket }[] = [];
  const changes: { at: number; who: string; up: boolean; why: string }[] = [];
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const make = (name: string, over: Partial<SessionParams>, peer: () => BfdSession) =>
    new BfdSession(params(name, over), clock, {
      random,
      send: (p) => {
        log.push({ at: clock.now(), who: name, p });
        if (!link.cut) {
          const copy = full({ ...p });
          // delivered "on the wire": after this call returns
          clock.at(clock.now(), () => peer().receive(copy, 255));
        }
      },
      onChange: (up, why) => changes.push({ at: clock.now(), who: name, up, why }),
    });
  const sa: BfdSession = make('A', a, () => sb);
  const sb: BfdSession = make('B', b, () => sa);
  return { clock, link, log, changes, a: sa, b: sb };
}

describe('bfd: session state machine (RFC 5880 6.8)', () => {
  it('three-way handshake: Down -> Init -> Up on both sides, then a poll sequence to the fast timers', () => {
    const t = pair();
    t.a.start();
    t.b.start();
    t.clock.advance(3000); // Init packets go at the idle rate (1 s): the handshake takes ~1 s
    assert.equal(t.a.state, BfdState.Up);
    assert.equal(t.b.state, BfdState.Up);
    assert.deepEqual(
      t.changes.map((c) => c.up),
      [true, true],
    );
    assert.equal(t.changes.length, 2);
    // states seen on the wire: Down first, Init or Up afterwards, a Poll answered by a Final
    const states = t.log.map((l) => l.p.state);
    assert.equal(states[0], BfdState.Down);
    assert.ok(t.log.some((l) => l.p.poll));
    assert.ok(t.log.some((l) => l.p.final));
    // Up: 10 ms asked for, detection = 5 x 10 ms
    assert.equal(t.a.txIntervalUs, 10_000);
    assert.equal(t.a.detectTimeUs, 50_000);
    assert.ok(!t.a.poll && !t.b.poll, 'poll sequences over');
    // Up packets advertise min_tx; before Up they advertised idle_tx (RFC 5880 6.8.3: >= 1 s)
    assert.equal(t.log.at(-1)!.p.desiredMinTx, 10_000);
    assert.equal(t.log[0].p.desiredMinTx, 1_000_000);
  });

  it('sends at the agreed interval, jittered 10-25% below it (RFC 5880 6.8.7)', () => {
    const t = pair();
    t.a.start();
    t.b.start();
    t.clock.advance(3000);
    const aTimes = t.log.filter((l) => l.who === 'A' && !l.p.final).map((l) => l.at);
    const gaps = aTimes
      .slice(-10)
      .map((x, i, a) => (i ? x - a[i - 1] : 0))
      .slice(1);
    for (const g of gaps) assert.ok(g >= 7.5 - 1e-9 && g <= 9 + 1e-9, `gap ${g} ms`);
  });

  it('detection timeout: Down with diag 1 a Detection Time after the last packet, then Up again after a heal', () => {
    const t = pair();
    t.a.start();
    t.b.start();
    t.clock.advance(3000); // Init packets go at the idle rate (1 s): the handshake takes ~1 s
    t.link.cut = true;
    const lastFromB = () => t.log.filter((l) => l.who === 'B').at(-1)!.at;
    const cutAt = t.clock.now();
    t.clock.advance(200);
    const down = t.changes.find((c) => c.who === 'A' && !c.up)!;
    const last = t.log.filter((l) => l.who === 'B' && l.at <= cutAt).at(-1)!.at;
    assert.ok(down, 'A went down');
    assert.equal(down.why, 'control detection time expired');
    assert.equal(down.at - last, 50, 'exactly 5 x 10 ms after the last packet');
    assert.equal(t.a.localDiag, BfdDiag.DetectionExpired);
    assert.equal(t.a.remoteDiscr, 0, 'RFC 5880 6.8.1: forgotten after a Detection Time');
    assert.ok(lastFromB() > cutAt, 'B keeps sending (idle rate) while the link is cut');
    // the link heals: a new handshake brings both up
    t.link.cut = false;
    t.clock.advance(3000);
    assert.equal(t.a.state, BfdState.Up);
    assert.equal(t.b.state, BfdState.Up);
    assert.equal(t.changes.filter((c) => c.up).length, 4);
  });

  it('a peer saying Down takes an Up session down (diag 3); AdminDown does too, but trackers stay up', () => {
    const clock = new FakeClock();
    const changes: boolean[] = [];
    const s = new BfdSession(params('X'), clock, {
      send: () => {},
      onChange: (up) => changes.push(up),
      random: () => 0.5,
    });
    s.start();
    const peer = (state: BfdState, yourDiscr = s.localDiscr): BfdPacket =>
      full({
        diag: 0,
        state,
        poll: false,
        final: false,
        detectMult: 3,
        myDiscr: 77,
        yourDiscr,
        desiredMinTx: 10_000,
        requiredMinRx: 10_000,
      });
    // Down -> (peer Down) Init -> (peer Up) Up
    assert.equal(s.receive(peer(BfdState.Down, 0)), undefined);
    assert.equal(s.state, BfdState.Init);
    s.receive(peer(BfdState.Up));
    assert.equal(s.state, BfdState.Up);
    // Down -> Init needs peer Down; peer Init from Down goes straight Up; Up + peer Init stays Up
    s.receive(peer(BfdState.Init));
    assert.equal(s.state, BfdState.Up);
    s.receive(peer(BfdState.Down));
    assert.equal(s.state, BfdState.Down);
    assert.equal(s.localDiag, BfdDiag.NeighborDown);
    assert.deepEqual(changes, [true, false]);
    // Down + peer Init -> Up
    s.receive(peer(BfdState.Init));
    assert.equal(s.state, BfdState.Up);
    // AdminDown from the peer: Down, but not a path failure for trackers (keepalived)
    s.receive(peer(BfdState.AdminDown));
    assert.equal(s.state, BfdState.Down);
    assert.equal(s.up, true);
    assert.deepEqual(changes, [true, false, true]);
    // Down + peer Up: stays Down (needs Down or Init first)
    s.receive(peer(BfdState.Up));
    assert.equal(s.state, BfdState.Down);
  });

  it('discards by TTL (max_hops), the A bit, and answers a Poll at once with a Final', () => {
    const clock = new FakeClock();
    const sent: OutgoingPacket[] = [];
    const s = new BfdSession(params('X', { maxHops: 1 }), clock, {
      send: (p) => sent.push(p),
      onChange: () => {},
      random: () => 0.5,
    });
    const p = full({
      diag: 0,
      state: BfdState.Down,
      poll: false,
      final: false,
      detectMult: 3,
      myDiscr: 9,
      yourDiscr: 0,
      desiredMinTx: 1_000_000,
      requiredMinRx: 10_000,
    });
    assert.match(s.receive(p, 253)!, /TTL 253 < 254/);
    assert.equal(s.receive(p, 254), undefined, '1 hop allowed');
    assert.match(s.receive({ ...p, auth: true }, 255)!, /authentication/);
    const before = sent.length;
    s.receive({ ...p, poll: true }, 255);
    assert.equal(sent.length, before + 1);
    assert.ok(sent.at(-1)!.final && !sent.at(-1)!.poll);
    // without a TTL from the socket the check is skipped (as keepalived)
    assert.equal(s.receive(p), undefined);
  });

  it('passive: silent until the peer speaks, then answers; silent again when Down', () => {
    const t = pair({ passive: true });
    t.a.start();
    t.clock.advance(3000);
    assert.equal(t.log.filter((l) => l.who === 'A').length, 0);
    t.b.start();
    t.clock.advance(3000);
    assert.equal(t.a.state, BfdState.Up);
    t.link.cut = true;
    t.clock.advance(100);
    const n = t.log.filter((l) => l.who === 'A').length;
    t.clock.advance(5000);
    assert.equal(t.log.filter((l) => l.who === 'A').length, n, 'no packets while Down');
  });

  it('reload with new timers: a poll sequence, and the peer follows', () => {
    const t = pair();
    t.a.start();
    t.b.start();
    t.clock.advance(3000); // Init packets go at the idle rate (1 s): the handshake takes ~1 s
    t.a.reconfigure(params('A', { minRxUs: 50_000, minTxUs: 50_000 }));
    assert.ok(t.a.poll);
    t.clock.advance(200);
    assert.ok(!t.a.poll, 'answered with a Final');
    assert.equal(t.a.txIntervalUs, 50_000);
    assert.equal(t.b.detectTimeUs, 5 * 50_000, "B detects over A's slower interval");
    assert.equal(t.a.state, BfdState.Up);
  });
});
