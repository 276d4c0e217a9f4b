// BFD_CHECK end to end in two namespaces of the test's own: keepalive-ts in D
// runs bfd_instance to_p (in its VRRP thread) toward a second keepalive-ts in
// P, and a virtual server whose real server P follows that session. Dropping
// BFD in D's input takes the session down within its detection time (10 ms x
// 5, keepalived's defaults) and the real server out of the nftables NAT map;
// the heal puts it back. A real server without checkers stays throughout.
// Times come from the daemon's log stamps and from polling nft.
import { strict as assert } from 'node:assert';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';
import { spawnDaemon } from '../interop/netns-daemon';

const D = `lab-bd${process.pid % 100000}`;
const P = `lab-bp${process.pid % 100000}`;
const D_IP = '198.51.100.1';
const P_IP = '198.51.100.2';
const OTHER = '198.51.100.3';
const DETECT_MS = 5 * 10;

const dConf = `global_defs {
 lvs_backend nftables
}
bfd_instance to_p {
 neighbor_ip ${P_IP}
 source_ip ${D_IP}
}
virtual_server 198.51.100.50 80 {
 lvs_sched rr
 protocol TCP
 real_server ${P_IP} 80 {
  BFD_CHECK {
   name to_p
  }
 }
 real_server ${OTHER} 80 {
 }
}
`;
const pConf = `bfd_instance to_d {
 neighbor_ip ${D_IP}
 source_ip ${P_IP}
}
`;

/** the epoch ms of the first log line after `after` matching `re` */
function stamp(log: string, re: RegExp, after: number): number | undefined {
  for (const line of log.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s/.exec(line);
    if (!m || !re.test(line)) continue;
    const t = Date.parse(m[1]);
    if (t >= after) return t;
  }
  return undefined;
}

