// Accept mode as keepalived 2.2.7 decides it (vrrp_complete_instance) and the
// nft table that enforces it.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import {
  acceptTableOptions,
  acceptsTraffic,
  droppedAddresses,
  renderAcceptTable,
} from '../../../daemon/vrrp/accept-mode';

const conf = (inst: string, global = '') =>
  parseText(
    `global_defs {\n${global}\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 5\n${inst}\n virtual_ipaddress {\n  198.51.100.10/24\n }\n virtual_ipaddress_excluded {\n  198.51.100.20/24\n  2001:db8::10/64\n }\n}\n`,
  ).config;
const accepts = (inst: string, global = '') => {
  const c = conf(inst, global);
  return acceptsTraffic(c, c.vrrp_instance[0]);
};

describe('accept mode (no_accept, strict_mode)', () => {
  it('accepts by default, not with no_accept; the address owner always accepts', () => {
    assert.equal(accepts(' priority 100'), true);
    assert.equal(accepts(' priority 100\n no_accept'), false);
    assert.equal(accepts(' priority 255\n no_accept'), true);
  });

  it('strict mode (instance or vrrp_strict) defaults to no accept; accept overrides, but not for VRRPv2', () => {
    assert.equal(accepts(' priority 100\n strict_mode'), false);
    assert.equal(accepts(' priority 100', 'vrrp_strict'), false);
    assert.equal(accepts(' priority 100\n strict_mode\n accept\n version 3'), true);
    assert.equal(accepts(' priority 100\n strict_mode\n accept\n version 2'), false);
  });

  it('drops the VIPs and excluded addresses of the instances that do not accept, by family', () => {
    assert.deepEqual(droppedAddresses(conf(' priority 100')), { v4: [], v6: [] });
    assert.deepEqual(droppedAddresses(conf(' priority 100\n no_accept')), {
      v4: ['198.51.100.10', '198.51.100.20'],
      v6: ['2001:db8::10'],
    });
  });

  it('renders one table of our own: reset, then the sets and drop rules (ND allowed), or only the reset', () => {
    const t = renderAcceptTable({ v4: ['198.51.100.10'], v6: [] });
    assert.match(t, /^table inet keepalive_ts_vrrp\ndelete table inet keepalive_ts_vrrp\n/);
    assert.match(t, /set vips4 \{\n {4}type ipv4_addr\n {4}elements = \{ 198\.51\.100\.10 \}/);
    assert.match(t, /set vips6 \{\n {4}type ipv6_addr\n {2}\}/);
    assert.match(
      t,
      /hook input priority -1; policy accept;\n.*nd-neighbor-solicit.*accept\n {4}ip daddr @vips4 drop/,
    );
    assert.match(t, /hook output .*\n.*\n {4}ip saddr @vips4 drop/);
    assert.equal(
      renderAcceptTable({ v4: [], v6: [] }),
      'table inet keepalive_ts_vrrp\ndelete table inet keepalive_ts_vrrp\n',
    );
  });

  it('nftables NAME, nftables_priority, nftables_counters; vrrp_iptables falls back to nftables "keepalived" (with keepalived\'s warning)', () => {
    const o = acceptTableOptions(
      conf(' no_accept', ' nftables my_fw\n nftables_priority -5\n nftables_counters'),
    );
    assert.deepEqual(o, { table: 'my_fw', priority: -5, counters: true });
    const t = renderAcceptTable({ v4: ['198.51.100.10'], v6: [] }, o);
    assert.match(t, /^table inet my_fw\ndelete table inet my_fw\n/);
    assert.match(t, /priority -5; policy accept;/);
    assert.match(t, /ip daddr @vips4 counter drop/);
    assert.equal(acceptTableOptions(conf('', ' nftables')).table, 'keepalived');
    const ipt = parseText(
      'global_defs {\n vrrp_iptables IN OUT\n}\n' +
        'vrrp_instance V {\n interface eth0\n virtual_router_id 5\n no_accept\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n',
    );
    assert.match(ipt.diagnostics[0].message, /iptables not supported, using nftables instead/);
    assert.equal(acceptTableOptions(ipt.config).table, 'keepalived');
    assert.equal(acceptTableOptions(conf('')).table, 'keepalive_ts_vrrp');
  });
});
