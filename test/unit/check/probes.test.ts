// The probes against real servers on loopback.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dnsProbe, httpProbe, scriptProbe, tcpProbe } from '../../../daemon/check/probes';

const listen = (s: net.Server | dgram.Socket) =>
  new Promise<number>((res) => {
    if (s instanceof dgram.Socket) s.bind(0, '127.0.0.1', () => res(s.address().port));
    else s.listen(0, '127.0.0.1', () => res((s.address() as AddressInfo).port));
  });

describe('check probes (loopback)', function () {
  this.timeout(20_000);

  it('TCP_CHECK: connects to a listener, fails on a closed port', async () => {
    const srv = net.createServer((c) => c.end());
    const port = await listen(srv);
    assert.deepEqual(await tcpProbe('127.0.0.1', port, 1000), { ok: true });
    srv.close();
    await new Promise((r) => srv.once('close', r));
    const r = await tcpProbe('127.0.0.1', port, 1000);
    assert.equal(r.ok, false);
    assert.match(r.reason!, /ECONNREFUSED/);
  });

  describe('HTTP_GET', () => {
    let srv: http.Server;
    let port: number;
    before(async () => {
      srv = http.createServer((req, res) => {
        if (req.url === '/ok') res.end('hello\n');
        else if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
        else if (req.url === '/host') res.end(req.headers.host);
        else {
          res.statusCode = 404;
          res.end('no');
        }
      });
      port = await listen(srv);
    });
    after(() => srv.close());
    const t = (p: string, o: object = {}) => ({
      tls: false,
      host: '127.0.0.1',
      port,
      path: p,
      timeoutMs: 1000,
      ...o,
    });

    it('checks the status against ranges (default 200-299)', async () => {
      assert.equal((await httpProbe(t('/ok'))).ok, true);
      const r = await httpProbe(t('/missing'));
      assert.deepEqual([r.ok, r.reason], [false, 'HTTP status 404']);
      assert.equal(
        (await httpProbe(t('/missing', { statusCodes: [{ from: 400, to: 499 }] }))).ok,
        true,
      );
    });

    it('checks the MD5 digest of the body', async () => {
      const good = createHash('md5').update('hello\n').digest('hex');
      assert.equal((await httpProbe(t('/ok', { digest: good }))).ok, true);
      const r = await httpProbe(t('/ok', { digest: '0'.repeat(32) }));
      assert.equal(r.ok, false);
      assert.match(r.reason!, /^digest /);
    });

    it('sends the virtualhost as Host and times out on a server that does not answer', async () => {
      assert.equal(
        (
          await httpProbe(
            t('/host', {
              virtualhost: 'www.example.org',
              digest: createHash('md5').update('www.example.org').digest('hex'),
            }),
          )
        ).ok,
        true,
      );
      const t0 = Date.now();
      const r = await httpProbe(t('/slow', { timeoutMs: 300 }));
      assert.deepEqual([r.ok, r.reason], [false, 'timeout after 300 ms']);
      assert.ok(Date.now() - t0 < 1500);
    });
  });

  it('SSL_GET: HTTPS with a self-signed certificate', async function () {
    let dir = '';
    try {
      dir = mkdtempSync(path.join(tmpdir(), 'kts-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=rs',
          '-days',
          '1',
          '-keyout',
          path.join(dir, 'k'),
          '-out',
          path.join(dir, 'c'),
        ],
        { stdio: 'ignore' },
      );
    } catch {
      this.skip();
    }
    const srv = https.createServer(
      { key: readFileSync(path.join(dir, 'k')), cert: readFileSync(path.join(dir, 'c')) },
      (_q, s) => s.end('tls\n'),
    );
    const port = await listen(srv);
    try {
      const r = await httpProbe({
        tls: true,
        host: '127.0.0.1',
        port,
        path: '/',
        timeoutMs: 2000,
        digest: createHash('md5').update('tls\n').digest('hex'),
      });
      assert.deepEqual(r, { ok: true });
      assert.equal(
        (await httpProbe({ tls: false, host: '127.0.0.1', port, path: '/', timeoutMs: 2000 })).ok,
        false,
        'plain HTTP to a TLS port fails',
      );
    } finally {
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('MISC_CHECK: exit codes, timeout', async () => {
    assert.deepEqual(await scriptProbe(['true'], 1000), { ok: true, exitCode: 0 });
    assert.deepEqual(await scriptProbe(['sh', '-c', 'exit 12'], 1000), {
      ok: false,
      exitCode: 12,
      reason: 'exit 12',
    });
    assert.equal((await scriptProbe(['sleep', '5'], 200)).exitCode, 124);
  });

  it('DNS_CHECK: an answer with RCODE 0 is up; NXDOMAIN and silence are down', async () => {
    const s = dgram.createSocket('udp4');
    let rcode = 0;
    s.on('message', (m, rinfo) => {
      if (rcode < 0) return;
      const r = Buffer.from(m);
      r[2] = 0x81;
      r[3] = 0x80 | rcode;
      s.send(r, rinfo.port, rinfo.address);
    });
    const port = await listen(s);
    try {
      assert.deepEqual(await dnsProbe('127.0.0.1', port, 'example.org', 'A', 1000), { ok: true });
      rcode = 3;
      assert.deepEqual(await dnsProbe('127.0.0.1', port, 'example.org', 'A', 1000), {
        ok: false,
        reason: 'rcode 3',
      });
      rcode = -1;
      assert.deepEqual(await dnsProbe('127.0.0.1', port, '.', 'SOA', 200), {
        ok: false,
        reason: 'timeout after 200 ms',
      });
    } finally {
      s.close();
    }
  });
});
