// Hostile clients on the control socket: garbage, megabyte lines, hundreds of
// clients, clients that never send or never read, and users who are not root.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventLog } from '../../../daemon/control/events';
import {
  CONTROL_LIMITS,
  parseRequest,
  RequestLine,
  type ControlLimits,
} from '../../../daemon/control/request';
import { followEvents, requestControl, serveControl } from '../../../daemon/control/socket';
import { waitFor } from '../../../scripts/lab/sys';

/** send `data`, collect the answer until the daemon closes (or `waitMs` passes) */
function talk(sock: string, data: Buffer | string, waitMs = 3000) {
  return new Promise<{ answer: string; closed: boolean }>((resolve) => {
    const c = createConnection(sock);
    let answer = '';
    const done = (closed: boolean) => {
      clearTimeout(t);
      c.destroy();
      resolve({ answer, closed });
    };
    const t = setTimeout(() => done(false), waitMs);
    c.on('connect', () => c.write(data));
    c.on('data', (d) => (answer += d.toString()));
    c.on('close', () => done(true));
    c.on('error', () => {});
  });
}

const connected = (sock: string) =>
  new Promise<Socket>((resolve, reject) => {
    const c = createConnection(sock, () => resolve(c));
    c.on('error', reject);
  });

describe('control socket limits', function () {
  this.timeout(20_000);
  let dir: string;
  let sock: string;
  let srv: Server | undefined;
  let events: EventLog;
  const start = async (limits: Partial<ControlLimits> = {}) => {
    events = new EventLog();
    srv = serveControl(
      sock,
      async (req) => {
        if (req.cmd === 'status') return { ok: true };
        throw new Error(`unknown command ${req.cmd}`);
      },
      events,
      { ...CONTROL_LIMITS, ...limits },
    );
    await new Promise((r) => srv!.once('listening', r));
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-ctl-'));
    sock = path.join(dir, 'c.sock');
  });
  afterEach(() => {
    srv?.close();
    srv = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('frames one request line, bounded in bytes', () => {
    const l = new RequestLine(10);
    assert.deepEqual(l.push(Buffer.from('{"cmd"')), { more: true });
    assert.deepEqual(l.push(Buffer.from(':1}\nrest')), { line: '{"cmd":1}' });
    const big = new RequestLine(10);
    assert.deepEqual(big.push(Buffer.from('0123456')), { more: true });
    assert.deepEqual(big.push(Buffer.from('7890')), {
      error: 'request line longer than 10 bytes',
    });
    // exactly at the cap is fine
    assert.deepEqual(new RequestLine(3).push(Buffer.from('abc\n')), { line: 'abc' });
  });

  it('accepts only a JSON object with a string cmd', () => {
    assert.deepEqual(parseRequest('{"cmd":"status"}'), { cmd: 'status' });
    assert.deepEqual(parseRequest('{"cmd":"events","follow":true,"since":3}'), {
      cmd: 'events',
      follow: true,
      since: 3,
    });
    for (const bad of ['null', '[]', '"status"', '7', '{}', '{"cmd":1}', 'garbage', '\ufffd'])
      assert.ok('error' in parseRequest(bad), bad);
    assert.ok('error' in parseRequest('{"cmd":"events","since":"x"}'));
    assert.ok('error' in parseRequest('{"cmd":"events","follow":"yes"}'));
  });

  it('answers garbage, non-JSON values and a megabyte line with an error and closes', async () => {
    await start();
    for (const junk of ['null\n', '[1,2]\n', 'hello\n', '{"cmd":5}\n', '\u0000\u00ff\n']) {
      const r = await talk(sock, junk);
      assert.ok(r.closed, junk);
      assert.match(JSON.parse(r.answer).error, /^bad request/, junk);
    }
    const binary = await talk(sock, Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]));
    assert.match(JSON.parse(binary.answer).error, /^bad request/);
    const mb = await talk(sock, Buffer.alloc(1024 * 1024, 'x'));
    assert.ok(mb.closed, 'closed after the cap');
    assert.equal(JSON.parse(mb.answer).error, 'request line longer than 65536 bytes');
    assert.deepEqual(await requestControl(sock, { cmd: 'status' }), { ok: true });
  });

  it('serves at most maxClients at once and refuses the rest with a clear error', async () => {
    await start();
    const idle = await Promise.all(Array.from({ length: 300 }, () => talk(sock, '', 1500)));
    const refused = idle.filter((r) => r.answer.includes('too many control clients (64)'));
    assert.equal(refused.length, 300 - 64, 'all but 64 refused');
    assert.ok(refused.every((r) => r.closed));
    // the held ones are gone: status works again (once the daemon has seen them close)
    const served = async () =>
      !('error' in ((await requestControl(sock, { cmd: 'status' })) as object));
    await waitFor('a free slot', served, 3000, 50);
  });

  it('drops a client that sends no request in time but keeps an events --follow stream', async () => {
    await start({ requestTimeoutMs: 300 });
    const got: string[] = [];
    const follow = followEvents(sock, true, (l) => got.push(l));
    const silent = await talk(sock, '', 3000);
    assert.ok(silent.closed);
    assert.equal(JSON.parse(silent.answer).error, 'no request within 300 ms');
    const slow = await talk(sock, '{"cmd":', 3000);
    assert.ok(slow.closed, 'half a request is no request');
    events.emit({ kind: 'reload', wallTime: Date.now() } as never);
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 1, 'the follower outlived the request deadline');
    srv!.close();
    await follow;
  });

  it('drops a follower that stops reading once its queue passes the cap', async () => {
    await start({ maxQueuedBytes: 64 * 1024 });
    const c = await connected(sock);
    c.write('{"cmd":"events","follow":true}\n');
    c.pause(); // never reads
    c.on('error', () => {});
    const clients = () => new Promise<number>((r) => srv!.getConnections((_e, n) => r(n)));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await clients(), 1);
    const wallTime = Date.now();
    let closed = false;
    for (let i = 0; i < 20_000 && !closed; i++) {
      events.emit({ kind: 'reload', wallTime, pad: 'x'.repeat(200) } as never);
      if (i % 1000 === 0) closed = (await clients()) === 0;
    }
    for (let i = 0; i < 50 && !closed; i++) {
      await new Promise((r) => setTimeout(r, 20));
      closed = (await clients()) === 0;
    }
    c.destroy();
    assert.ok(closed, 'the daemon dropped the stuck follower');
    assert.deepEqual(await requestControl(sock, { cmd: 'status' }), { ok: true });
  });

  it('is root-only: mode 0600, and a non-root user gets EACCES', async function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to switch users
    chmodSync(dir, 0o755); // only the socket's own mode may stop the other user
    await start();
    const st = statSync(sock);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.uid, 0);
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `require('net').createConnection(${JSON.stringify(sock)}).on('error', (e) => { console.log(e.code); process.exit(0); }).on('connect', () => { console.log('CONNECTED'); process.exit(0); });`,
      ],
      { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 },
    );
    assert.equal(probe.stdout.trim(), 'EACCES', probe.stderr);
  });
});
