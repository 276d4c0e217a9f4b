import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { decodeIpHeader } from '../../../daemon/net/ip-header';
import { decode, encode, encodingLength } from '../../../daemon/vrrp/codec';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Golden vectors: captured with tshark from Debian keepalived 2.2.7 in a
// network namespace (state MASTER, 198.51.100.11 -> 224.0.0.18).
const GOLDEN = {
  // vrid 51, prio 150, PASS "secret", advert_int 1, VIPs .10 and .9
  v2: {
    ip: hex('45c0002c00010000ff70b04fc633640be0000012'),
    vrrp: hex('213396020101b701c633640ac633640973656372657400 00'),
  },
  // vrrp_version 3, vrid 52, prio 200, advert_int 0.5, VIP .20
  v3: {
    ip: hex('45c0002000010000ff70b05bc633640be0000012'),
    vrrp: hex('3134c8010032d181c6336414'),
  },
};

describe('VRRP codec', () => {
  it("encodes keepalived's v2 PASS advert byte for byte", () => {
    const b = encode({
      version: 2,
      vrid: 51,
      priority: 150,
      advertInt: 1,
      addresses: ['198.51.100.10', '198.51.100.9'],
      authType: 1,
      authPass: 'secret',
    });
    assert.equal(toHex(b), toHex(GOLDEN.v2.vrrp));
    assert.equal(encodingLength({ version: 2, addresses: ['a', 'b'] }), 24);
  });

  it("encodes keepalived's v3 advert byte for byte (checksum with IPv4 pseudo-header)", () => {
    const b = encode(
      { version: 3, vrid: 52, priority: 200, advertInt: 0.5, addresses: ['198.51.100.20'] },
      { src: '198.51.100.11', dst: '224.0.0.18' },
    );
    assert.equal(toHex(b), toHex(GOLDEN.v3.vrrp));
  });

  it('decodes the golden packets, including the IP header fields a receiver checks', () => {
    const ip2 = decodeIpHeader(Uint8Array.from([...GOLDEN.v2.ip, ...GOLDEN.v2.vrrp]))!;
    assert.deepEqual(
      [ip2.ttl, ip2.protocol, ip2.src, ip2.dst, ip2.tos, ip2.headerLength],
      [255, 112, '198.51.100.11', '224.0.0.18', 0xc0, 20],
    );
    assert.deepEqual(decode(GOLDEN.v2.vrrp), {
      ok: true,
      advert: {
        version: 2,
        vrid: 51,
        priority: 150,
        advertInt: 1,
        addresses: ['198.51.100.10', '198.51.100.9'],
        authType: 1,
        authPass: 'secret',
      },
    });
    const d3 = decode(GOLDEN.v3.vrrp, '198.51.100.11', '224.0.0.18');
    assert.deepEqual(d3, {
      ok: true,
      advert: { version: 3, vrid: 52, priority: 200, advertInt: 0.5, addresses: ['198.51.100.20'] },
      checksumForm: 'keepalived',
    });
  });

  it('accepts the RFC 9568 v3 checksum form too, and can send it', () => {
    const a = {
      version: 3 as const,
      vrid: 52,
      priority: 200,
      advertInt: 0.5,
      addresses: ['198.51.100.20'],
    };
    const rfc = encode(a, { v3Checksum: 'rfc9568' });
    assert.notEqual(toHex(rfc), toHex(GOLDEN.v3.vrrp), 'the two forms differ on the wire');
    const d = decode(rfc, '198.51.100.11', '224.0.0.18');
    assert.equal(d.ok && d.checksumForm, 'rfc9568');
  });

  it('rejects a flipped bit (checksum), a wrong version, type and a short packet', () => {
    const bad = Uint8Array.from(GOLDEN.v2.vrrp);
    bad[9] ^= 1;
    assert.deepEqual(decode(bad), { ok: false, reason: 'checksum', detail: 'bad checksum' });
    const v3bad = Uint8Array.from(GOLDEN.v3.vrrp);
    v3bad[2] = 201;
    assert.equal(
      (decode(v3bad, '198.51.100.11', '224.0.0.18') as { reason: string }).reason,
      'checksum',
    );
    const v4 = Uint8Array.from(GOLDEN.v2.vrrp);
    v4[0] = 0x41;
    assert.equal((decode(v4) as { reason: string }).reason, 'version');
    const t2 = Uint8Array.from(GOLDEN.v2.vrrp);
    t2[0] = 0x22;
    assert.equal((decode(t2) as { reason: string }).reason, 'type');
    assert.equal((decode(GOLDEN.v2.vrrp.subarray(0, 12)) as { reason: string }).reason, 'length');
  });

  it('truncates PASS passwords to 8 bytes and rounds v2 intervals to whole seconds', () => {
    const b = encode({
      version: 2,
      vrid: 1,
      priority: 100,
      advertInt: 1.4,
      addresses: ['10.0.0.1'],
      authType: 1,
      authPass: 'longpassword',
    });
    const d = decode(b);
    assert.ok(d.ok);
    assert.equal(d.advert.authPass, 'longpass');
    assert.equal(d.advert.advertInt, 1);
  });

  it('round-trips any valid advert (property)', () => {
    const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
    fc.assert(
      fc.property(
        fc.constantFrom(2 as const, 3 as const),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 1, max: 4095 }),
        fc.array(ip, { maxLength: 20 }),
        ip,
        (version, vrid, priority, cs, addresses, src) => {
          const advertInt = version === 2 ? Math.max(1, cs % 256) : cs / 100;
          const a = {
            version,
            vrid,
            priority,
            advertInt,
            addresses,
            ...(version === 2 ? { authType: 0 as const } : {}),
          };
          const d = decode(encode(a, { src, dst: '224.0.0.18' }), src, '224.0.0.18');
          assert.ok(d.ok);
          assert.deepEqual(d.advert, a);
        },
      ),
      { numRuns: 300 },
    );
  });
});
