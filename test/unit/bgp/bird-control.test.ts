import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BirdControl } from '../../../daemon/bgp/bird-control';
import * as R from './bird-replies';

/** A stand-in for BIRD on a unix socket: greets, then answers each command line from a script. */
function fakeBird(
  answers: Record<string, string | undefined>,
  greet = R.WELCOME,
): Promise<{ server: Server; socketPath: string; received: string[]; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-bird-'));
  const socketPath = path.join(dir, 'bird.ctl');
  const received: string[] = [];
  const server = createServer((s: Socket) => {
    s.setEncoding('utf8');
    s.write(greet);
    let buf = '';
    s.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const cmd = buf.slice(0, i);
        buf = buf.slice(i + 1);
        received.push(cmd);
        const a = answers[cmd];
        // answer in two pieces, split inside a line: the client must reassemble
        if (a !== undefined) {
          s.write(a.slice(0, 5));
          setTimeout(() => s.write(a.slice(5)), 5);
        }
      }
    });
    s.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(socketPath, () => resolve({ server, socketPath, received, dir })),
  );
}

describe('BIRD control socket client', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  const start = async (answers: Record<string, string | undefined>, greet?: string) => {
    const f = await fakeBird(answers, greet);
    cleanups.push(() => {
      f.server.close();
      rmSync(f.dir, { recursive: true, force: true });
    });
    return f;
  };

  it('reads the protocols, toggles one, in order, each command a line', async () => {
    const f = await start({
      'show protocols': R.SHOW_PROTOCOLS,
      'enable vip_announce': R.ENABLED,
      'disable vip_announce': R.ALREADY_DISABLED,
    });
    const bird = await BirdControl.connect(f.socketPath, 2000);
    cleanups.push(() => bird.close());
    const [rows, en, dis] = await Promise.all([
      bird.showProtocols(),
      bird.toggle('enable', 'vip_announce'),
      bird.toggle('disable', 'vip_announce'),
    ]);
    assert.equal(rows.find((r) => r.name === 'vip_announce')?.state, 'down');
    assert.deepEqual([en, dis], [{ changed: true }, { changed: false }]);
    assert.deepEqual(f.received, ['show protocols', 'enable vip_announce', 'disable vip_announce']);
  });

  it('reports BIRD refusing, a silent BIRD (bounded) and something that is not BIRD', async () => {
    const f = await start({ 'enable vip_announce': R.NO_MATCH, 'show protocols': undefined });
    const bird = await BirdControl.connect(f.socketPath, 300);
    cleanups.push(() => bird.close());
    await assert.rejects(bird.toggle('enable', 'vip_announce'), /8003 No protocols match/);
    const t0 = Date.now();
    await assert.rejects(bird.showProtocols(), /did not answer "show protocols" within 300 ms/);
    assert.ok(Date.now() - t0 < 2000);
    // out of step after a timeout: refuses rather than mismatching replies
    await assert.rejects(bird.request('show status'), /did not answer/);

    const other = await start({}, '220 smtp.example ESMTP\n');
    await assert.rejects(BirdControl.connect(other.socketPath, 1000), /unexpected line from BIRD/);
    await assert.rejects(
      BirdControl.connect(path.join(f.dir, 'absent.ctl'), 1000),
      /BIRD control socket: .*ENOENT/,
    );
  });
});
