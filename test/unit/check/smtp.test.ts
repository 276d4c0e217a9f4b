// SMTP_CHECK: the dialogue as keepalived 2.2.7's check_smtp.c holds it, with
// scripted replies, then the probe against tiny SMTP servers on loopback.
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { SmtpDialogue, smtpStatus, type SmtpAction } from '../../../daemon/check/smtp';
import { smtpProbe } from '../../../daemon/check/smtp-probe';
import { parseText } from '../../../daemon/config/index';

/** run the dialogue over scripted server chunks; the lines sent and the outcome */
function talk(
  chunks: string[],
  helo = 'smtpchecker.keepalived.org',
): { sent: string[]; done: Extract<SmtpAction, { kind: 'done' }> } {
  const d = new SmtpDialogue(helo);
  const sent: string[] = [];
  for (const c of chunks)
    for (const a of d.receive(c)) {
      if (a.kind === 'send') sent.push(a.data);
      else return { sent, done: a };
    }
  return { sent, done: d.closed() as Extract<SmtpAction, { kind: 'done' }> };
}

describe('SMTP_CHECK dialogue (keepalived check_smtp.c)', () => {
  it('reads a reply code as smtp_get_status: three digits, then a space or the end', () => {
    assert.equal(smtpStatus('220 mx.example ESMTP'), 220);
    assert.equal(smtpStatus('250'), 250);
    assert.equal(smtpStatus('220-mx.example multi-line'), -1);
    assert.equal(smtpStatus('250\r'), -1);
    assert.equal(smtpStatus('2500 x'), -1);
    assert.equal(smtpStatus(''), -1);
  });

  it('greeting 220 -> HELO helo_name, 250 -> QUIT, any answer -> up', () => {
    const r = talk(['220 mx ESMTP\r\n', '250 mx\r\n', '221 2.0.0 Bye\r\n'], 'lb1.example');
    assert.deepEqual(r.sent, ['HELO lb1.example\r\n', 'QUIT\r\n']);
    assert.deepEqual(r.done, { kind: 'done', ok: true });
  });

  it('a line may come in pieces; bytes after the newline of a read are dropped', () => {
    const r = talk(['22', '0 mx', '\r\ngarbage 554\r\n', '25', '0 ok\r\n', 'x\n']);
    assert.deepEqual(r.sent, ['HELO smtpchecker.keepalived.org\r\n', 'QUIT\r\n']);
    assert.equal(r.done.ok, true);
  });

  it('fails on a 4xx/5xx or multi-line greeting, a refused HELO, or a close before the end', () => {
    for (const [chunks, reason] of [
      [['421 busy\r\n'], /bad greeting banner "421 busy\\r"/],
      [['554 go away\r\n'], /bad greeting banner/],
      [['220-mx first line\r\n220 mx\r\n'], /bad greeting banner/],
      [['220 mx\r\n', '550 no\r\n'], /bad HELO response "550 no\\r"/],
      [['220 mx\r\n', '451 later\r\n'], /bad HELO response/],
      [['220 mx\r\n'], /read failure \(helo\)/],
      [['220 mx\r\n', '250 mx\r\n'], /read failure \(quit\)/],
      [[], /read failure \(greeting\)/],
    ] as [string[], RegExp][]) {
      const r = talk(chunks);
      assert.equal(r.done.ok, false, chunks.join('|'));
      assert.match((r.done as { reason: string }).reason, reason);
    }
  });

  it('a line longer than the 511-byte buffer is cleared and reading goes on', () => {
    const r = talk(['x'.repeat(511), '220 mx\r\n', '250 ok\r\n', 'bye\r\n']);
    assert.equal(r.done.ok, true);
    const bad = talk(['x'.repeat(600) + '\r\n']);
    // 511 bytes cleared, the rest ("x" * 89) is the line: not a code
    assert.equal(bad.done.ok, false);
  });

  it("config: helo_name defaults to keepalived's; the common checker options apply", () => {
    const conf = (body: string) =>
      `virtual_server 198.51.100.10 25 {\n protocol TCP\n delay_loop 3\n real_server 198.51.100.25 25 {\n  SMTP_CHECK {\n${body}\n  }\n }\n}\n`;
    const r = parseText(conf(''));
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    const c = r.config.virtual_server[0].real_server[0].checkers[0];
    assert.equal(c.type, 'SMTP_CHECK');
    if (c.type !== 'SMTP_CHECK') return;
    assert.equal(c.helo_name, 'smtpchecker.keepalived.org');
    assert.deepEqual(
      [c.retry, c.delay_before_retry, c.connect_timeout, c.delay_loop],
      [1, 1, 5, 3],
    );
    const r2 = parseText(
      conf(
        '   helo_name lb1.example\n   connect_ip 198.51.100.26\n   connect_port 2525\n   bindto 198.51.100.1\n   connect_timeout 2\n   retry 3\n   delay_before_retry 2\n   warmup 1\n   alpha\n   log_all_failures',
      ),
    );
    assert.equal(r2.ok, true, JSON.stringify(r2.diagnostics));
    const c2 = r2.config.virtual_server[0].real_server[0].checkers[0];
    if (c2.type !== 'SMTP_CHECK') throw new Error(c2.type);
    assert.deepEqual(
      [c2.helo_name, c2.connect_ip, c2.connect_port, c2.bindto, c2.connect_timeout, c2.retry],
      ['lb1.example', '198.51.100.26', 2525, '198.51.100.1', 2, 3],
    );
    assert.equal(parseText(conf('   helo_name')).ok, false);
  });
});

