// Static and virtual routes/rules on a real kernel: keepalive-ts in a
// network namespace of this test's own (one veth, IPv4 and IPv6). As MASTER
// the routing tables and rule lists hold the virtual entries; while it runs
// the static ones; after SIGTERM neither (keepalived 2.2.7 removes static
// entries at exit too). When Debian's keepalived is installed the same
// config runs under it first and both must leave identical tables.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { which } from '../../scripts/lab/deps';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';

const BIN = path.resolve(__dirname, '../../../bin/keepalive-ts');
const ns = `ka-rt${process.pid % 100000}`;

const CONFIG = `global_defs {
  vrrp_version 3
}
static_ipaddress {
  198.51.100.99/32 dev lan0
}
static_routes {
  10.50.0.0/16 via 198.51.100.1 dev lan0
  2001:db8:50::/48 via 2001:db8::1 dev lan0 table 50
}
static_rules {
  from 10.50.0.0/16 table 50 priority 50
}
vrrp_instance VI_1 {
  state MASTER
  interface lan0
  virtual_router_id 51
  priority 150
  advert_int 0.1
  virtual_ipaddress {
    198.51.100.10/24
  }
  virtual_routes {
    10.60.0.0/16 via 198.51.100.1 dev lan0
    10.61.0.0/16 dev lan0 table 100 metric 7 mtu lock 1400 advmss 1300 src 198.51.100.10
    10.62.0.0/16 dev lan0 nexthop via 198.51.100.1 dev lan0 weight 1 nexthop via 198.51.100.2 dev lan0 weight 3
    blackhole 10.63.0.0/16 table 6909 no_track
    unreachable 10.64.0.0/16 no_track protocol static
    2001:db8:60::/48 via 2001:db8::1 dev lan0 metric 10
    2001:db8:61::/48 dev lan0 nexthop via 2001:db8::1 dev lan0 nexthop via 2001:db8::2 dev lan0
  }
  virtual_rules {
    from 10.60.0.0/16 table 100 priority 60
    not to 10.61.0.0/16 fwmark 0x10/0xff lookup 100 iif lan0 priority 61 sport 10-20 dport 80-80 ipproto tcp
    to 10.65.0.0/16 goto 100 priority 63
    from 10.66.0.0/16 blackhole priority 64 no_track
    from 2001:db8:60::/48 table 100 priority 62 uidrange 100-200
  }
}
`;

