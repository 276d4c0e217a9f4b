// Accept mode in the lab: a non-owner master with no_accept holds the VIPs
// (ARP and neighbour discovery still answered) but drops what is addressed to
// them; `accept` (by reload) lets it through; stop removes the table.
import { strict as assert } from 'node:assert';
import type { Lab } from '../../scripts/lab/lab';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';
import { holders, LabDaemon, VIP, VIP6, vrrpConf } from '../../scripts/lab/daemons';
import { ACCEPT_TABLE } from '../../daemon/vrrp/accept-mode';

const conf = (mode: string) =>
  vrrpConf({
    priority: 100,
    version: 3,
    advertInt: 0.1,
    extra: `  ${mode}\n  virtual_ipaddress_excluded {\n    ${VIP6}/64\n  }\n`,
  });

const ping = async (lab: Lab, ip: string) =>
  (await lab.exec('gw', ['ping', ...(ip.includes(':') ? ['-6'] : []), '-c', '1', '-W', '1', ip]))
    .code === 0;

const table = async (lab: Lab, name = ACCEPT_TABLE) =>
  (await lab.exec('d1', ['nft', 'list', 'table', 'inet', name])).code === 0;

describe('accept mode: no_accept drops traffic to the VIPs of a non-owner master (lab)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let d: LabDaemon | undefined;
  before(async () => {
    lab = await sharedLab();
  });
  after(async () => {
    await d?.stop().catch(() => {});
    await lab.exec('d1', [
      'sh',
      '-c',
      `nft delete table inet ${ACCEPT_TABLE} 2>/dev/null; nft delete table inet ka_fw 2>/dev/null; true`,
    ]);
  });

  it('no_accept: VIPs held, ARP/ND answered, packets dropped; accept by reload; nftables NAME and counters; table gone at stop', async () => {
    d = new LabDaemon(lab, 'd1', 'ks', conf('no_accept'));
    await d.start();
    await waitFor('VIP on d1', async () => (await holders(lab, ['d1'])).length === 1, 5000);
    await waitFor('nft table', () => table(lab), 3000);
    await lab.exec('gw', ['ip', 'neigh', 'flush', 'dev', 'lan0']);
    assert.equal(await ping(lab, VIP), false, 'IPv4 VIP answers ping despite no_accept');
    assert.equal(await ping(lab, VIP6), false, 'IPv6 address answers ping despite no_accept');
    const mac = (await lab.exec('d1', ['cat', '/sys/class/net/lan0/address'])).stdout.trim();
    const neigh = (await lab.exec('gw', ['ip', 'neigh', 'show', 'dev', 'lan0'])).stdout;
    assert.match(neigh, new RegExp(`${VIP.replace(/\./g, '\\.')} lladdr ${mac}`), neigh);
    assert.match(neigh, new RegExp(`${VIP6} lladdr ${mac}`), neigh);

    d.conf = conf('accept');
    await lab.exec('d1', ['sh', '-c', 'cat > /etc/keepalived/ks.conf'], { input: d.conf });
    await lab.exec('d1', ['kill', '-HUP', String(d.pid)]);
    await waitFor('table removed after reload to accept', async () => !(await table(lab)), 3000);
    await waitFor(
      'VIP back after reload',
      async () => (await holders(lab, ['d1'])).length === 1,
      5000,
    );
    assert.equal(await ping(lab, VIP), true);
    assert.equal(await ping(lab, VIP6), true);

    d.conf = conf('no_accept');
    await lab.exec('d1', ['sh', '-c', 'cat > /etc/keepalived/ks.conf'], { input: d.conf });
    await lab.exec('d1', ['kill', '-HUP', String(d.pid)]);
    await waitFor('table back', () => table(lab), 3000);

    // nftables NAME + nftables_counters by reload: the table is renamed, its drops counted
    d.conf = conf('no_accept').replace(
      'vrrp_version 3\n',
      'vrrp_version 3\n  nftables ka_fw\n  nftables_counters\n',
    );
    await lab.exec('d1', ['sh', '-c', 'cat > /etc/keepalived/ks.conf'], { input: d.conf });
    await lab.exec('d1', ['kill', '-HUP', String(d.pid)]);
    await waitFor(
      'table renamed',
      async () => !(await table(lab)) && (await table(lab, 'ka_fw')),
      3000,
    );
    await waitFor(
      'VIP back after reload',
      async () => (await holders(lab, ['d1'])).length === 1,
      5000,
    );
    assert.equal(await ping(lab, VIP), false);
    const listed = (await lab.exec('d1', ['nft', 'list', 'table', 'inet', 'ka_fw'])).stdout;
    assert.match(listed, /ip daddr @vips4 counter packets [1-9]\d* bytes \d+ drop/, listed);
    await d.term();
    await sleep(100);
    assert.equal(await table(lab, 'ka_fw'), false, 'the (renamed) table is removed at stop');
    assert.equal(await table(lab), false);
  });
});