describe('BFD_CHECK: a real server following a BFD session of the VRRP side (netns)', function () {
  this.timeout(60_000);
  let dir: string;
  const daemons: ChildProcess[] = [];
  let dOut = '';
  let pOut = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-bfdcheck-'));
    await must('ip', ['netns', 'add', D]);
    await must('ip', ['netns', 'add', P]);
    await must('sh', [
      '-c',
      [
        `ip -n ${D} link set lo up`,
        `ip -n ${P} link set lo up`,
        `ip link add d0 netns ${D} type veth peer name p0 netns ${P}`,
        `ip -n ${D} addr add ${D_IP}/24 dev d0`,
        `ip -n ${P} addr add ${P_IP}/24 dev p0`,
        `ip -n ${D} link set d0 up`,
        `ip -n ${P} link set p0 up`,
      ].join(' && '),
    ]);
  });

  after(async () => {
    for (const c of daemons) c.kill('SIGKILL');
    for (const ns of [D, P]) {
      const r = await run('ip', ['netns', 'pids', ns]);
      for (const pid of r.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
      await run('ip', ['netns', 'del', ns]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('session down: the real server leaves the dataplane and status; up: it is back', async () => {
    const dDir = path.join(dir, 'd');
    const pDir = path.join(dir, 'p');
    for (const [d, c] of [
      [dDir, dConf],
      [pDir, pConf],
    ]) {
      await must('mkdir', ['-p', d]);
      writeFileSync(path.join(d, 'k.conf'), c);
    }
    daemons.push(spawnDaemon(P, path.join(pDir, 'k.conf'), pDir, (t) => (pOut += t)));
    daemons.push(spawnDaemon(D, path.join(dDir, 'k.conf'), dDir, (t) => (dOut += t)));
    const natMap = async () =>
      (await run('ip', ['netns', 'exec', D, 'nft', 'list', 'table', 'ip', 'keepalive_ts_nat']))
        .stdout;
    const inMap = async (ip: string) => (await natMap()).includes(ip);
    const status = async () => {
      const r = await run(process.execPath, [
        path.resolve(__dirname, '../../../bin/keepalive-ts'),
        'status',
        '--json',
        '--control',
        path.join(dDir, 'kts.sock'),
      ]);
      const s = JSON.parse(r.stdout) as {
        virtualServers: {
          servers: {
            address: string;
            up: boolean;
            inService: boolean;
            checks: { type: string }[];
          }[];
        }[];
      };
      return s.virtualServers[0].servers;
    };
    const show = () => `--- D\n${dOut}\n--- P\n${pOut}`;

    try {
      await waitFor(
        'session up, both real servers in the map',
        // (before the first session state arrives the server is up: no alpha, as keepalived)
        async () => {
          if (!/bfd to_p: Up/.test(dOut)) return false;
          const m = await natMap();
          return m.includes(P_IP) && m.includes(OTHER);
        },
        15_000,
        50,
      );
    } catch (e) {
      console.log(show());
      throw e;
    }
    let rs = (await status()).find((s) => s.address === P_IP)!;
    assert.ok(rs.up && rs.inService, 'BFD-tracked real server up and in service');
    assert.deepEqual(
      rs.checks.map((c) => c.type),
      ['BFD_CHECK'],
    );

    // steady state first: D goes Up on P's Init, P only on D's next packet, up
    // to 1 s later (slow timers while not Up); until both are Up and have
    // polled to 10 ms, a cut is detected after 5 x 1 s (seen: 4.4 and 4.9 s)
    await waitFor('P Up too', () => /bfd to_d: Up/.test(pOut), 5000, 20);
    await sleep(500);
    // cut: D hears no more BFD from P
    const t0 = Date.now();
    await must('ip', [
      'netns',
      'exec',
      D,
      'nft',
      'add table inet cut; add chain inet cut in { type filter hook input priority -10; }; add rule inet cut in udp dport 3784 drop',
    ]);
    const tCut = Date.now();
    await waitFor('real server out of the map', async () => !(await inMap(P_IP)), 5000, 10);
    const tGone = Date.now();
    assert.ok(await inMap(OTHER), 'the other real server stays');
    rs = (await status()).find((s) => s.address === P_IP)!;
    assert.ok(!rs.up && !rs.inService, 'down in status');
    await waitFor(
      'log lines',
      () => stamp(dOut, new RegExp(`real server ${P_IP}:80 DOWN`), t0 - 5) !== undefined,
      2000,
      20,
    );
    const bfdDown = stamp(dOut, /bfd to_p: Down/, t0 - 5)!;
    const rsDown = stamp(dOut, new RegExp(`real server ${P_IP}:80 DOWN`), t0 - 5)!;

    // heal
    const t1 = Date.now();
    await must('ip', ['netns', 'exec', D, 'nft', 'delete table inet cut']);
    await waitFor('real server back in the map', () => inMap(P_IP), 10_000, 10);
    const tBack = Date.now();
    rs = (await status()).find((s) => s.address === P_IP)!;
    assert.ok(rs.up && rs.inService, 'up again in status');
    const bfdUp = stamp(dOut, /bfd to_p: Up/, t1 - 5)!;
    const rsUp = stamp(dOut, new RegExp(`real server ${P_IP}:80 UP`), t1 - 5)!;

    console.log(
      `      cut (nft add ${tCut - t0} ms) -> bfd Down ${bfdDown - tCut} ms (detection ${DETECT_MS} ms) -> RS DOWN logged ${rsDown - tCut} ms -> gone from nft (polled) ${tGone - tCut} ms`,
    );
    console.log(
      `      heal -> bfd Up ${bfdUp - t1} ms -> RS UP logged ${rsUp - t1} ms -> back in nft (polled) ${tBack - t1} ms`,
    );
    assert.ok(bfdDown - t0 <= DETECT_MS + 100 + (tCut - t0), `BFD down after ${bfdDown - t0} ms`);
    assert.ok(rsDown - bfdDown <= 50, `RS down ${rsDown - bfdDown} ms after the session`);
  });
});
