// bind_if, bind_port and fwmark of every network checker, end to end in two
// namespaces of the test's own: keepalive-ts runs in C, which reaches the
// server S two ways: through a0 (its main route, metric 10; S drops what
// arrives there) and through b0 (a route of metric 100). A checker with
// `bind_if b0` must pass (SO_BINDTODEVICE: the lookup takes b0's route), the
// same checker without it must fail. The server prints the source port of
// each probe (bind_port); an nftables output chain in C counts each checker's
// `meta mark` (fwmark). A TCP_CHECK to S's link-local fe80::2 passes with
// bind_if b0 (its scope) and fails with bind_if a0.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run, waitFor } from '../../scripts/lab/sys';
import { BIN, spawnDaemon } from '../interop/netns-daemon';

const TARGET = '203.0.113.100';
const C = `lab-pc${process.pid % 100000}`;
const S = `lab-ps${process.pid % 100000}`;

/** per checker: the virtual server's port, the bind_port and the fwmark of its optioned real server */
const CHECKERS = [
  { type: 'TCP_CHECK', vport: 80, bindPort: 41001, mark: 0x101, body: 'connect_port 80' },
  {
    type: 'HTTP_GET',
    vport: 81,
    bindPort: 41002,
    mark: 0x102,
    body: 'connect_port 80\n url {\n path /\n status_code 200\n }',
  },
  {
    type: 'UDP_CHECK',
    vport: 7,
    bindPort: 41003,
    mark: 0x103,
    body: 'connect_port 7\n require_reply',
    udp: true,
  },
  {
    type: 'DNS_CHECK',
    vport: 53,
    bindPort: 41004,
    mark: 0x104,
    body: 'connect_port 53\n type A\n name example.org',
    udp: true,
  },
  { type: 'PING_CHECK', vport: 82, mark: 0x105, body: '' },
];

/** TCP_CHECK to S's link-local address on b1: reachable only with bind_if b0 (its scope) */
const LINK_LOCAL = `virtual_server 198.51.100.50 83 {
 lvs_sched rr
 protocol TCP
 real_server 203.0.113.102 83 {
  TCP_CHECK {
   connect_ip fe80::2
   connect_port 80
   bind_if b0
   connect_timeout 1
   retry 0
   warmup 0
   delay_loop 30
  }
 }
 real_server 203.0.113.103 83 {
  TCP_CHECK {
   connect_ip fe80::2
   connect_port 80
   bind_if a0
   connect_timeout 1
   retry 0
   warmup 0
   delay_loop 30
  }
 }
}
`;

function conf(): string {
  const vs = CHECKERS.map((c) => {
    const common = `connect_ip ${TARGET}\n connect_timeout 1\n retry 0\n warmup 0\n delay_loop 30\n ${c.body}`;
    const opts = `bind_if b0\n fwmark ${c.mark}${c.bindPort ? `\n bind_port ${c.bindPort}` : ''}`;
    return `virtual_server 198.51.100.50 ${c.vport} {
 lvs_sched rr
 protocol ${c.udp ? 'UDP' : 'TCP'}
 real_server 203.0.113.100 ${c.vport} {
  ${c.type} {
   ${common}
   ${opts}
  }
 }
 real_server 203.0.113.101 ${c.vport} {
  ${c.type} {
   ${common}
  }
 }
}
`;
  });
  return `global_defs {\n lvs_backend nftables\n}\n${vs.join('')}${LINK_LOCAL}`;
}

interface RsStatus {
  address: string;
  port: number;
  up: boolean;
  checks: { type: string; up: boolean; lastResult?: string }[];
}

