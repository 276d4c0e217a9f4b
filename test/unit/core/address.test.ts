// Addresses as bytes, both families: round trips, RFC 5952 text, refusals.
import { strict as assert } from 'node:assert';
import {
  bytesToIpv4,
  bytesToIpv6,
  familyOf,
  ipToBytes,
  ipv4ToBytes,
} from '../../../daemon/core/address';
import { splitArgv, shellQuote } from '../../../daemon/core/argv';
import { finishChecksum, onesSum } from '../../../daemon/core/checksum';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('core: addresses, argv, checksums', () => {
  it('IPv4 to bytes and back; malformed text is refused', () => {
    const b = new Uint8Array(6);
    ipv4ToBytes('198.51.100.10', b, 2);
    assert.equal(hex(b), '0000c633640a');
    assert.equal(bytesToIpv4(b, 2), '198.51.100.10');
    for (const bad of ['198.51.100', '198.51.100.256', '198.51..10', '2001:db8::1', 'a.b.c.d'])
      assert.throws(() => ipv4ToBytes(bad, b, 0), /not an IPv4 address/, bad);
  });

  it('IPv6 to bytes: ::, leading and trailing zeros, an embedded IPv4, a zone', () => {
    assert.equal(hex(ipToBytes('2001:db8::1')), '20010db8000000000000000000000001');
    assert.equal(hex(ipToBytes('::')), '0'.repeat(32));
    assert.equal(hex(ipToBytes('fe80::1%lan0')), 'fe800000000000000000000000000001');
    assert.equal(hex(ipToBytes('::ffff:198.51.100.10')), '00000000000000000000ffffc633640a');
    assert.equal(hex(ipToBytes('2001:db8:0:0:0:0:2:1')), '20010db8000000000000000000020001');
    assert.throws(() => ipToBytes('2001:db8:::1'), /not an IP address/);
  });

  it('IPv6 text is RFC 5952: lower case, the longest zero run as ::, a single zero word kept', () => {
    const round = (ip: string) => bytesToIpv6(ipToBytes(ip), 0);
    assert.equal(round('2001:DB8:0:0:0:0:2:1'), '2001:db8::2:1');
    assert.equal(round('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.equal(round('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
    assert.equal(round('ff02::12'), 'ff02::12');
    assert.equal(round('::'), '::');
    assert.equal(round('::1'), '::1');
  });

  it('family of an address', () => {
    assert.equal(familyOf('198.51.100.1'), 4);
    assert.equal(familyOf('2001:db8::1'), 6);
    assert.equal(familyOf('host.example'), undefined);
  });

  it('argv splitting groups quotes; shell quoting survives single quotes', () => {
    assert.deepEqual(splitArgv(`/bin/x "a b" 'c d' e`), ['/bin/x', 'a b', 'c d', 'e']);
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  });

  it('the Internet checksum of RFC 1071 section 3 example verifies to zero', () => {
    const words = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(onesSum(words), 0xddf2);
    const withSum = Uint8Array.from([...words, 0x22, 0x0d]);
    assert.equal(finishChecksum(onesSum(withSum)), 0);
    assert.equal(onesSum(Uint8Array.from([0xff])), 0xff00, 'an odd byte is padded');
  });
});
