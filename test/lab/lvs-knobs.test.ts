// keepalived's LVS knobs on the nftables backend, end to end in the lab:
// persistence_granularity, sh with sh-port and sh-fallback, sorry_server
// (with sorry_server_inhibit), lvs_netlink_monitor_rcv_bufs. Clients of
// several source addresses: cl gets extra addresses in two /24s (the second
// one, 203.0.113.0/24, on-link on the first segment, so the DR real servers
// answer them directly).
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import type { Lab } from '../../scripts/lab/lab';
import { LabDaemon, VIP, vrrpConf } from '../../scripts/lab/daemons';
import { waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';

const RS = { rs1: '198.51.100.21', rs2: '198.51.100.22' };
/** six client addresses in each of two /24s */
const NET_A = [60, 61, 62, 63, 64, 65].map((n) => `203.0.113.${n}`);
const NET_B = [230, 231, 232, 233, 234, 235].map((n) => `198.51.100.${n}`);
const SOURCES = [...NET_A, ...NET_B];
const SORRY_PORT = 8081;

const check =
  'TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }';
const vs = (body: string, method = 'DR', rsExtra = '') =>
  `virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_kind ${method}\n  protocol TCP\n${body}` +
  Object.values(RS)
    .map((ip) => `  real_server ${ip} 80 {\n    weight 1\n${rsExtra}    ${check}\n  }\n`)
    .join('') +
  '}\n';

describe('LVS knobs on nftables (lab)', function () {
  this.timeout(180_000);
  let lab: Lab;
  let running: LabDaemon | undefined;
  let sorryPid: number | undefined;

  const sh = async (host: string, cmd: string) => {
    const r = await lab.exec(host, ['sh', '-c', cmd]);
    if (r.code !== 0) throw new Error(`${host}: ${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  /** One request from `src`: the answering server's name, or curl's exit code (28: timeout) */
  const get = async (src: string, port = 80) => {
    const r = await lab.exec('cl', [
      'curl',
      '-s',
      '-m',
      '2',
      '--interface',
      src,
      `http://${VIP}:${port}/`,
    ]);
    return r.code === 0 ? r.stdout.trim() : `exit ${r.code}`;
  };
  const answers = async (srcs: string[]) => {
    const out: Record<string, string> = {};
    for (const s of srcs) out[s] = await get(s);
    return out;
  };
  const status = async () =>
    (
      (await running!.status()) as unknown as {
        virtualServers: { quorumUp: boolean; sorry: boolean; servers: { up: boolean }[] }[];
      }
    ).virtualServers[0];
  const start = async (conf: string, global = '') => {
    running = new LabDaemon(
      lab,
      'd1',
      'ks',
      vrrpConf({
        priority: 100,
        version: 2,
        advertInt: 1,
        global: `  lvs_backend nftables\n${global}`,
      }).replace(/198\.51\.100\.10\/24/, '198.51.100.10/32') + conf,
    );
    await running.start();
    await waitFor(
      'VIP on d1 and both servers up',
      async () =>
        (await sh('d1', 'ip -o addr show dev lan0')).includes(VIP) &&
        (await status()).servers.every((s) => s.up),
      20_000,
    );
  };
  const stop = async () => {
    await running?.stop().catch(() => {});
    running = undefined;
  };

  before(async () => {
    lab = await sharedLab();
    for (const h of ['rs1', 'rs2'])
      await sh(
        h,
        `sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lan0.arp_ignore=1 net.ipv4.conf.lan0.arp_announce=2; ip addr add ${VIP}/32 dev lo 2>/dev/null; ip route replace 203.0.113.0/24 dev lan0; true`,
      );
    for (const a of SOURCES) await sh('cl', `ip addr add ${a}/32 dev lan0 2>/dev/null; true`);
  });
  after(async () => {
    for (const h of ['rs1', 'rs2'])
      await sh(
        h,
        `sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.lan0.arp_ignore=0 net.ipv4.conf.lan0.arp_announce=0; ip addr del ${VIP}/32 dev lo 2>/dev/null; ip route del 203.0.113.0/24 dev lan0 2>/dev/null; true`,
      );
    for (const a of SOURCES) await sh('cl', `ip addr del ${a}/32 dev lan0 2>/dev/null; true`);
  });
  afterEach(async () => {
    await stop();
    if (sorryPid) {
      try {
        process.kill(sorryPid, 'SIGKILL');
      } catch {
        /* gone */
      }
      sorryPid = undefined;
      // the lab's hosts share the machine's /tmp
      rmSync('/tmp/kts-sorry', { recursive: true, force: true });
    }
    for (const h of ['rs1', 'rs2']) await lab.httpService(h, true);
    await sh(
      'd1',
      'nft delete table netdev keepalive_ts 2>/dev/null; nft delete table ip keepalive_ts_nat 2>/dev/null; sysctl -qw net.ipv4.ip_forward=0; ip addr del 198.51.100.10/32 dev lan0 2>/dev/null; true',
    );
  });

  it('persistence_granularity 255.255.255.0: clients of one /24 stick to one real server; per address they spread', async () => {
    await start(
      vs('  lb_algo rr\n  persistence_timeout 60\n  persistence_granularity 255.255.255.0\n'),
    );
    assert.match(
      await sh('d1', 'nft list table netdev keepalive_ts'),
      /fwd ip to jhash ip saddr & 255\.255\.255\.0 mod 251/,
    );
    const grouped = await answers(SOURCES);
    for (const net of [NET_A, NET_B]) {
      const servers = new Set(net.map((a) => grouped[a]));
      assert.equal(servers.size, 1, JSON.stringify(grouped));
      assert.match([...servers][0], /^rs[12]$/, JSON.stringify(grouped));
    }
    // the same clients without the granularity: each address on its own
    await stop();
    await start(vs('  lb_algo rr\n  persistence_timeout 60\n'));
    const single = await answers(SOURCES);
    assert.ok(
      Object.values(single).every((s) => /^rs[12]$/.test(s)),
      JSON.stringify(single),
    );
    const split = [NET_A, NET_B].filter((net) => new Set(net.map((a) => single[a])).size > 1);
    assert.ok(split.length > 0, `no /24 spread over both servers: ${JSON.stringify(single)}`);
    // and again, requests of one client stay on its server
    for (const a of SOURCES.slice(0, 3)) assert.equal(await get(a), single[a]);
  });

  it('lb_algo sh: one server per client address; sh-port spreads one client over both', async () => {
    const spread = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(await get(NET_B[0]));
      return [...seen].sort();
    };
    await start(vs('  lb_algo sh\n'));
    assert.match(await sh('d1', 'nft list table netdev keepalive_ts'), /jhash ip saddr mod 251/);
    assert.equal((await spread()).length, 1);
    await stop();
    await start(vs('  lb_algo sh\n  sh-port\n'));
    assert.match(
      await sh('d1', 'nft list table netdev keepalive_ts'),
      /jhash ip saddr \. tcp sport mod 251/,
    );
    assert.deepEqual(await spread(), ['rs1', 'rs2']);
  });

  it('sh without sh-fallback: new flows of an inhibited server are dropped; with sh-fallback they go to the other', async () => {
    const run = async (fallback: boolean) => {
      await start(
        vs(`  lb_algo sh\n${fallback ? '  sh-fallback\n' : ''}`, 'DR', '    inhibit_on_failure\n'),
      );
      const before = await answers(SOURCES);
      const onRs2 = SOURCES.filter((a) => before[a] === 'rs2');
      const onRs1 = SOURCES.filter((a) => before[a] === 'rs1');
      assert.ok(onRs2.length > 0 && onRs1.length > 0, JSON.stringify(before));
      await lab.httpService('rs2', false);
      await waitFor('rs2 down', async () => !(await status()).servers[1].up, 15_000);
      await waitFor(
        'the ruleset to follow',
        async () => /drop/.test(await sh('d1', 'nft list table netdev keepalive_ts')) !== fallback,
        5_000,
      );
      const after = await answers(SOURCES);
      for (const a of onRs1) assert.equal(after[a], 'rs1', JSON.stringify(after));
      for (const a of onRs2)
        assert.equal(after[a], fallback ? 'rs1' : 'exit 28', JSON.stringify(after));
      await stop();
      await lab.httpService('rs2', true);
      return onRs2.length;
    };
    const moved = await run(false);
    assert.equal(await run(true), moved, 'the same clients hashed to rs2 both times');
  });

  it('sorry_server (with sorry_server_inhibit): quorum lost -> the sorry server alone; regained -> the real servers', async () => {
    // the sorry server: a second HTTP on rs1, NAT (so its port may differ)
    await sh('rs1', 'mkdir -p /tmp/kts-sorry && echo sorry > /tmp/kts-sorry/index.html');
    sorryPid = Number(
      await sh(
        'rs1',
        `busybox httpd -f -p ${SORRY_PORT} -h /tmp/kts-sorry >/dev/null 2>&1 & echo $!`,
      ),
    );
    await sh('d1', 'sysctl -qw net.ipv4.ip_forward=1');
    await start(
      vs(
        `  lb_algo rr\n  quorum 2\n  sorry_server ${RS.rs1} ${SORRY_PORT}\n  sorry_server_inhibit\n`,
        'NAT',
      ),
    );
    const nat = () => sh('d1', 'nft list table ip keepalive_ts_nat');
    // weight 0 takes no new connections: not in the table while quorum is up
    assert.doesNotMatch(await nat(), new RegExp(`${SORRY_PORT}`));
    const names = async () => new Set(await Promise.all(NET_B.map((a) => get(a))));
    assert.deepEqual([...(await names())].sort(), ['rs1', 'rs2']);
    await lab.httpService('rs2', false);
    await waitFor('quorum lost', async () => (await status()).sorry, 15_000);
    await waitFor('sorry in the table', async () => (await nat()).includes(`${SORRY_PORT}`), 5000);
    assert.deepEqual([...(await names())], ['sorry']);
    await lab.httpService('rs2', true);
    await waitFor('quorum back', async () => (await status()).quorumUp, 15_000);
    await waitFor(
      'sorry out of the table',
      async () => !(await nat()).includes(`${SORRY_PORT}`),
      5000,
    );
    assert.deepEqual([...(await names())].sort(), ['rs1', 'rs2']);
  });

  it('lvs_netlink_monitor_rcv_bufs(_force) sizes the nftables event socket (ss -m)', async () => {
    await start(
      vs('  lb_algo rr\n'),
      '  lvs_netlink_monitor_rcv_bufs 400000\n  lvs_netlink_monitor_rcv_bufs_force\n',
    );
    const bufs = async () =>
      (await sh('d1', 'ss -f netlink -m -p'))
        .split('\n')
        .filter((l) => l.includes('nft:'))
        .map((l) => Number(/rb(\d+)/.exec(l)?.[1] ?? 0));
    // beyond net.core.rmem_max: only SO_RCVBUFFORCE gets it (the kernel doubles the value)
    const b = await bufs();
    assert.ok(
      b.includes(800000),
      `nft sockets: ${b.join(',')}\n${await sh('d1', 'ss -f netlink -m -p')}`,
    );
  });
});