describe('checker bind_if, bind_port, fwmark (netns)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: ChildProcess | undefined;
  let daemon: ChildProcess | undefined;
  let out = '';
  const seen: { proto: string; from: string; port: number }[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-probesock-'));
    await must('ip', ['netns', 'add', C]);
    await must('ip', ['netns', 'add', S]);
    const sh = (cmd: string) => must('sh', ['-c', cmd]);
    await sh(
      [
        `ip -n ${C} link set lo up`,
        `ip -n ${S} link set lo up`,
        `ip link add a0 netns ${C} type veth peer name a1 netns ${S}`,
        `ip link add b0 netns ${C} type veth peer name b1 netns ${S}`,
        `ip -n ${C} addr add 198.51.100.1/24 dev a0`,
        `ip -n ${C} addr add 203.0.113.1/24 dev b0`,
        `ip -n ${S} addr add 198.51.100.2/24 dev a1`,
        `ip -n ${S} addr add 203.0.113.2/24 dev b1`,
        `ip -n ${S} addr add ${TARGET}/32 dev lo`,
        `for l in a0 b0; do ip -n ${C} link set $l up; done`,
        `for l in a1 b1; do ip -n ${S} link set $l up; done`,
        `ip netns exec ${C} sysctl -qw net.ipv6.conf.all.disable_ipv6=0`,
        `ip netns exec ${S} sysctl -qw net.ipv6.conf.all.disable_ipv6=0`,
        `ip -n ${C} addr add fe80::1/64 dev b0 nodad`,
        `ip -n ${C} addr add fe80::1/64 dev a0 nodad`,
        `ip -n ${S} addr add fe80::2/64 dev b1 nodad`,
        `ip -n ${S} addr add fe80::3/64 dev a1 nodad`,
        `ip -n ${C} route add ${TARGET}/32 via 198.51.100.2 dev a0 metric 10`,
        `ip -n ${C} route add ${TARGET}/32 via 203.0.113.2 dev b0 metric 100`,
      ].join(' && '),
    );
    await must('ip', [
      'netns',
      'exec',
      S,
      'nft',
      'add table inet f; add chain inet f in { type filter hook input priority 0; }; add rule inet f in iifname "a1" drop',
    ]);
    await must('ip', [
      'netns',
      'exec',
      C,
      'nft',
      [
        'add table inet pm',
        'add chain inet pm out { type filter hook output priority 0; }',
        ...CHECKERS.map((c) => `add rule inet pm out meta mark ${c.mark} counter`),
      ].join('; '),
    ]);
    server = spawn(
      'ip',
      ['netns', 'exec', S, process.execPath, path.join(__dirname, 'probe-server.js'), TARGET],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buf = '';
    let ready = false;
    server.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const o = JSON.parse(buf.slice(0, nl)) as {
          ready?: true;
          proto: string;
          from: string;
          port: number;
        };
        buf = buf.slice(nl + 1);
        if (o.ready) ready = true;
        else seen.push(o);
      }
    });
    await waitFor('probe server', () => ready, 10_000, 50);
  });

  after(async () => {
    daemon?.kill('SIGKILL');
    server?.kill('SIGKILL');
    for (const ns of [C, S]) {
      const r = await run('ip', ['netns', 'pids', ns]);
      for (const pid of r.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
      await run('ip', ['netns', 'del', ns]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('the route without bind_if is dead: plain connect from C fails, via b0 it works', async () => {
    const probe = (dev?: string) =>
      run('ip', ['netns', 'exec', C, 'ping', '-c1', '-W1', ...(dev ? ['-I', dev] : []), TARGET]);
    assert.notEqual((await probe()).code, 0, 'main route (a0) must not reach the target');
    assert.equal((await probe('b0')).code, 0, 'b0 must reach the target');
  });

  it('every checker with bind_if b0 passes, without it fails; bind_port and fwmark are on the wire', async () => {
    const file = path.join(dir, 'k.conf');
    writeFileSync(file, conf());
    const t0 = Date.now();
    daemon = spawnDaemon(C, file, dir, (t) => (out += t));
    const status = async (): Promise<RsStatus[]> => {
      const r = await run(process.execPath, [
        BIN,
        'status',
        '--json',
        '--control',
        path.join(dir, 'kts.sock'),
      ]);
      if (r.code !== 0) return [];
      const s = JSON.parse(r.stdout) as { virtualServers: { servers: RsStatus[] }[] };
      return s.virtualServers.flatMap((v) => v.servers);
    };
    let last: RsStatus[] = [];
    const settled = (l: RsStatus[]) =>
      l.length === 2 * CHECKERS.length + 2 &&
      l.every((s) =>
        s.address === TARGET || s.address === '203.0.113.102'
          ? s.up && s.checks[0].lastResult === 'ok'
          : !s.up && s.checks[0].lastResult !== undefined,
      );
    try {
      await waitFor(
        'optioned real servers ok, the others down',
        async () => settled((last = await status())),
        15_000,
        100,
      );
    } catch (e) {
      console.log(JSON.stringify(last, null, 1), out, JSON.stringify(seen));
      throw e;
    }
    console.log(`      all ${last.length} verdicts in ${Date.now() - t0} ms`);
    for (const s of last)
      if (s.address !== TARGET && s.address !== '203.0.113.102')
        assert.ok(s.checks[0].lastResult !== 'ok', `${s.address}:${s.port} without bind_if`);

    // bind_if scopes a link-local target: the server saw it from b0's fe80::1
    assert.ok(
      seen.some((x) => x.proto === 'tcp' && /^fe80::1%b1$/.test(x.from)),
      `no link-local TCP probe: ${JSON.stringify(seen)}`,
    );
    // bind_port: the server saw each optioned checker's source port, from b0's address
    for (const c of CHECKERS.filter((x) => x.bindPort)) {
      const proto = c.type === 'UDP_CHECK' ? 'udp' : c.type === 'DNS_CHECK' ? 'dns' : 'tcp';
      assert.ok(
        seen.some((x) => x.proto === proto && x.port === c.bindPort && x.from === '203.0.113.1'),
        `${c.type}: no ${proto} probe from port ${c.bindPort}: ${JSON.stringify(seen)}`,
      );
    }
    // fwmark: each checker's mark counted in C's output chain
    const listed = await must('ip', ['netns', 'exec', C, 'nft', 'list', 'table', 'inet', 'pm']);
    for (const c of CHECKERS) {
      const hex = `0x${c.mark.toString(16).padStart(8, '0')}`;
      const m = new RegExp(`meta mark ${hex} counter packets (\\d+)`).exec(listed);
      assert.ok(m && Number(m[1]) > 0, `${c.type}: mark ${hex} not counted:\n${listed}`);
    }
  });
});
