// The probe agent as it runs on the probe host (node -e, shipped as source),
// against listeners on loopback: one line per attempt, ok or not.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { parseProbeLine, probeCommand } from '../../../verify/probe';

/** The agent with its stdin held open for a second (it stops after `count` attempts). */
function runAgent(port: number, count: number): Promise<string[]> {
  const cmd = probeCommand({
    vip: '127.0.0.1',
    port,
    intervalMs: 20,
    timeoutMs: 50,
    maxSeconds: 5,
    count,
  });
  return new Promise((resolve, reject) =>
    execFile('sh', ['-c', `sleep 1 | ${cmd}`], { timeout: 10_000 }, (e, out) =>
      e ? reject(e) : resolve(out.trim().split('\n')),
    ),
  );
}

describe('verify-failover probe agent', function () {
  this.timeout(15_000);
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('reports each new connection to a listening port as ok, on a 20 ms schedule', async () => {
    const lines = await runAgent(port, 5);
    assert.equal(lines[0], 'R');
    const samples = lines.slice(1).map((l) => parseProbeLine(l)!);
    assert.equal(samples.length, 5, lines.join('|'));
    assert.ok(
      samples.every((s) => s.ok),
      lines.join('|'),
    );
    const fifth = samples[4].t - samples[0].t;
    assert.ok(fifth >= 70 && fifth < 300, `fifth attempt ${fifth} ms after the first`);
    // stamped with the probe host's clock (epoch ms), which the verifier maps onto its own
    assert.ok(Math.abs(samples[0].t - Date.now()) < 5000, `first attempt at ${samples[0].t}`);
  });

  it('reports a refused connection as failed', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const lines = await runAgent(p, 3);
    const samples = lines.slice(1).map((l) => parseProbeLine(l)!);
    assert.equal(samples.length, 3, lines.join('|'));
    assert.ok(
      samples.every((s) => !s.ok),
      lines.join('|'),
    );
  });
});
