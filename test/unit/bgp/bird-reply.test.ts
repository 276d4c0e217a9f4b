import { strict as assert } from 'node:assert';
import {
  BirdError,
  parseProtocols,
  ReplyDecoder,
  toggleCommand,
  toggleResult,
  type BirdReply,
} from '../../../daemon/bgp/bird-reply';
import * as R from './bird-replies';

const one = (text: string): BirdReply => {
  const replies = new ReplyDecoder().push(text);
  assert.equal(replies.length, 1, text);
  return replies[0];
};

describe('BIRD control protocol: replies', () => {
  it('reads numbered lines, continuations and the final line, whatever the chunking', () => {
    const whole = R.WELCOME + R.SHOW_PROTOCOLS;
    const expected = new ReplyDecoder().push(whole);
    assert.deepEqual(
      expected.map((r) => [r.code, r.lines.length]),
      [
        [1, 1],
        [0, 6],
      ],
    );
    // continuation lines carry the code of the line they continue
    assert.deepEqual(
      expected[1].lines.map((l) => l.code),
      [2002, 1002, 1002, 1002, 1002, 0],
    );
    for (const size of [1, 3, 7, 64]) {
      const d = new ReplyDecoder();
      const got: BirdReply[] = [];
      for (let i = 0; i < whole.length; i += size) got.push(...d.push(whole.slice(i, i + size)));
      assert.deepEqual(got, expected, `chunks of ${size}`);
    }
  });

  it('keeps asynchronous messages apart, accepts CRLF, rejects what is not BIRD', () => {
    const d = new ReplyDecoder();
    assert.deepEqual(d.push('+0002 Reading configuration\r\n0000 \r\n'), [
      { code: 0, lines: [{ code: 0, text: '' }] },
    ]);
    assert.deepEqual(d.asyncMessages, ['0002 Reading configuration']);
    assert.throws(() => new ReplyDecoder().push('HTTP/1.1 200 OK\n'), BirdError);
    assert.throws(() => new ReplyDecoder().push(' orphan\n'), /nothing to continue/);
  });

  it('show protocols: one row per protocol, Info kept whole', () => {
    const rows = parseProtocols(one(R.SHOW_PROTOCOLS));
    assert.deepEqual(
      rows.map((r) => [r.name, r.proto, r.table, r.state]),
      [
        ['device1', 'Device', '---', 'up'],
        ['vip_announce', 'Static', 'master4', 'down'],
        ['bfd1', 'BFD', '---', 'up'],
        ['upstream', 'BGP', '---', 'start'],
      ],
    );
    assert.equal(rows[3].info, 'Active        Socket: Connection refused');
    assert.equal(rows[0].info, '');
    assert.equal(rows[3].since, '08:00:01.123');
  });

  it('enable/disable: changed, already so, or the error BIRD gave', () => {
    assert.deepEqual(toggleResult(one(R.ENABLED), 'enable', 'vip_announce'), { changed: true });
    assert.deepEqual(toggleResult(one(R.ALREADY_ENABLED), 'enable', 'vip_announce'), {
      changed: false,
    });
    assert.deepEqual(toggleResult(one(R.DISABLED), 'disable', 'vip_announce'), { changed: true });
    assert.deepEqual(toggleResult(one(R.ALREADY_DISABLED), 'disable', 'vip_announce'), {
      changed: false,
    });
    // an answer about the opposite verb or another protocol is not a success
    assert.throws(
      () => toggleResult(one(R.ENABLED), 'disable', 'vip_announce'),
      /unexpected reply/,
    );
    assert.throws(() => toggleResult(one(R.ENABLED), 'enable', 'other'), /unexpected reply/);
    assert.throws(
      () => toggleResult(one(R.NO_MATCH), 'enable', 'vip_announce'),
      (e: BirdError) =>
        e.code === 8003 && /refused "enable vip_announce": 8003 No protocols/.test(e.message),
    );
    assert.throws(
      () => toggleResult(one(R.PARSE_ERROR), 'enable', 'x'),
      (e: BirdError) => e.code === 9001,
    );
  });

  it('builds commands only for real protocol names', () => {
    assert.equal(toggleCommand('disable', 'vip_announce'), 'disable vip_announce');
    for (const bad of ['all', '"x*"', 'a b', 'x\nshutdown', ''])
      assert.throws(() => toggleCommand('enable', bad), BirdError, bad);
  });
});
