// RFC ledger: each MUST/SHOULD of RFC 3768 sections 6-8 and RFC 5798 that a
// VRRP router implements, one positive and one negative test, named by
// section. Requirements that keepalive-ts deliberately does not implement
// (virtual MAC, as keepalived's default) are listed at the bottom.
import { strict as assert } from 'node:assert';
import { encode, VRRP_MCAST, type Advert } from '../../../daemon/vrrp/codec';
import {
  Fsm,
  masterDownInterval,
  skewTime,
  type Action,
  type FsmConfig,
} from '../../../daemon/vrrp/fsm';
import { vrrpPacket, receive, type Expect } from '../../../daemon/vrrp/receive';
import { decodeIpHeader } from '../../../daemon/net/ip-header';

const ME = '198.51.100.11';
const PEER = '198.51.100.12';

function fsm(over: Partial<FsmConfig> = {}) {
  return new Fsm({
    version: 2,
    priority: 100,
    advertInt: 1,
    preempt: true,
    preemptDelay: 0,
    primaryIp: ME,
    downTimerAdverts: 3,
    higherPrioSendAdvert: false,
    lowerPrioAnswer: false,
    ...over,
  });
}
const sends = (a: Action[]) =>
  a.filter((x) => x.type === 'send').map((x) => (x as { priority: number }).priority);
const has = (a: Action[], t: Action['type']) => a.some((x) => x.type === t);
const timer = (a: Action[], which: 'adver' | 'masterDown') =>
  (
    a.filter((x) => x.type === 'timer' && x.which === which).pop() as
      | { at: number | null }
      | undefined
  )?.at;
const advert = (priority: number, src = PEER, advertInt = 1) => ({
  type: 'advert' as const,
  priority,
  src,
  advertInt,
});

function backupAt0(over: Partial<FsmConfig> = {}) {
  const f = fsm(over);
  f.handle({ type: 'startup' }, 0);
  return f;
}
function masterAt(t: number, over: Partial<FsmConfig> = {}) {
  const f = backupAt0(over);
  f.handle({ type: 'timer', which: 'masterDown' }, t);
  assert.equal(f.state, 'MASTER');
  return f;
}

