// IPv6 services on the nftables dataplane in the lab (2001:db8:0:1::/64):
// keepalive-ts on d1 with an IPv6 DR service (netdev ingress, `fwd ip6 to`,
// the VIP on the real servers' lo) and an IPv6 NAT service (ip6 nat table,
// masquerade), real HTTP from cl to both real servers; a failed real server
// leaves the map and comes back. (TUN is refused: by -t under lvs_backend
// nftables, at apply time under auto; test/unit/dataplane/nft6.test.ts.)
import { strict as assert } from 'node:assert';
import type { Lab } from '../../scripts/lab/lab';
import { LabDaemon, VIP6, vrrpConf } from '../../scripts/lab/daemons';
import { waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';

const RS6 = { rs1: '2001:db8:0:1::21', rs2: '2001:db8:0:1::22' };
const check =
  '    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }\n';
const rs = (a: string, port: number) => `  real_server ${a} ${port} {\n    weight 1\n${check}  }\n`;
const vs = (port: number, kind: string, rsPort: number) =>
  `virtual_server ${VIP6} ${port} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind ${kind}\n  protocol TCP\n` +
  `${rs(RS6.rs1, rsPort)}${rs(RS6.rs2, rsPort)}}\n`;
// the VIP's VRRP instance names the interface the DR rules hook (lan0)
const CONF =
  vrrpConf({
    priority: 150,
    version: 3,
    advertInt: 0.5,
    // deprecated: never the source of d1's own traffic (checks, masquerade), which the real
    // servers, holding the VIP on lo, would take for their own
    vip: `${VIP6}/64 preferred_lft 0`,
    global: '  lvs_backend nftables\n',
  }) +
  vs(80, 'DR', 80) +
  vs(8080, 'NAT', 80);

describe('IPv6 services on the nftables dataplane (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let d: LabDaemon | undefined;

  /** names of the real servers that answered `count` new connections from cl */
  async function fetchNames(url: string, count: number): Promise<Record<string, number>> {
    const r = await lab.exec(
      'cl',
      ['sh', '-c', `for i in $(seq 1 ${count}); do curl -sg -m 2 '${url}' || echo ERR; done`],
      { timeoutMs: 60_000 },
    );
    const seen: Record<string, number> = {};
    for (const w of r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean))
      seen[/rs[12]/.exec(w)?.[0] ?? w] = (seen[/rs[12]/.exec(w)?.[0] ?? w] ?? 0) + 1;
    return seen;
  }
  const ruleset = async () => (await lab.exec('d1', ['nft', 'list', 'ruleset'])).stdout;

  before(async () => {
    lab = await sharedLab();
    for (const h of ['rs1', 'rs2'])
      await lab.exec(h, ['ip', '-6', 'addr', 'add', `${VIP6}/128`, 'dev', 'lo', 'nodad']);
    await lab.exec('d1', ['sh', '-c', 'sysctl -qw net.ipv6.conf.all.forwarding=1']);
  });
  after(async () => {
    await d?.term().catch(() => {});
    for (const h of ['rs1', 'rs2'])
      await lab.exec(h, ['sh', '-c', `ip -6 addr del ${VIP6}/128 dev lo 2>/dev/null; true`]);
    for (const h of ['rs1', 'rs2']) await lab.httpService(h, true);
    await lab.exec('d1', [
      'sh',
      '-c',
      `ip -6 addr del ${VIP6}/64 dev lan0 2>/dev/null; sysctl -qw net.ipv6.conf.all.forwarding=0; ` +
        'nft delete table netdev keepalive_ts 2>/dev/null; nft delete table ip6 keepalive_ts_nat6 2>/dev/null; true',
    ]);
  });

  it('programs the IPv6 DR and NAT services', async () => {
    const t0 = Date.now();
    d = new LabDaemon(lab, 'd1', 'ks', CONF);
    await d.start();
    await waitFor(
      'both IPv6 services in the ruleset',
      async () => {
        const r = await ruleset();
        return r.includes('fwd ip6 to') && r.includes('dnat ip6 to');
      },
      15_000,
    ).catch(async () => assert.fail(await d!.log()));
    console.log(`      IPv6 DR and NAT rules in place ${Date.now() - t0} ms after the start`);
    await waitFor(
      'the IPv6 VIP on d1',
      async () =>
        (await lab.exec('d1', ['ip', '-6', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(
          VIP6,
        ),
      15_000,
    );
    assert.doesNotMatch(await d.log(), /not programmed/);
  });

  it('carries HTTP to both IPv6 real servers through DR (replies straight from the real server)', async () => {
    const seen = await fetchNames(`http://[${VIP6}]/`, 20);
    assert.equal(seen.ERR, undefined, JSON.stringify(seen));
    assert.ok((seen.rs1 ?? 0) > 0 && (seen.rs2 ?? 0) > 0, JSON.stringify(seen));
    assert.equal((seen.rs1 ?? 0) + (seen.rs2 ?? 0), 20);
  });

  it('carries HTTP to both IPv6 real servers through NAT (ip6 nat, masquerade)', async () => {
    const seen = await fetchNames(`http://[${VIP6}]:8080/`, 20);
    assert.equal(seen.ERR, undefined, JSON.stringify(seen));
    assert.ok((seen.rs1 ?? 0) > 0 && (seen.rs2 ?? 0) > 0, JSON.stringify(seen));
  });

  it('a failed IPv6 real server leaves the Maglev map and comes back', async () => {
    // rs2 is in the DR and in the NAT service: back means back in both (the
    // same Maglev slots as before), not in the first one checked again
    const count = (text: string) => text.split(RS6.rs2).length - 1;
    const before = count(await ruleset());
    await lab.httpService('rs2', false);
    const t0 = Date.now();
    await waitFor('rs2 out of the maps', async () => !(await ruleset()).includes(RS6.rs2), 15_000);
    const outMs = Date.now() - t0;
    const seen = await fetchNames(`http://[${VIP6}]/`, 6);
    assert.deepEqual(seen, { rs1: 6 });
    await lab.httpService('rs2', true);
    await waitFor('rs2 back in every map', async () => count(await ruleset()) === before, 15_000);
    console.log(`      rs2 out of the maps ${outMs} ms after its HTTP stopped, and back`);
    const back = await fetchNames(`http://[${VIP6}]:8080/`, 10);
    assert.ok((back.rs2 ?? 0) > 0, JSON.stringify(back));
  });
});
