// HTTP_GET/SSL_GET as keepalived 2.2.7 does it: the request bytes per
// http_protocol, regex matching (offsets, options, no_match), fast_recovery,
// and the url keywords at config time; probes against a raw server on loopback.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { httpProbe, httpRequest, judgeResponse } from '../../../daemon/check/http-probe';
import { regexPasses } from '../../../daemon/check/regex';
import { CheckSchedule } from '../../../daemon/check/verdict';
import { parseText } from '../../../daemon/config/index';
import type { Checker } from '../../../daemon/config/model';

const resp = (body: string, status = 200) =>
  Buffer.from(`HTTP/1.0 ${status} X\r\nServer: t\r\n\r\n${body}`, 'latin1');

describe('HTTP_GET request and regex (keepalived check_http.c)', () => {
  it('sends keepalived request per http_protocol', () => {
    assert.equal(
      httpRequest('/h', '1.0', '10.0.0.1', 80),
      'GET /h HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:80\r\n\r\n',
    );
    assert.equal(
      httpRequest('/h', '1.0C', '10.0.0.1', 80, 'www'),
      'GET /h HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www\r\n\r\n',
    );
    assert.equal(
      httpRequest('/', '1.1', 'fd00::1', 8080),
      'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [fd00::1]:8080\r\n\r\n',
    );
  });

  it('regex: a url passes only when the pattern matches (or not, with regex_no_match)', () => {
    assert.equal(judgeResponse(resp('status: OK'), { regex: { pattern: 'OK$' } }).ok, true);
    const bad = judgeResponse(resp('status: FAIL'), { regex: { pattern: 'OK$' } });
    assert.deepEqual(bad, { ok: false, reason: 'regex did not match' });
    assert.equal(
      judgeResponse(resp('ERROR'), { regex: { pattern: 'ERROR', noMatch: true } }).ok,
      false,
    );
    assert.equal(
      judgeResponse(resp('fine'), { regex: { pattern: 'ERROR', noMatch: true } }).ok,
      true,
    );
    // status first, as keepalived: a 500 fails whatever the regex says
    assert.match(
      judgeResponse(resp('OK', 500), { regex: { pattern: 'OK' } }).reason!,
      /HTTP status 500/,
    );
    // an invalid (PCRE-only) pattern fails the url
    assert.match(
      judgeResponse(resp('OK'), { regex: { pattern: '(?i)ok' } }).reason!,
      /invalid regex/,
    );
  });

  it('offsets count from the status line; max offset is the last start allowed', () => {
    const s = 'HTTP/1.0 200 X\r\n\r\nabcOK'; // OK at 21
    assert.equal(regexPasses(s, { pattern: 'OK', minOffset: 21 }), true);
    assert.equal(regexPasses(s, { pattern: 'OK', minOffset: 22 }), false);
    assert.equal(regexPasses(s, { pattern: 'OK', maxOffset: 21 }), true);
    assert.equal(regexPasses(s, { pattern: 'OK', maxOffset: 20 }), false);
    // the headers are part of the subject, as in keepalived's first read buffer
    assert.equal(regexPasses(s, { pattern: '^HTTP/1\\.0 200' }), true);
    // min > max: keepalived drops both offsets
    assert.equal(regexPasses(s, { pattern: 'OK', minOffset: 30, maxOffset: 5 }), true);
  });

  it('regex_options map to RegExp flags', () => {
    assert.equal(regexPasses('x\r\n\r\nHELLO', { pattern: 'hello' }), false);
    assert.equal(regexPasses('x\r\n\r\nHELLO', { pattern: 'hello', options: ['caseless'] }), true);
    assert.equal(regexPasses('a\nb', { pattern: '^b$' }), false);
    assert.equal(regexPasses('a\nb', { pattern: '^b$', options: ['multiline'] }), true);
    assert.equal(regexPasses('a\nb', { pattern: 'a.b', options: ['dotall'] }), true);
  });

  it('fast_recovery: after a failure, the second pass runs at once instead of delay_loop later', () => {
    const base = { delayLoop: 10, retry: 0, delayBeforeRetry: 1, warmup: 0, alpha: false };
    for (const [recovery, gap] of [
      ['slow', 10_000],
      ['fast', 0],
    ] as const) {
      const s = new CheckSchedule({ ...base, recovery }, () => 0);
      assert.equal(s.result(false, 0).up, false);
      const v1 = s.result(true, 10_000);
      assert.deepEqual([v1.up, v1.nextAt - 10_000], [false, gap], recovery);
      const v2 = s.result(true, v1.nextAt);
      assert.deepEqual([v2.up, v2.changed], [true, true]);
    }
    // alpha (down from the start, never failed): one pass is enough
    const a = new CheckSchedule({ ...base, alpha: true, recovery: 'slow' }, () => 0);
    assert.equal(a.result(true, 0).up, true);
    // other checkers: one success as before
    const t = new CheckSchedule(base, () => 0);
    t.result(false, 0);
    assert.equal(t.result(true, 1).up, true);
  });
});