describe('RFC 3768 (VRRPv2) ledger', () => {
  describe('6.1 parameters', () => {
    it('Skew_Time = (256 - Priority) / 256 [positive]', () => {
      assert.equal(skewTime(2, 100, 1), 156 / 256);
      assert.equal(skewTime(2, 254, 1), 2 / 256);
    });
    it('Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time [positive]', () => {
      assert.equal(masterDownInterval(2, 50, 1), 3 + 206 / 256);
      assert.equal(
        fsm({ priority: 50 }).masterDownMs(),
        3805,
        'the 3.805 s measured with keepalived for the seed backup',
      );
    });
    it('Skew_Time does not depend on the interval in v2 [negative]', () => {
      assert.equal(skewTime(2, 100, 5), skewTime(2, 100, 1));
    });
  });

  describe('6.4.1 Initialize', () => {
    it('priority 255 (owner): send ADVERTISEMENT, gratuitous ARP, start Adver_Timer, go Master', () => {
      const f = fsm({ priority: 255 });
      const a = f.handle({ type: 'startup' }, 0);
      assert.equal(f.state, 'MASTER');
      assert.deepEqual(sends(a), [255]);
      assert.ok(has(a, 'garp'));
      assert.equal(timer(a, 'adver'), 1000);
    });
    it('other priorities: start Master_Down_Timer, go Backup, send nothing', () => {
      const f = fsm({ priority: 254 });
      const a = f.handle({ type: 'startup' }, 0);
      assert.equal(f.state, 'BACKUP');
      assert.deepEqual(sends(a), []);
      assert.equal(has(a, 'garp'), false);
      assert.equal(timer(a, 'masterDown'), 3008);
    });
  });

  describe('6.4.2 Backup', () => {
    it('MUST NOT own the virtual addresses: no VIP add while Backup', () => {
      const f = fsm();
      const a = f.handle({ type: 'startup' }, 0);
      assert.ok(!a.some((x) => x.type === 'vips' && x.add));
    });
    it('Master_Down_Timer fires: send ADVERTISEMENT, GARP, add VIPs, go Master', () => {
      const f = backupAt0();
      const a = f.handle({ type: 'timer', which: 'masterDown' }, 3609);
      assert.equal(f.state, 'MASTER');
      assert.deepEqual(sends(a), [100]);
      assert.ok(a.some((x) => x.type === 'vips' && x.add));
      assert.ok(has(a, 'garp'));
    });
    it('a timer event before the deadline does nothing [negative]', () => {
      const f = backupAt0();
      assert.deepEqual(f.handle({ type: 'timer', which: 'masterDown' }, 3000), []);
      assert.equal(f.state, 'BACKUP');
    });
    it('ADVERTISEMENT with priority 0: Master_Down_Timer = Skew_Time', () => {
      const f = backupAt0();
      const a = f.handle(advert(0), 500);
      assert.equal(timer(a, 'masterDown'), 500 + Math.round((156 / 256) * 1000));
    });
    it('priority >= local: reset Master_Down_Timer to Master_Down_Interval', () => {
      const f = backupAt0();
      assert.equal(timer(f.handle(advert(150), 2000), 'masterDown'), 2000 + 3609);
      assert.equal(timer(f.handle(advert(100, '198.51.100.5'), 3000), 'masterDown'), 3000 + 3609);
    });
    it('lower priority with preempt: discard (the timer runs out and we take over) [negative]', () => {
      const f = backupAt0();
      assert.deepEqual(f.handle(advert(50), 2000), []);
      f.handle({ type: 'timer', which: 'masterDown' }, 3609);
      assert.equal(f.state, 'MASTER');
    });
    it('lower priority with Preempt_Mode false (nopreempt): reset the timer, never take over', () => {
      const f = backupAt0({ preempt: false });
      assert.equal(timer(f.handle(advert(50), 2000), 'masterDown'), 5609);
      f.handle({ type: 'timer', which: 'masterDown' }, 3609);
      assert.equal(f.state, 'BACKUP');
    });
    it('preempt_delay (keepalived): no preemption before the delay, preemption after it', () => {
      const f = backupAt0({ preemptDelay: 10 });
      assert.equal(
        timer(f.handle(advert(50), 2000), 'masterDown'),
        5609,
        'within the delay: like nopreempt',
      );
      assert.deepEqual(f.handle(advert(50), 10_500), [], 'after the delay: discard, so we preempt');
    });
    it('Shutdown: cancel Master_Down_Timer, go Initialize, send nothing', () => {
      const f = backupAt0();
      const a = f.handle({ type: 'shutdown' }, 100);
      assert.equal(f.state, 'INIT');
      assert.equal(timer(a, 'masterDown'), null);
      assert.deepEqual(sends(a), []);
    });
  });

  describe('6.4.3 Master', () => {
    it('Adver_Timer fires: send ADVERTISEMENT, reset Adver_Timer', () => {
      const f = masterAt(3609);
      const a = f.handle({ type: 'timer', which: 'adver' }, 4609);
      assert.deepEqual(sends(a), [100]);
      assert.equal(timer(a, 'adver'), 5609);
    });
    it('ADVERTISEMENT with priority 0: send ADVERTISEMENT at once, reset Adver_Timer', () => {
      const f = masterAt(3609);
      const a = f.handle(advert(0), 4000);
      assert.deepEqual(sends(a), [100]);
      assert.equal(timer(a, 'adver'), 5000);
    });
    it('higher priority: cancel Adver_Timer, start Master_Down_Timer, remove VIPs, go Backup', () => {
      const f = masterAt(3609);
      const a = f.handle(advert(200), 4000);
      assert.equal(f.state, 'BACKUP');
      assert.equal(timer(a, 'adver'), null);
      assert.ok(timer(a, 'masterDown')! > 4000);
      assert.ok(a.some((x) => x.type === 'vips' && !x.add));
    });
    it('equal priority, higher sender address wins; lower sender address loses [positive + negative]', () => {
      const f = masterAt(3609);
      f.handle(advert(100, '198.51.100.5'), 4000);
      assert.equal(f.state, 'MASTER', 'lower primary IP: we stay master');
      f.handle(advert(100, '198.51.100.200'), 4100);
      assert.equal(f.state, 'BACKUP', 'higher primary IP: we yield');
    });
    it('lower priority: discard (plain RFC behaviour) [negative]', () => {
      const f = masterAt(3609);
      // nothing on the wire: only keepalived's MASTER_RX_LOWER_PRI notification
      assert.deepEqual(f.handle(advert(50), 4000), [
        { type: 'lower-priority-heard', src: '198.51.100.12', priority: 50 },
      ]);
      assert.equal(f.state, 'MASTER');
    });
    it('Shutdown: cancel Adver_Timer, send ADVERTISEMENT with priority 0, go Initialize', () => {
      const f = masterAt(3609);
      const a = f.handle({ type: 'shutdown' }, 5000);
      assert.deepEqual(sends(a), [0]);
      assert.ok(a.some((x) => x.type === 'vips' && !x.add));
      assert.equal(timer(a, 'adver'), null);
      assert.equal(f.state, 'INIT');
    });
  });

  describe('7.1 receiving', () => {
    const exp: Expect = { version: 2, vrid: 51, authType: 1, authPass: 'secret', advertInt: 1 };
    const pkt = (a: Partial<Advert> = {}, ttl = 255) =>
      vrrpPacket(
        encode({
          version: 2,
          vrid: 51,
          priority: 100,
          advertInt: 1,
          addresses: ['198.51.100.10'],
          authType: 1,
          authPass: 'secret',
          ...a,
        }),
        PEER,
        VRRP_MCAST,
        ttl,
      );
    it('MUST verify that the IP TTL is 255', () => {
      assert.equal(receive(pkt(), exp).ok, true);
      assert.deepEqual(receive(pkt({}, 64), exp), {
        ok: false,
        reason: 'ttl',
        detail: 'TTL 64, must be 255',
        src: PEER,
      });
    });
    it('MUST verify the VRRP version', () => {
      assert.equal(receive(pkt(), { ...exp, version: 3 }).ok, false);
      assert.equal(
        (receive(pkt(), { ...exp, version: 3 }) as { reason: string }).reason,
        'version',
      );
    });
    it('MUST verify the checksum', () => {
      const p = pkt();
      p[20 + 2] ^= 0x10;
      assert.equal((receive(p, exp) as { reason: string }).reason, 'checksum');
    });
    it('MUST verify the message length for the address count', () => {
      assert.equal((receive(pkt().subarray(0, 30), exp) as { reason: string }).reason, 'length');
    });
    it('MUST verify the VRID', () => {
      assert.equal((receive(pkt({ vrid: 52 }), exp) as { reason: string }).reason, 'vrid');
    });
    it('MUST verify the authentication type and (PASS) data', () => {
      assert.equal((receive(pkt({ authType: 0 }), exp) as { reason: string }).reason, 'auth');
      assert.equal((receive(pkt({ authPass: 'wrong' }), exp) as { reason: string }).reason, 'auth');
    });
    it('MUST verify that the advertisement interval matches (v2)', () => {
      assert.equal((receive(pkt({ advertInt: 2 }), exp) as { reason: string }).reason, 'interval');
    });
    it('MAY verify the address list: a mismatch is dropped (keepalived), except from the known master with skip_check_adv_addr', () => {
      const r = receive(pkt({ addresses: ['198.51.100.99'] }), exp, ['198.51.100.10']);
      assert.equal(!r.ok && r.reason, 'addresses');
      const more = receive(pkt({ addresses: ['198.51.100.10', '198.51.100.11'] }), exp, [
        '198.51.100.10',
      ]);
      assert.equal(!more.ok && more.reason, 'addresses', 'a different count is a mismatch too');
      const r2 = receive(pkt(), exp, ['198.51.100.10']);
      assert.ok(r2.ok && r2.addressesMatch);
      const src = decodeIpHeader(pkt({ addresses: ['198.51.100.99'] }))!.src;
      const skipped = receive(
        pkt({ addresses: ['198.51.100.99'] }),
        { ...exp, skipAddressCheckFrom: src },
        ['198.51.100.10'],
      );
      assert.ok(skipped.ok && !skipped.addressesMatch, 'reported, not dropped');
    });
  });

  describe('7.2 transmitting', () => {
    it('fills in version 2, type 1, VRID, priority, count, auth and a valid checksum', () => {
      const b = encode({
        version: 2,
        vrid: 7,
        priority: 99,
        advertInt: 1,
        addresses: ['10.0.0.1'],
        authType: 1,
        authPass: 'x',
      });
      assert.deepEqual([b[0], b[1], b[2], b[3], b[4], b[5]], [0x21, 7, 99, 1, 1, 1]);
      const r = receive(vrrpPacket(b, ME, VRRP_MCAST), {
        version: 2,
        vrid: 7,
        authType: 1,
        authPass: 'x',
        advertInt: 1,
      });
      assert.ok(r.ok);
    });
    it('an advert with a wrong checksum field is not what we send [negative]', () => {
      const b = encode({
        version: 2,
        vrid: 7,
        priority: 99,
        advertInt: 1,
        addresses: ['10.0.0.1'],
      });
      b[7] ^= 0xff;
      assert.equal(
        receive(vrrpPacket(b, ME, VRRP_MCAST), { version: 2, vrid: 7, authType: 0, advertInt: 1 })
          .ok,
        false,
      );
    });
  });
});