describe('static and virtual routes/rules (own namespace, real kernel)', function () {
  this.timeout(60_000);
  let dir: string;
  const procs: ChildProcess[] = [];
  const ex = (cmd: string, args: string[]) => must('ip', ['netns', 'exec', ns, cmd, ...args]);

  /** routes, rules and lan0's addresses, minus what the kernel sets by itself */
  async function tables() {
    const lines = async (args: string[]) =>
      (await ex('ip', args))
        .replace(/\n\s+nexthop/g, ' nexthop')
        .split('\n')
        .map((l) => l.trim().replace(/\s+/g, ' '))
        .filter((l) => l && !/\btable local\b|^fe80|^multicast|^ff00|proto kernel/.test(l));
    return {
      routes: await lines(['route', 'show', 'table', 'all']),
      routes6: await lines(['-6', 'route', 'show', 'table', 'all']),
      rules: await lines(['rule', 'show']),
      rules6: await lines(['-6', 'rule', 'show']),
      addresses: (await lines(['-o', 'addr', 'show', 'dev', 'lan0']))
        .map((l) => /inet6? (\S+)/.exec(l)?.[1] ?? '')
        .filter((a) => !a.startsWith('fe80')),
    };
  }
  type Tables = Awaited<ReturnType<typeof tables>>;

  function start(cmd: string[]) {
    let out = '';
    const p = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { p, out: () => out };
  }

  async function stop(p: ChildProcess) {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(10_000)]);
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }

  /** run a daemon until its virtual routes are there; the tables then and after its stop */
  async function cycle(cmd: string[]): Promise<{ master: Tables; after: Tables; log: string }> {
    const d = start(cmd);
    try {
      let master: Tables | undefined;
      await waitFor(
        'the virtual routes (MASTER)',
        async () => {
          // rules are set last: once the last one is there, a fresh look sees everything
          if (!(await tables()).rules6.some((r) => r.startsWith('62:'))) return false;
          master = await tables();
          return true;
        },
        20_000,
        50,
      );
      await stop(d.p);
      return { master: master!, after: await tables(), log: d.out() };
    } finally {
      await stop(d.p);
    }
  }

  let baseline: Tables;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-routes-'));
    writeFileSync(path.join(dir, 'k.conf'), CONFIG);
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    await ex('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=0']);
    await must('ip', ['-n', ns, 'addr', 'add', '198.51.100.11/24', 'dev', 'lan0']);
    await must('ip', ['-n', ns, 'addr', 'add', '2001:db8::11/64', 'dev', 'lan0', 'nodad']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan1', 'up']);
    baseline = await tables();
  });

  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await sleep(100);
    await run('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let ours: Awaited<ReturnType<typeof cycle>>;

  it('keepalive-ts as MASTER: the virtual and static routes, rules and addresses are set', async () => {
    const conf = path.join(dir, 'k.conf');
    assert.equal((await run(process.execPath, [BIN, '-t', '-f', conf])).code, 0);
    const t0 = Date.now();
    ours = await cycle([
      process.execPath,
      BIN,
      '-f',
      conf,
      '-n',
      '-l',
      '-p',
      path.join(dir, 'kts.pid'),
      '--control',
      path.join(dir, 'kts.sock'),
    ]);
    console.log(`      start -> all entries set -> stopped: ${Date.now() - t0} ms`);
    const m = ours.master;
    const want = [
      '10.50.0.0/16 via 198.51.100.1 dev lan0 proto keepalived',
      '10.60.0.0/16 via 198.51.100.1 dev lan0 proto keepalived',
      '10.61.0.0/16 dev lan0 table 100 proto keepalived src 198.51.100.10 metric 7 mtu lock 1400 advmss 1300',
      '10.62.0.0/16 proto keepalived nexthop via 198.51.100.1 dev lan0 weight 1 nexthop via 198.51.100.2 dev lan0 weight 3',
      'blackhole 10.63.0.0/16 table 6909 proto keepalived',
      'unreachable 10.64.0.0/16 proto static',
    ];
    for (const r of want) assert.ok(m.routes.includes(r), `${r}\nin:\n${m.routes.join('\n')}`);
    for (const r of [
      '2001:db8:50::/48 via 2001:db8::1 dev lan0 table 50 proto keepalived metric 1024 pref medium',
      '2001:db8:60::/48 via 2001:db8::1 dev lan0 proto keepalived metric 10 pref medium',
    ])
      assert.ok(m.routes6.includes(r), `${r}\nin:\n${m.routes6.join('\n')}`);
    assert.ok(
      m.routes6.some(
        (r) => r.startsWith('2001:db8:61::/48 ') && r.includes('nexthop via 2001:db8::2'),
      ),
    );
    for (const r of [
      '50: from 10.50.0.0/16 lookup 50 proto keepalived',
      '60: from 10.60.0.0/16 lookup 100 proto keepalived',
      '61: not from all to 10.61.0.0/16 fwmark 0x10/0xff iif lan0 ipproto tcp sport 10-20 dport 80 lookup 100 proto keepalived',
      '63: from all to 10.65.0.0/16 goto 100 [unresolved] proto keepalived',
      '64: from 10.66.0.0/16 blackhole',
    ])
      assert.ok(m.rules.includes(r), `${r}\nin:\n${m.rules.join('\n')}`);
    assert.ok(
      m.rules6.includes('62: from 2001:db8:60::/48 uidrange 100-200 lookup 100 proto keepalived'),
      m.rules6.join('\n'),
    );
    assert.deepEqual(m.addresses.sort(), [
      '198.51.100.10/24',
      '198.51.100.11/24',
      '198.51.100.99/32',
      '2001:db8::11/64',
    ]);
  });

  it('after SIGTERM nothing of it is left (virtual and static alike)', () => {
    assert.deepEqual(ours.after, baseline, ours.log);
  });

  it('Debian keepalived 2.2.7 sets the same tables from the same config and leaves the same', async function () {
    if (!which('keepalived')) this.skip();
    const k = await cycle([
      'keepalived',
      '--vrrp',
      '-n',
      '-l',
      '-D',
      '-f',
      path.join(dir, 'k.conf'),
      '-p',
      path.join(dir, 'ka.pid'),
      '-r',
      path.join(dir, 'ka-vrrp.pid'),
      '-c',
      path.join(dir, 'ka-check.pid'),
    ]);
    const sorted = (t: Tables) =>
      Object.fromEntries(Object.entries(t).map(([key, v]) => [key, [...v].sort()]));
    assert.deepEqual(sorted(ours.master), sorted(k.master));
    assert.deepEqual(k.after, baseline, k.log);
  });
});