describe('SMTP_CHECK probe against scripted servers (loopback)', function () {
  this.timeout(10_000);
  /** a server answering each line it reads with the next scripted reply */
  async function server(greeting: string | undefined, replies: string[]) {
    const heard: string[] = [];
    const srv = net.createServer((c) => {
      const left = [...replies];
      if (greeting !== undefined) c.write(greeting);
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          heard.push(buf.slice(0, nl + 1));
          buf = buf.slice(nl + 1);
          const r = left.shift();
          if (r === undefined) c.end();
          else c.write(r);
        }
      });
      c.on('error', () => {});
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return { port: (srv.address() as AddressInfo).port, heard, close: () => srv.close() };
  }

  it('up through the whole dialogue; down on 5xx/4xx, silence (timeout) and refusal', async () => {
    const ok = await server('220 fake ESMTP\r\n', ['250 fake\r\n', '221 bye\r\n']);
    const t = { host: '127.0.0.1', helo: 'lb1.example', timeoutMs: 500 };
    assert.deepEqual(await smtpProbe({ ...t, port: ok.port }), { ok: true });
    assert.deepEqual(ok.heard, ['HELO lb1.example\r\n', 'QUIT\r\n']);
    ok.close();

    const cases: [string | undefined, string[], RegExp][] = [
      ['554 no service\r\n', [], /bad greeting banner/],
      ['421 try later\r\n', [], /bad greeting banner/],
      ['220 fake\r\n', ['550 not you\r\n'], /bad HELO response/],
      ['220 fake\r\n', ['450 later\r\n'], /bad HELO response/],
      [undefined, [], /read timeout \(greeting\) after 500 ms/],
      ['220 fake\r\n', [], /read failure \(helo\)/],
    ];
    for (const [greeting, replies, reason] of cases) {
      const s = await server(greeting, replies);
      const r = await smtpProbe({ ...t, port: s.port });
      s.close();
      assert.equal(r.ok, false, `${greeting} ${replies.join()}`);
      assert.match(r.reason!, reason);
    }
    const r = await smtpProbe({ ...t, port: ok.port });
    assert.equal(r.ok, false);
    assert.match(r.reason!, /ECONNREFUSED/);
  });
});