describe('RFC 5798 (VRRPv3) ledger', () => {
  const v3 = { version: 3 as const, advertInt: 0.1 };

  it('5.2.7 Max Adver Int is 12 bits of centiseconds', () => {
    const b = encode(
      { version: 3, vrid: 1, priority: 100, advertInt: 40.95, addresses: [] },
      { src: ME, dst: VRRP_MCAST },
    );
    assert.equal(((b[4] & 0x0f) << 8) | b[5], 4095);
    const c = encode(
      { version: 3, vrid: 1, priority: 100, advertInt: 99, addresses: [] },
      { src: ME, dst: VRRP_MCAST },
    );
    assert.equal(((c[4] & 0x0f) << 8) | c[5], 4095, 'clamped, the reserved bits stay zero');
    assert.equal(c[4] >> 4, 0);
  });

  it('6.1 Skew_Time scales with Master_Adver_Interval [positive], unlike v2 [negative]', () => {
    assert.equal(skewTime(3, 100, 0.1), (156 * 0.1) / 256);
    assert.notEqual(skewTime(3, 100, 0.1), skewTime(2, 100, 0.1));
    assert.equal(
      fsm({ ...v3, priority: 100 }).masterDownMs(),
      Math.round((0.3 + (156 * 0.1) / 256) * 1000),
    );
  });

  it("6.4.2 a backup adopts the master's Adver Interval and recomputes Master_Down_Interval", () => {
    const f = backupAt0(v3);
    const a = f.handle({ type: 'advert', priority: 150, src: PEER, advertInt: 1 }, 1000);
    assert.equal(f.masterAdverInt, 1);
    assert.equal(timer(a, 'masterDown'), 1000 + Math.round((3 + 156 / 256) * 1000));
  });

  it('6.4.2 a lower-priority advert does not change the learned interval when preempting [negative]', () => {
    const f = backupAt0(v3);
    f.handle({ type: 'advert', priority: 50, src: PEER, advertInt: 1 }, 100);
    assert.equal(f.masterAdverInt, 0.1);
  });

  it('6.4.3 a master yielding to a higher priority learns its interval', () => {
    const f = masterAt(400, v3);
    f.handle({ type: 'advert', priority: 200, src: PEER, advertInt: 2 }, 500);
    assert.equal(f.state, 'BACKUP');
    assert.equal(f.masterAdverInt, 2);
  });

  it('7.1 TTL 255 and version 3 are verified; there is no authentication', () => {
    const exp: Expect = { version: 3, vrid: 9, authType: 0, advertInt: 0.1 };
    const b = encode(
      { version: 3, vrid: 9, priority: 100, advertInt: 1, addresses: ['10.0.0.1'] },
      { src: PEER, dst: VRRP_MCAST },
    );
    const r = receive(vrrpPacket(b, PEER, VRRP_MCAST), exp);
    assert.ok(r.ok, 'a v3 backup accepts a different interval (it adopts it)');
    assert.equal(
      (receive(vrrpPacket(b, PEER, VRRP_MCAST, 1), exp) as { reason: string }).reason,
      'ttl',
    );
    assert.equal(
      (receive(vrrpPacket(b, PEER, VRRP_MCAST), { ...exp, version: 2 }) as { reason: string })
        .reason,
      'version',
    );
  });

  it("7.1 the checksum covers the pseudo-header in keepalived's form; a wrong source breaks it", () => {
    const b = encode(
      { version: 3, vrid: 9, priority: 100, advertInt: 1, addresses: [] },
      { src: PEER, dst: VRRP_MCAST },
    );
    assert.ok(
      receive(vrrpPacket(b, PEER, VRRP_MCAST), { version: 3, vrid: 9, authType: 0, advertInt: 1 })
        .ok,
    );
    const r = receive(vrrpPacket(b, '198.51.100.99', VRRP_MCAST), {
      version: 3,
      vrid: 9,
      authType: 0,
      advertInt: 1,
    });
    assert.equal((r as { reason: string }).reason, 'checksum');
  });
});

