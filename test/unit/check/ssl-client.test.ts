// SSL_GET with the SSL block's client certificate against a TLS server on
// loopback that requires a client certificate signed by its CA.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { httpProbe } from '../../../daemon/check/http-probe';
import { loadClientTls } from '../../../daemon/check/ssl-context';
import { makePki, type Pki } from './test-pki';

describe('SSL_GET client certificate (SSL block, loopback)', function () {
  this.timeout(20_000);
  let dir: string;
  let pki: Pki;
  let srv: tls.Server;
  let port: number;
  const peers: string[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-pki-'));
    pki = makePki(dir);
    srv = tls.createServer(
      {
        cert: readFileSync(pki.serverCert),
        key: readFileSync(pki.serverKey),
        ca: readFileSync(pki.ca),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (s) => {
        peers.push(s.getPeerCertificate().subject?.CN ?? '');
        s.end('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
      },
    );
    srv.on('tlsClientError', () => {});
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as AddressInfo).port;
  });
  after(() => {
    srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (client: ReturnType<typeof loadClientTls>) =>
    httpProbe({
      tls: true,
      host: '127.0.0.1',
      port,
      path: '/',
      timeoutMs: 2000,
      ...(client ? { client } : {}),
    });

  it('passes with the CA-signed client certificate (encrypted key + password)', async () => {
    const logs: string[] = [];
    const client = loadClientTls(
      { ca: pki.ca, certificate: pki.clientCert, key: pki.clientKey, password: pki.password },
      (_l, m) => void logs.push(m),
    );
    assert.deepEqual(logs, []);
    assert.deepEqual(await get(client), { ok: true });
    assert.equal(peers.at(-1), 'client');
  });

  it("fails without a certificate, with another CA's, and with a wrong password", async () => {
    const none = await get(undefined);
    assert.equal(none.ok, false);
    const rogue = await get(
      loadClientTls({ certificate: pki.rogueCert, key: pki.rogueKey }, () => {}),
    );
    assert.equal(rogue.ok, false, 'a certificate of another CA');
    const logs: string[] = [];
    const wrongPw = loadClientTls(
      { certificate: pki.clientCert, key: pki.clientKey, password: 'nope' },
      (_l, m) => void logs.push(m),
    );
    assert.ok(
      logs.some((l) => /cannot be used/.test(l)),
      logs.join('\n'),
    );
    assert.equal((await get(wrongPw)).ok, false);
    assert.deepEqual(peers, ['client'], 'only the good certificate got through');
  });
});
