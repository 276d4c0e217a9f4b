// UDP_CHECK and PING_CHECK: keepalived 2.2.7's hex strings, reply matching
// and verdicts (check_udp.c, check_ping.c), and the probes on loopback.
import { strict as assert } from 'node:assert';
import * as dgram from 'node:dgram';
import { defaultPayload, udpProbe, udpReplyOk } from '../../../daemon/check/udp-probe';
import { parseText } from '../../../daemon/config/index';
import type { Checker } from '../../../daemon/config/model';
import { readHexStr } from '../../../daemon/config/keywords/udp';
import { Pinger } from '../../../daemon/net/ping';

describe('UDP_CHECK (keepalived check_udp.c)', function () {
  this.timeout(20_000);

  it('reads hex strings as read_hex_str does, X nibbles as wildcards in replies', () => {
    assert.deepEqual(readHexStr('0a0b 0c', false), { data: [10, 11, 12] });
    assert.deepEqual(readHexStr('a b', false), { data: [10, 11] });
    assert.deepEqual(readHexStr('1X', true), { data: [0x10], mask: [0x0f] });
    assert.equal(readHexStr('1X', false), undefined);
    assert.equal(readHexStr('zz', false), undefined);
  });

  it('matches replies: length bounds, then the shorter of reply and pattern', () => {
    const t = {
      minReplyLength: 2,
      maxReplyLength: 4,
      requireReply: { data: [1, 0x20], mask: [0, 0x0f] },
    };
    assert.equal(udpReplyOk(Uint8Array.from([1, 0x2f, 9]), t), true);
    assert.equal(udpReplyOk(Uint8Array.from([1, 0x3f, 9]), t), false);
    assert.equal(udpReplyOk(Uint8Array.from([1]), t), false); // too short
    assert.equal(udpReplyOk(Uint8Array.from([1, 0x20, 0, 0, 0]), t), false); // too long
    assert.equal(
      udpReplyOk(Uint8Array.from([7]), {
        minReplyLength: 0,
        maxReplyLength: 255,
        requireReply: true,
      }),
      true,
    );
    assert.equal(defaultPayload().toString(), 'keepalived check - keepalived ch');
    assert.equal(defaultPayload().length, 32);
  });

  it('config: payload, require_reply, lengths; bad hex and min > max are errors', () => {
    const conf = (b: string) =>
      `virtual_server 10.0.0.1 53 {\n protocol UDP\n real_server 10.0.1.1 53 {\n  UDP_CHECK {\n${b}\n  }\n }\n}\n`;
    const r = parseText(conf('   payload 01 02\n   require_reply 0X\n   max_reply_length 9'));
    assert.deepEqual(r.diagnostics, []);
    const c = r.config.virtual_server[0].real_server[0].checkers[0] as Extract<
      Checker,
      { type: 'UDP_CHECK' }
    >;
    assert.deepEqual(
      [c.payload, c.require_reply, c.min_reply_length, c.max_reply_length],
      [{ data: [1, 2] }, { data: [0], mask: [0x0f] }, 0, 9],
    );
    assert.equal(parseText(conf('   payload 0g')).ok, false);
    assert.equal(parseText(conf('   min_reply_length 10\n   max_reply_length 5')).ok, false);
  });

  const base = { host: '127.0.0.1', timeoutMs: 300, minReplyLength: 0, maxReplyLength: 255 };

  it('probe: port unreachable fails; silence passes unless a reply is required; replies are matched', async () => {
    const srv = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    srv.on('message', (m, rinfo) => {
      got.push(m);
      if (m[0] !== 0x51) srv.send(Buffer.from('OK!'), rinfo.port, rinfo.address);
    });
    await new Promise<void>((res) => srv.bind(0, '127.0.0.1', () => res()));
    const port = srv.address().port;
    try {
      assert.deepEqual(await udpProbe({ ...base, port }), { ok: true });
      assert.equal(got[0].toString(), defaultPayload().toString());
      const ok = { data: [...Buffer.from('OK')] };
      assert.deepEqual(await udpProbe({ ...base, port, requireReply: ok }), { ok: true });
      const no = { data: [...Buffer.from('NO')] };
      assert.deepEqual(await udpProbe({ ...base, port, requireReply: no }), {
        ok: false,
        reason: 'reply data mismatch',
      });
      // a payload the server does not answer: silence
      const quiet = { data: [0x51] };
      assert.deepEqual(await udpProbe({ ...base, port, payload: quiet }), { ok: true });
      assert.equal(
        (await udpProbe({ ...base, port, payload: quiet, requireReply: true })).ok,
        false,
      );
    } finally {
      srv.close();
    }
    const r = await udpProbe({ ...base, port });
    assert.equal(r.ok, false);
    assert.match(r.reason!, /ECONNREFUSED/);
  });
});

describe('PING_CHECK: ICMP echo over IPv4 and IPv6 (loopback)', function () {
  this.timeout(20_000);
  it('gets echo replies from 127.0.0.1 and ::1', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const p = new Pinger((process.pid ^ 0x8000) & 0xffff);
    try {
      assert.equal(await p.ping('127.0.0.1', 1000), true);
      assert.equal(await p.ping('::1', 1000), true);
    } finally {
      p.close();
    }
  });
});
