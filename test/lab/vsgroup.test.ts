// virtual_server_group and fwmark services on the nftables backend, end to
// end: keepalive-ts on d1 (DR), busybox HTTP on rs1/rs2, requests from cl.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Lab } from '../../scripts/lab/lab';
import { LabDaemon, ROOT, vrrpConf } from '../../scripts/lab/daemons';
import { waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';

const PROBE = path.join(ROOT, 'dist/scripts/lab/http-probe.js');
// two VIPs of our own (.10 is the other tests' VIP; .11 is d1's address)
const VIP = '198.51.100.40';
const VIP2 = '198.51.100.41';
const RS = ['198.51.100.21', '198.51.100.22'];

const realServers = (check = 'TCP_CHECK {\n      connect_timeout 1\n      retry 1\n    }') =>
  RS.map((ip) => `  real_server ${ip} 80 {\n    weight 1\n    ${check}\n  }\n`).join('');

describe('virtual_server_group and fwmark on nftables (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let running: LabDaemon | undefined;

  const probe = async (address: string, count = 200) => {
    const r = await lab.exec(
      'cl',
      [
        process.execPath,
        PROBE,
        '--url',
        `http://${address}/`,
        '--count',
        `${count}`,
        '--timeout',
        '2000',
      ],
      { timeoutMs: 60_000 },
    );
    if (r.code !== 0) throw new Error(`http-probe: ${r.stderr}`);
    return JSON.parse(r.stdout) as { counts: Record<string, number>; errors: number };
  };
  const start = async (vs: string, global = '') => {
    const conf =
      vrrpConf({
        priority: 100,
        version: 2,
        advertInt: 1,
        global: `  lvs_backend nftables\n${global}`,
        vip: `${VIP}/32\n    ${VIP2}/32`,
      }) + vs;
    running = new LabDaemon(lab, 'd1', 'ks', conf);
    await running.start();
    const d = running;
    let last = '';
    await waitFor(
      'VIPs on d1 and both servers in service',
      async () => {
        const st = (await d.status()) as unknown as {
          virtualServers: { servers: { inService: boolean }[] }[];
        };
        const addrs = (await lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout;
        last = `${addrs}\n${JSON.stringify(st)}`;
        return (
          addrs.includes(`${VIP2}/32`) &&
          st.virtualServers.length > 0 &&
          st.virtualServers.every((v) => v.servers.every((s) => s.inService))
        );
      },
      20_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${last}\n${d.conf}`);
    });
  };

  before(async () => {
    lab = await sharedLab();
    for (const h of ['rs1', 'rs2'])
      await lab.exec(h, [
        'sh',
        '-c',
        `sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lan0.arp_ignore=1 net.ipv4.conf.lan0.arp_announce=2; ip addr add ${VIP}/32 dev lo; ip addr add ${VIP2}/32 dev lo; true`,
      ]);
  });
  after(async () => {
    for (const h of ['rs1', 'rs2'])
      await lab.exec(h, [
        'sh',
        '-c',
        `sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.lan0.arp_ignore=0 net.ipv4.conf.lan0.arp_announce=0; ip addr del ${VIP}/32 dev lo; ip addr del ${VIP2}/32 dev lo; true`,
      ]);
  });
  afterEach(async () => {
    await running?.stop().catch(() => {});
    running = undefined;
    await lab.exec('d1', [
      'sh',
      '-c',
      `nft delete table netdev keepalive_ts; nft delete table netdev vsg_mark; ip addr del ${VIP}/32 dev lan0; ip addr del ${VIP2}/32 dev lan0; true`,
    ]);
  });

  it('a group range (two addresses) serves clients on each address over both real servers', async () => {
    await start(
      `virtual_server_group web {\n  ${VIP}-41 80\n}\n` +
        `virtual_server group web {\n  delay_loop 1\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n${realServers()}}\n`,
    );
    const rules = (await lab.exec('d1', ['nft', 'list', 'table', 'netdev', 'keepalive_ts'])).stdout;
    assert.match(rules, /ip daddr 198\.51\.100\.40 tcp dport 80 /);
    assert.match(rules, /ip daddr 198\.51\.100\.41 tcp dport 80 /);
    for (const a of [VIP, VIP2]) {
      const r = await probe(a);
      assert.equal(r.errors, 0, `${a}: ${JSON.stringify(r)}`);
      assert.ok(
        (r.counts.rs1 ?? 0) > 40 && (r.counts.rs2 ?? 0) > 40,
        `${a}: ${JSON.stringify(r.counts)}`,
      );
    }
  });

  it('nftables_ipvs: the group range is one rule (an address range) and one table, serving each address', async () => {
    await start(
      `virtual_server_group web {\n  ${VIP}-41 80\n}\n` +
        `virtual_server group web {\n  delay_loop 1\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n${realServers()}}\n`,
      '  nftables_ipvs\n  nftables_ipvs_start_fwmark 2000\n',
    );
    const rules = (await lab.exec('d1', ['nft', 'list', 'table', 'netdev', 'keepalive_ts'])).stdout;
    assert.match(
      rules,
      /ip daddr 198\.51\.100\.40-198\.51\.100\.41 tcp dport 80 meta pkttype host fib daddr type local fwd/,
    );
    assert.equal(rules.match(/fwd ip to/g)?.length, 1, rules);
    assert.equal(rules.match(/map m_/g)?.length, 1, rules);
    assert.match(rules, /comment "FWM 2000"/);
    for (const a of [VIP, VIP2]) {
      const r = await probe(a);
      assert.equal(r.errors, 0, `${a}: ${JSON.stringify(r)}`);
      assert.ok(
        (r.counts.rs1 ?? 0) > 40 && (r.counts.rs2 ?? 0) > 40,
        `${a}: ${JSON.stringify(r.counts)}`,
      );
    }
  });

  it('a fwmark service (virtual_server_group fwmark 7) forwards what an ingress chain marked', async () => {
    // the mark is set before our chain (priority -10 < 0) on the same device
    const mark = await lab.exec('d1', ['nft', '-f', '-'], {
      input: `table netdev vsg_mark {\n chain in {\n  type filter hook ingress device "lan0" priority -10; policy accept;\n  ip daddr ${VIP2} tcp dport 80 meta mark set 7\n }\n}\n`,
    });
    assert.equal(mark.code, 0, mark.stderr);
    await start(
      `virtual_server_group marks {\n  fwmark 7\n}\n` +
        `virtual_server group marks {\n  delay_loop 1\n  lb_algo rr\n  lb_kind DR\n${realServers()}}\n`,
    );
    const rules = (await lab.exec('d1', ['nft', 'list', 'table', 'netdev', 'keepalive_ts'])).stdout;
    assert.match(rules, /meta mark 0x00000007 .*fwd ip to jhash/);
    const r = await probe(VIP2);
    assert.equal(r.errors, 0, JSON.stringify(r));
    assert.ok((r.counts.rs1 ?? 0) > 40 && (r.counts.rs2 ?? 0) > 40, JSON.stringify(r.counts));
    // unmarked traffic to the other VIP is not forwarded by the fwmark service: d1 answers itself (refused)
    const other = await probe(VIP, 5);
    assert.equal(other.errors, 5, JSON.stringify(other));
  });
});