describe('keepalived extensions (split-brain heal, on by default in keepalive-ts)', () => {
  it('a master hearing a lower priority answers with an advert and GARPs at once', () => {
    const f = masterAt(3609, { lowerPrioAnswer: true });
    const a = f.handle(advert(50), 4000);
    assert.deepEqual(sends(a), [100]);
    assert.ok(a.some((x) => x.type === 'garp' && x.reason === 'lower-priority'));
    assert.equal(f.state, 'MASTER');
  });
  it('with higher_prio_send_advert a yielding master sends one advert first', () => {
    const f = masterAt(3609, { higherPrioSendAdvert: true });
    const a = f.handle(advert(200), 4000);
    assert.deepEqual(sends(a), [100]);
    assert.equal(f.state, 'BACKUP');
    const g = masterAt(3609, { higherPrioSendAdvert: false });
    assert.deepEqual(sends(g.handle(advert(200), 4000)), []);
  });
  it('fault: a master releases with a priority-0 advert; clearing the fault starts as Backup', () => {
    const f = masterAt(3609);
    const a = f.handle({ type: 'fault', on: true }, 4000);
    assert.equal(f.state, 'FAULT');
    assert.deepEqual(sends(a), [0]);
    assert.deepEqual(f.handle(advert(50), 4100), [], 'adverts are ignored in FAULT');
    f.handle({ type: 'fault', on: false }, 5000);
    assert.equal(f.state, 'BACKUP');
  });
  it('trackers change the advertised priority but never that of an owner', () => {
    const f = masterAt(3609);
    f.handle({ type: 'priority', effective: 40 }, 3700);
    assert.deepEqual(sends(f.handle({ type: 'timer', which: 'adver' }, 4609)), [40]);
    const o = fsm({ priority: 255 });
    o.handle({ type: 'startup' }, 0);
    o.handle({ type: 'priority', effective: 10 }, 1);
    assert.equal(o.priority, 255);
  });
});

// Not implemented, as in keepalived's default configuration:
// - RFC 3768 7.3 / RFC 5798 7.3: the virtual router MAC 00-00-5E-00-01-{VRID}
//   (keepalived: use_vmac); masters answer ARP with the interface's own MAC
//   and announce the move with gratuitous ARP instead.
// - RFC 3768 5.3.6.3 IP AH authentication (removed from the protocol; keepalived deprecates it).
