// Hostile input at the daemon's edges, live: a VRRPv3 master (advert_int
// 0.1) in a namespace of its own, its adverts captured with tshark, while
// the control socket, the metrics endpoint and SIGHUP with hostile configs
// are attacked in turn. After each attack the daemon is alive, answers
// status, made no transition, and its adverts kept their interval.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { requestControl } from '../../daemon/control/socket';
import { Capture } from '../../scripts/lab/daemons';
import { run, sleep, waitFor } from '../../scripts/lab/sys';
import { testNetns, type TestNetns } from './netns-daemon';

const SELF = '198.51.100.1';
const METRICS = `${SELF}:9650`;
/** max advert gap allowed during an attack: 1.5 x advert_int (measured idle: see the README) */
const MAX_GAP_MS = 150;

const conf = (metrics: boolean) =>
  `global_defs {\n vrrp_version 3\n${metrics ? ` metrics_listen ${METRICS}\n` : ''}}\n` +
  `vrrp_instance V {\n state MASTER\n interface lan0\n virtual_router_id 51\n priority 200\n advert_int 0.1\n` +
  ` virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`;

/** TCP sockets in LISTEN state in the namespace (ss; 0.0.0.0 and :: included) */
async function listeners(ns: string): Promise<string[]> {
  const r = await run('ip', ['netns', 'exec', ns, 'ss', '-Hltn']);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/)[3]);
}

describe('hostile input at the edges: control socket, metrics, config (netns)', function () {
  this.timeout(120_000);
  let t: TestNetns;
  let cap: Capture;
  const report: Record<string, unknown> = {};
  before(async () => {
    t = await testNetns('edge');
    cap = new Capture({ host: () => ({ ns: t.ns }) }, 'self');
    await cap.start();
  });
  after(async () => {
    cap?.stop();
    await t?.close();
    console.log(`      measured: ${JSON.stringify(report)}`);
  });

  it('metrics listen nowhere by default, only on metrics_listen when set', async () => {
    const file = path.join(t.dir, 'plain.conf');
    writeFileSync(file, conf(false));
    const { child, out } = t.daemon(file);
    try {
      await waitFor('MASTER', () => /-> MASTER/.test(out()), 10_000);
      assert.deepEqual(await listeners(t.ns), [], 'no TCP listener without metrics_listen');
    } finally {
      child.kill('SIGTERM');
      await waitFor('exit', () => child.exitCode !== null, 10_000);
    }
  });

  it('survives every attack with adverts on time, no transition, status answering', async () => {
    const file = path.join(t.dir, 'k.conf');
    writeFileSync(file, conf(true));
    const sock = path.join(t.dir, 'kts.sock');
    const { child, out } = t.daemon(file);
    const status = async () =>
      (await requestControl(sock, { cmd: 'status' })) as {
        instances: { state: string }[];
        reloads: number;
      };
    const window = async (name: string, attack: () => Promise<unknown>) => {
      const from = Date.now();
      const result = await attack();
      await sleep(from + 1000 - Date.now()); // a short attack is watched for a second
      const to = Date.now();
      await cap.waitAdvert(SELF, to + 100); // tshark prints with a delay
      const gaps = cap.advertGaps(SELF, from, to);
      report[name] = { ms: to - from, ...gaps, ...(result ? { result } : {}) };
      assert.equal(child.exitCode, null, `${name}: the daemon exited\n${out()}`);
      await waitFor(
        `${name}: status answers`,
        async () => {
          try {
            return (await status()).instances[0]?.state === 'MASTER';
          } catch {
            return false;
          }
        },
        8000,
        100,
      );
      assert.ok(gaps.adverts >= 5, `${name}: adverts captured: ${JSON.stringify(gaps)}`);
      assert.ok(gaps.max < MAX_GAP_MS, `${name}: advert gaps ${JSON.stringify(gaps)}`);
    };
    const attacker = async (mode: string, target = SELF) => {
      const r = await run('ip', [
        'netns',
        'exec',
        t.ns,
        process.execPath,
        path.join(__dirname, 'edge-attacker.js'),
        mode,
        target,
        '9650',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, number | number[]>;
    };
    try {
      await waitFor('MASTER', () => /-> MASTER/.test(out()), 10_000);
      const transitionsAtStart = (out().match(/-> [A-Z]+/g) ?? []).length;
      await waitFor('metrics', async () => (await attacker('scrape')).code === 200, 5000, 100);
      assert.deepEqual(await listeners(t.ns), [METRICS], 'listens on metrics_listen only');
      await window('idle', () => sleep(2000));

      // control socket: hundreds of silent clients, megabyte lines, garbage
      await window('control', async () => {
        const r = await attacker('control', sock);
        // 64 silent clients are served (until the client gives up), the rest refused at once
        assert.ok((r.silentRefused as number) >= 200, JSON.stringify(r));
        assert.equal(r.megabyteClosed, 20, JSON.stringify(r));
        assert.equal(r.garbageClosed, 50, JSON.stringify(r));
        return r;
      });

      // metrics: slowloris, huge headers, many connections
      await window('metrics-slowloris', async () => {
        const r = await attacker('slowloris');
        assert.equal(r.stillOpen, 0, `slowloris clients left open: ${JSON.stringify(r)}`);
        return r;
      });
      await window('metrics-headers', async () => {
        const r = await attacker('headers');
        // 431, or a reset when the daemon closes while the client still sends its 64 KiB
        const codes = r.codes as number[];
        assert.ok(codes.includes(431) && codes.every((c) => c === 431 || c === -1), `${codes}`);
        return r;
      });
      await window('metrics-connections', async () => {
        const r = await attacker('connections');
        assert.ok((r.ok as number) > 0, JSON.stringify(r));
        return r;
      });
      assert.equal((await attacker('scrape')).code, 200, 'metrics still scrape');

      // SIGHUP with hostile configs: each is refused and the running config kept
      const good = conf(true);
      const hostile: Record<string, string | Buffer> = {
        binary: Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) & 0xff)),
        nul: good.replace('priority 200', 'priority 2\u000000'),
        latin1: Buffer.from(
          good.replace('global_defs {', 'global_defs {\n router_id r\xe9'),
          'latin1',
        ),
        cycle: `${good}include k.conf\n`,
        huge: Buffer.alloc(9 << 20, '! padding\n'),
        'short-lines': good + 'a\n'.repeat(3 << 20),
      };
      for (const [name, text] of Object.entries(hostile))
        await window(`sighup-${name}`, async () => {
          const before = out().split('keeping the running one').length;
          writeFileSync(file, text);
          const sent = Date.now();
          child.kill('SIGHUP');
          await waitFor(
            `${name}: reload refused`,
            () => out().split('keeping the running one').length > before,
            30_000,
            20,
          );
          return { refusedAfterMs: Date.now() - sent };
        });
      writeFileSync(file, good);

      const st = await status();
      assert.equal(st.reloads, 0, 'no hostile config was applied');
      assert.equal(st.instances[0].state, 'MASTER');
      const transitions = out().match(/-> [A-Z]+/g) ?? [];
      assert.equal(
        transitions.length,
        transitionsAtStart,
        `no transition after the start\n${out()}`,
      );
    } finally {
      child.kill('SIGTERM');
    }
  });
});
