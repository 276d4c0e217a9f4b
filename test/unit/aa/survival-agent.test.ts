// The survival agent against the echo service on loopback: answers recorded
// per connection with the server's name; a server that resets its connections
// shows up as broken in the judge's verdict.
import { strict as assert } from 'node:assert';
import type { AddressInfo, Server, Socket } from 'node:net';
import { answerLine, echoServer, httpPage } from '../../../scripts/aa/echo-service';
import { startAgent } from '../../../scripts/aa/survival-agent';
import { judgeSurvival } from '../../../scripts/aa/survival-judge';
import { request } from 'node:http';

const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
};

describe('aa survival agent and echo service', function () {
  this.timeout(10_000);
  let server: Server;
  let port = 0;
  beforeEach(async () => {
    server = echoServer('rs9');
    port = await listen(server);
  });
  afterEach(() => server.close());

  it('echoes lines with its name; answers HTTP GET with its name and closes', async () => {
    assert.equal(answerLine('rs1', '17\r'), 'rs1 17\n');
    assert.match(httpPage('rs1', false), /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nrs1\n$/);
    const body = await new Promise<string>((resolve, reject) =>
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let b = '';
        res.on('data', (d) => (b += String(d)));
        res.on('end', () => resolve(b));
      })
        .on('error', reject)
        .end(),
    );
    assert.equal(body, 'rs9\n');
  });

  it('keeps N connections exchanging messages every interval, each answered by the server', async () => {
    const agent = startAgent({ host: '127.0.0.1', port, connections: 20, intervalMs: 50 });
    assert.equal(await agent.ready, 20);
    await new Promise((r) => setTimeout(r, 600));
    const rec = agent.stop();
    const v = judgeSurvival(rec.conns, {
      end: rec.end,
      answerBoundMs: 1000,
      stallThresholdMs: 200,
    });
    assert.equal(v.broken, 0, JSON.stringify(v.byReason));
    assert.deepEqual(v.perServer, { rs9: 20 });
    for (const c of rec.conns) assert.ok(c.replies.length >= 8, `${c.id}: ${c.replies.length}`);
    assert.ok(v.maxStallMs < 200, String(v.maxStallMs));
  });

  it('records connections the server resets as broken (reset)', async () => {
    const sockets: Socket[] = [];
    server.on('connection', (s: Socket) => sockets.push(s));
    const agent = startAgent({ host: '127.0.0.1', port, connections: 5, intervalMs: 50 });
    await agent.ready;
    await new Promise((r) => setTimeout(r, 200));
    for (const s of sockets.slice(0, 2)) s.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 200));
    const rec = agent.stop();
    const v = judgeSurvival(rec.conns, {
      end: rec.end,
      answerBoundMs: 1000,
      stallThresholdMs: 200,
    });
    assert.equal(v.broken, 2);
    assert.deepEqual(v.byReason, { reset: 2 });
  });
});