describe('HTTP_GET url keywords at config time', () => {
  const conf = (url: string, chk = '') =>
    `virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n  HTTP_GET {\n${chk}   url {\n    path /\n${url}   }\n  }\n }\n}\n`;
  const load = (t: string) => {
    const r = parseText(t, 'k.conf');
    return {
      diags: r.diagnostics.map((d) => `${d.line} ${d.level} ${d.message}`),
      chk: r.config.virtual_server[0]?.real_server[0]?.checkers[0] as Extract<
        Checker,
        { type: 'HTTP_GET' }
      >,
    };
  };

  it('reads regex, options, offsets and http_protocol/fast_recovery', () => {
    const r = load(
      conf(
        '    regex "^OK x"\n    regex_no_match\n    regex_options caseless multiline\n    regex_min_offset 3\n    regex_max_offset 90\n    regex_stack 100 200\n',
        '   http_protocol 1.0c\n   fast_recovery\n',
      ),
    );
    assert.deepEqual(r.diags, []);
    const u = r.chk.url[0];
    assert.deepEqual(
      [u.regex, u.regex_no_match, u.regex_options, u.regex_min_offset, u.regex_max_offset],
      ['^OK x', true, ['caseless', 'multiline'], 3, 90],
    );
    assert.deepEqual([r.chk.http_protocol, r.chk.fast_recovery], ['1.0C', true]);
  });

  it('warns (never fails, as keepalived -t) on what keepalived only logs', () => {
    const r = load(conf('    regex_min_offset x\n    regex_options ungreedy\n'));
    assert.deepEqual(r.diags, [
      '5 warning regex_options ungreedy: no JavaScript equivalent, ignored',
      '5 warning regex parameters specified without regex; ignored',
      "7 warning regex_min_offset: invalid offset 'x'; ignored",
    ]);
    assert.equal(r.chk.url[0].regex_options, undefined);
    assert.match(load(conf('    regex (?>a)\n')).diags.join('\n'), /always fail/);
    assert.match(load(conf('', '   http_protocol 2.0\n')).diags.join('\n'), /error/);
  });
});

describe('HTTP_GET probe against a raw server (loopback)', function () {
  this.timeout(20_000);
  let srv: net.Server;
  let port = 0;
  const seen: string[] = [];
  before(
    () =>
      new Promise<void>((res) => {
        srv = net.createServer((c) => {
          let got = '';
          c.on('data', (d) => {
            got += d.toString('latin1');
            if (!got.includes('\r\n\r\n')) return;
            seen.push(got);
            const path = got.split(' ')[1];
            // an HTTP/1.1 request without Connection: close would keep the socket open
            const keep = got.includes('HTTP/1.1') && !got.includes('Connection: close');
            c.write(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody of ${path}\n`);
            if (!keep) c.end();
          });
          c.on('error', () => undefined);
        });
        srv.listen(0, '127.0.0.1', () => {
          port = (srv.address() as AddressInfo).port;
          res();
        });
      }),
  );
  after(() => srv.close());
  const t = (o: object) => ({
    tls: false,
    host: '127.0.0.1',
    port,
    path: '/a',
    timeoutMs: 2000,
    ...o,
  });

  it('sends the http_protocol request and judges the body by regex and digest', async () => {
    assert.deepEqual(await httpProbe(t({ protocol: '1.1', regex: { pattern: 'body of /a' } })), {
      ok: true,
    });
    assert.equal(
      seen.at(-1),
      `GET /a HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    );
    const r = await httpProbe(t({ regex: { pattern: 'body of /b' } }));
    assert.deepEqual(r, { ok: false, reason: 'regex did not match' });
    assert.equal((await httpProbe(t({ regex: { pattern: 'body', noMatch: true } }))).ok, false);
    const digest = createHash('md5').update('body of /a\n').digest('hex');
    assert.deepEqual(await httpProbe(t({ digest })), { ok: true });
    assert.equal(
      seen.at(-1)!.startsWith('GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost'),
      true,
    );
  });
});
