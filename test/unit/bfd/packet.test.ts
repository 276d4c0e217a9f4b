// The BFD control packet codec against bytes keepalived 2.2.7 sent (captured
// with tshark between two network namespaces, min_rx/min_tx 100 ms,
// multiplier 3, idle_tx 1000 ms).
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  BfdState,
  checkBfd,
  decodeBfd,
  encodeBfd,
  type OutgoingPacket,
} from '../../../daemon/bfd/packet';

const hex = (s: string) => Buffer.from(s, 'hex');
// keepalived's packets of one handshake: Down, Init, Up with Poll, Up with Final
const KD_DOWN = hex('204003187823487100000000000f4240000186a000000000');
const KD_INIT = hex('208003187823487178234871000f4240000186a000000000');
const KD_UP_POLL = hex('20e003187823487178234871000186a0000186a000000000');
const KD_UP_FINAL = hex('20d003187823487178234871000186a0000186a000000000');

const fields = (p: OutgoingPacket): OutgoingPacket => ({
  diag: p.diag,
  state: p.state,
  poll: p.poll,
  final: p.final,
  detectMult: p.detectMult,
  myDiscr: p.myDiscr,
  yourDiscr: p.yourDiscr,
  desiredMinTx: p.desiredMinTx,
  requiredMinRx: p.requiredMinRx,
});

describe('bfd: control packet codec (RFC 5880 4.1)', () => {
  it("decodes keepalived's Down packet: no discriminator yet, idle 1 s TX, 100 ms RX", () => {
    const p = decodeBfd(KD_DOWN)!;
    assert.equal(p.version, 1);
    assert.equal(p.state, BfdState.Down);
    assert.equal(p.length, 24);
    assert.equal(p.detectMult, 3);
    assert.equal(p.myDiscr, 0x78234871);
    assert.equal(p.yourDiscr, 0);
    assert.equal(p.desiredMinTx, 1_000_000);
    assert.equal(p.requiredMinRx, 100_000);
    assert.equal(p.requiredMinEchoRx, 0);
    assert.ok(!p.poll && !p.final && !p.auth && !p.demand && !p.multipoint);
    assert.equal(checkBfd(p, KD_DOWN.length), undefined);
  });

  it('re-encodes every captured packet byte for byte (Down, Init, Up+Poll, Up+Final)', () => {
    for (const b of [KD_DOWN, KD_INIT, KD_UP_POLL, KD_UP_FINAL]) {
      const p = decodeBfd(b)!;
      assert.deepEqual(encodeBfd(fields(p)), b);
    }
    assert.ok(decodeBfd(KD_UP_POLL)!.poll);
    assert.ok(decodeBfd(KD_UP_FINAL)!.final);
    assert.equal(decodeBfd(KD_UP_POLL)!.desiredMinTx, 100_000);
  });

  it('round-trips any field values', () => {
    const u32 = fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
      .map(([h, l]) => h * 0x10000 + l);
    fc.assert(
      fc.property(
        fc.record({
          diag: fc.integer({ min: 0, max: 8 }),
          state: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<BfdState>,
          poll: fc.boolean(),
          final: fc.boolean(),
          detectMult: fc.integer({ min: 1, max: 255 }),
          myDiscr: u32.filter((x) => x > 0),
          yourDiscr: u32,
          desiredMinTx: u32,
          requiredMinRx: u32,
        }),
        (p) => assert.deepEqual(fields(decodeBfd(encodeBfd(p))!), { ...p }),
      ),
    );
  });

  it('discards what RFC 5880 6.8.6 (and keepalived) discard before selecting a session', () => {
    const mod = (i: number, v: number) => {
      const b = Buffer.from(KD_INIT);
      b[i] = v;
      return b;
    };
    const why = (b: Buffer, len = b.length) => checkBfd(decodeBfd(b)!, len);
    assert.match(why(mod(0, 0x40))!, /version 2/);
    assert.match(why(mod(3, 20))!, /too small/);
    assert.match(why(KD_INIT, 23)!, /beyond/);
    assert.match(why(Buffer.concat([KD_INIT, Buffer.alloc(4)]))!, /28 bytes received/);
    assert.match(why(mod(2, 0))!, /multiplier 0/);
    assert.match(why(mod(1, 0x81))!, /multipoint/);
    assert.match(why(Buffer.from(KD_INIT).fill(0, 4, 8))!, /my discriminator 0/);
    // Init with Your Discriminator 0; Down with it is fine
    assert.match(why(Buffer.from(KD_INIT).fill(0, 8, 12))!, /your discriminator 0 in state Init/);
    assert.equal(why(KD_DOWN), undefined);
    assert.match(why(mod(1, 0xf0))!, /poll and final/);
    assert.match(why(mod(0, 0x29))!, /diagnostic 9/);
    assert.equal(decodeBfd(KD_DOWN.subarray(0, 23)), undefined);
  });
});
