// Three namespaces of a test's own for active-active: a director (d), an
// upstream router (r) and a real server (s).
//   d lan0 198.51.100.11/24 <-> r lan0 198.51.100.1/24   (BGP)
//   d rs0  203.0.113.1/24   <-> s eth0 203.0.113.21/24   (the checked real server)
// BIRD runs in d and r with sockets and logs in a scratch directory; close()
// kills everything in the three namespaces, deletes them and the directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run } from '../../scripts/lab/sys';

export const VIP = '198.51.100.10';
export const DIRECTOR = '198.51.100.11';
export const ROUTER = '198.51.100.1';
export const REAL_SERVER = '203.0.113.21';

/** The director's BIRD: the VIP route behind a protocol that starts disabled (as templates/bird-director.conf.hbs). */
const directorBird = `log stderr all;
router id ${DIRECTOR};
protocol device {}
protocol static vip_announce {
  disabled yes;
  ipv4;
  route ${VIP}/32 blackhole;
}
protocol bgp upstream {
  local ${DIRECTOR} as 65001;
  neighbor ${ROUTER} as 65000;
  hold time 3; keepalive time 1; connect retry time 1; start delay time 1;
  error wait time 1, 2;
  ipv4 { import none; next hop self; export filter { if proto != "vip_announce" then reject; accept; }; };
}
`;

const routerBird = `log stderr all;
router id ${ROUTER};
protocol device {}
protocol bgp director1 {
  local ${ROUTER} as 65000;
  neighbor ${DIRECTOR} as 65001;
  hold time 3; keepalive time 1; connect retry time 1; start delay time 1;
  error wait time 1, 2;
  ipv4 { import all; export none; };
}
`;

export interface BgpNetns {
  d: string;
  r: string;
  s: string;
  dir: string;
  /** the director's BIRD control socket */
  directorSocket: string;
  startBird(which: 'd' | 'r'): Promise<number>;
  /** SIGKILL a BIRD (a crash) */
  killBird(which: 'd' | 'r'): Promise<void>;
  /** does the router have a route to the VIP (learned from the director)? */
  routerHasVip(): Promise<boolean>;
  /** a TCP listener on the real server's port 80 (its pid), or kill it */
  startRealServer(): number;
  killRealServer(): Promise<void>;
  close(): Promise<void>;
}

const exec = (ns: string, script: string) => must('ip', ['netns', 'exec', ns, 'sh', '-c', script]);

export async function bgpNetns(): Promise<BgpNetns> {
  const tag = process.pid % 100000;
  const [d, r, s] = ['d', 'r', 's'].map((x) => `lab-bgp${x}${tag}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'kts-bgp-'));
  const pids = { d: 0, r: 0, s: 0 };
  const sock = (w: 'd' | 'r') => path.join(dir, `bird-${w}.ctl`);
  const env: BgpNetns = {
    d,
    r,
    s,
    dir,
    directorSocket: sock('d'),
    async startBird(w) {
      const conf = path.join(dir, `bird-${w}.conf`);
      writeFileSync(conf, w === 'd' ? directorBird : routerBird);
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          w === 'd' ? d : r,
          'bird',
          '-f',
          '-c',
          conf,
          '-s',
          sock(w),
          '-P',
          path.join(dir, `bird-${w}.pid`),
        ],
        { stdio: 'ignore' },
      );
      pids[w] = child.pid!;
      // ready when its control socket answers
      for (let i = 0; i < 100; i++) {
        const ok = await run('birdc', ['-s', sock(w), 'show', 'status']);
        if (ok.code === 0 && /Daemon is up/.test(ok.stdout)) return pids[w];
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`bird in ${w} did not come up`);
    },
    async killBird(w) {
      if (pids[w]) await run('kill', ['-9', String(pids[w])]);
      pids[w] = 0;
      await new Promise((res) => setTimeout(res, 50));
    },
    async routerHasVip() {
      const out = await run('birdc', ['-s', sock('r'), 'show', 'route', `${VIP}/32`]);
      return out.code === 0 && out.stdout.includes(`${VIP}/32`);
    },
    startRealServer() {
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          s,
          process.execPath,
          '-e',
          `require('net').createServer((c) => c.end()).listen(80, '${REAL_SERVER}')`,
        ],
        { stdio: 'ignore' },
      );
      pids.s = child.pid!;
      return pids.s;
    },
    async killRealServer() {
      if (pids.s) await run('kill', ['-9', String(pids.s)]);
      pids.s = 0;
    },
    async close() {
      for (const ns of [d, r, s]) {
        const p = await run('ip', ['netns', 'pids', ns]);
        for (const pid of p.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
        await run('ip', ['netns', 'del', ns]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const ns of [d, r, s]) await must('ip', ['netns', 'add', ns]);
    const veth = (a: string, ns1: string, b: string, ns2: string) =>
      must('ip', `link add ${a} netns ${ns1} type veth peer name ${b} netns ${ns2}`.split(' '));
    await veth('lan0', d, 'lan0', r);
    await veth('rs0', d, 'eth0', s);
    await exec(
      d,
      `ip link set lo up; ip link set lan0 up; ip addr add ${DIRECTOR}/24 dev lan0; ip link set rs0 up; ip addr add 203.0.113.1/24 dev rs0`,
    );
    await exec(r, `ip link set lo up; ip link set lan0 up; ip addr add ${ROUTER}/24 dev lan0`);
    await exec(s, `ip link set lo up; ip link set eth0 up; ip addr add ${REAL_SERVER}/24 dev eth0`);
  } catch (e) {
    await env.close();
    throw e;
  }
  return env;
}
