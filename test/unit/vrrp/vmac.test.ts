// use_vmac with keepalived 2.2.7's meaning: the rtnetlink link messages byte
// for byte, the keywords, the plan (names, MACs, where VIPs and adverts go)
// and an instance pair on a fake LAN.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import {
  encodeAddrGenModeNone,
  encodeDelLink,
  encodeLinkUp,
  encodeNewMacvlan,
} from '../../../daemon/net/rtnl-link';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { generateName, planVmacs } from '../../../daemon/vrrp/vmac';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const hex = (s: string) => s.replace(/\s+/g, '');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('use_vmac', () => {
  describe('rtnetlink link messages', () => {
    it('RTM_NEWLINK create|excl: IFLA_LINK, IFLA_IFNAME, IFLA_ADDRESS, IFLA_LINKINFO{kind macvlan, data{mode private}}', () => {
      const b = encodeNewMacvlan({
        seq: 1,
        name: 'vrrp.51',
        link: 2,
        mac: Uint8Array.from([0, 0, 0x5e, 0, 1, 0x33]),
      });
      assert.equal(
        toHex(b),
        hex(`
          5c000000 1000 0506 01000000 00000000
          00 00 0000 00000000 00000000 00000000
          0800 0500 02000000
          0c00 0300 767272702e353100
          0a00 0100 00005e000133 0000
          1c00 1200 0c00 0100 6d6163766c616e00 0c00 0200 0800 0100 01000000`),
      );
    });

    it('IFLA_AF_SPEC{AF_INET6{IFLA_INET6_ADDR_GEN_MODE none}} on an existing link', () => {
      assert.equal(
        toHex(encodeAddrGenModeNone(2, 7)),
        hex(`30000000 1000 0500 02000000 00000000
             00 00 0000 07000000 00000000 00000000
             1000 1a00 0c00 0a00 0500 0800 01 000000`),
      );
    });

    it('link up (IFF_UP in flags and change) and RTM_DELLINK', () => {
      assert.equal(
        toHex(encodeLinkUp(3, 7)),
        hex('20000000 1000 0500 03000000 00000000 00000000 07000000 01000000 01000000'),
      );
      assert.equal(
        toHex(encodeDelLink(4, 7)),
        hex('20000000 1100 0500 04000000 00000000 00000000 07000000 00000000 00000000'),
      );
    });
  });

  describe('keywords and plan', () => {
    const inst = (name: string, body: string) =>
      `vrrp_instance ${name} {\n interface lan0\n priority 100\n ${body}\n}\n`;
    const parse = (text: string) => parseText(text);

    it('use_vmac alone: vrrp.VRID with 00:00:5e:00:01:VRID, VIPs and adverts on it', () => {
      const { config, diagnostics } = parse(
        inst(
          'A',
          'virtual_router_id 51\n use_vmac\n virtual_ipaddress {\n 198.51.100.10/24\n 198.51.100.20/24 dev lan1\n }',
        ),
      );
      assert.deepEqual(
        diagnostics.filter((d) => d.level === 'error'),
        [],
      );
      const vi = config.vrrp_instance[0];
      const p = planVmacs(vi, config, 4, '198.51.100.11', () => undefined);
      assert.deepEqual(p.specs, [
        { name: 'vrrp.51', base: 'lan0', mac: '00:00:5e:00:01:33', family: 4, ipv6: false },
      ]);
      assert.equal(p.channelIfname, 'vrrp.51');
      assert.equal(p.devOf(vi.virtual_ipaddress[0]), 'vrrp.51');
      assert.equal(p.devOf(vi.virtual_ipaddress[1]), 'lan1', 'a VIP with its own dev stays there');
    });

    it('use_vmac NAME MAC, vmac_xmit_base: the name and MAC given, adverts on the base', () => {
      const { config } = parse(
        inst(
          'A',
          'virtual_router_id 7\n use_vmac vm7 02:11:22:33:44\n vmac_xmit_base\n virtual_ipaddress {\n 198.51.100.10/24\n }',
        ),
      );
      const vi = config.vrrp_instance[0];
      const p = planVmacs(vi, config, 4, '198.51.100.11', () => undefined);
      assert.equal(p.specs[0].name, 'vm7');
      assert.equal(p.specs[0].mac, '02:11:22:33:44:07', 'five octets: the VRID completes the MAC');
      assert.equal(p.channelIfname, 'lan0');
      assert.equal(p.devOf(vi.virtual_ipaddress[0]), 'vm7');
    });

    it('IPv6: 00:00:5e:00:02:VRID, the link-local of the advert source on it, vrrp6.VRID when vrrp.VRID is taken', () => {
      const { config } = parse(
        inst('A', 'virtual_router_id 9\n use_vmac\n virtual_ipaddress {\n 198.51.100.10/24\n }') +
          inst('B', 'virtual_router_id 9\n use_vmac\n virtual_ipaddress {\n 2001:db8::10/64\n }'),
      );
      const [a, b] = config.vrrp_instance;
      assert.equal(
        planVmacs(a, config, 4, '198.51.100.11', () => undefined).specs[0].name,
        'vrrp.9',
      );
      const p = planVmacs(b, config, 6, 'fe80::11', () => undefined);
      assert.deepEqual(p.specs, [
        {
          name: 'vrrp6.9',
          base: 'lan0',
          mac: '00:00:5e:00:02:09',
          family: 6,
          ipv6: true,
          linkLocal: 'fe80::11',
        },
      ]);
      const taken = new Set(['vrrp.1', 'vrrp6.1', 'vrrp1.1']);
      assert.equal(generateName('vrrp', 1, 6, taken), 'vrrp2.1');
      assert.equal(generateName('vrrp', 1, 4, new Set(['vrrp.1'])), 'vrrp1.1');
      assert.equal(generateName('averyverylongprefix', 200, 4, new Set()), 'averyverylo.200');
    });

    it('use_vmac_addr and a VIP use_vmac: an address vmac on the other interface / family', () => {
      const { config } = parse(
        `global_defs {\n vmac_addr_prefix av\n}\n` +
          inst(
            'A',
            'virtual_router_id 5\n use_vmac\n use_vmac_addr\n virtual_ipaddress {\n 198.51.100.10/24\n 203.0.113.10/24 dev lan1\n }\n virtual_ipaddress_excluded {\n 2001:db8::5/64\n }',
          ) +
          inst(
            'B',
            'virtual_router_id 6\n virtual_ipaddress {\n 198.51.100.60/24 dev lan1 use_vmac\n }',
          ),
      );
      const [a, b] = config.vrrp_instance;
      const pa = planVmacs(a, config, 4, '198.51.100.11', (i) =>
        i === 'lan0' ? 'fe80::11' : undefined,
      );
      assert.deepEqual(
        pa.specs.map((s) => [s.name, s.base, s.mac, s.ipv6, s.linkLocal]),
        [
          ['vrrp.5', 'lan0', '00:00:5e:00:01:05', true, undefined],
          ['av.5', 'lan1', '00:00:5e:00:01:05', false, undefined],
          ['av6.5', 'lan0', '00:00:5e:00:02:05', true, 'fe80::11'],
        ],
      );
      assert.deepEqual([...a.virtual_ipaddress, ...a.virtual_ipaddress_excluded].map(pa.devOf), [
        'vrrp.5',
        'av.5',
        'av6.5',
      ]);
      const pb = planVmacs(b, config, 4, '198.51.100.11', () => undefined);
      assert.equal(pb.channelIfname, 'lan0', 'no use_vmac: adverts on the interface');
      assert.deepEqual(
        pb.specs.map((s) => [s.name, s.base]),
        [['av.6', 'lan1']],
      );
      assert.equal(pb.devOf(b.virtual_ipaddress[0]), 'av.6');
    });

    it('what keepalived corrects or ignores is a warning: unicast forces vmac_xmit_base, bad MACs, xmit_base alone', () => {
      const { config, diagnostics } = parse(
        inst(
          'A',
          'virtual_router_id 1\n use_vmac 00:00:5e:00:01:01 bad/name\n unicast_src_ip 198.51.100.11\n unicast_peer {\n 198.51.100.12\n }\n virtual_ipaddress {\n 198.51.100.10/24\n }',
        ) +
          inst(
            'B',
            'virtual_router_id 2\n vmac_xmit_base\n use_vmac 01:00:00:00:00:01\n use_vmac zz:1',
          ),
      );
      const msgs = diagnostics.map((d) => `${d.level}: ${d.message}`).join('\n');
      assert.ok(!/error/.test(msgs), msgs);
      assert.match(msgs, /RFC 5798 address/);
      assert.match(msgs, /'bad\/name' too long or invalid/);
      assert.match(msgs, /unicast with use_vmac requires vmac_xmit_base - setting/);
      assert.match(msgs, /is multicast/);
      const [a, b] = config.vrrp_instance;
      assert.equal(a.vmac_xmit_base, true);
      assert.deepEqual(a.use_vmac, {});
      assert.ok(b.use_vmac && !b.use_vmac.mac);
      assert.equal(b.vmac_xmit_base, true, 'with use_vmac (given later in the block) it stands');
    });
  });

  describe('a pair on a fake LAN', () => {
    const conf = (prio: number, extra = '') =>
      parseText(
        `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n use_vmac\n${extra}\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`,
      ).config;
    function pair(extra = '') {
      const clock = new FakeClock();
      const lan = new FakeLan();
      const mk = (ip: string, prio: number) => {
        const net = new FakeNet(lan, ip, clock);
        const engine = new VrrpEngine(conf(prio, extra), {
          net,
          clock,
          scripts: { run: async () => 0 },
          log: () => {},
        });
        return { net, engine, state: () => engine.status()[0].state };
      };
      const a = mk('198.51.100.11', 100);
      const b = mk('198.51.100.12', 50);
      a.engine.start();
      b.engine.start();
      return { clock, a, b };
    }

    it('both make vrrp.51 before opening their channel on it; the master puts the VIP and its GARPs there', () => {
      const { clock, a, b } = pair();
      for (const n of [a, b]) {
        assert.deepEqual([...n.net.vmacs.keys()], ['vrrp.51']);
        assert.deepEqual(
          n.net.channels.map((c) => [c.opts.ifname, c.opts.src]),
          [['vrrp.51', n.net.ip]],
          'adverts on the vmac, from the base address',
        );
      }
      clock.advance(5000);
      assert.equal(a.state(), 'MASTER');
      assert.equal(b.state(), 'BACKUP');
      assert.equal(a.net.vipDevs.get('198.51.100.10'), 'vrrp.51');
      assert.ok(a.net.garps.length > 0 && a.net.garps.every((g) => g.ifname === 'vrrp.51'));
      // a clean stop: VIP released, then the vmac removed; the backup takes over on its own vmac
      a.engine.stop();
      assert.deepEqual(a.net.vmacLog, ['create vrrp.51', 'delete vrrp.51']);
      assert.equal(a.net.vips.size, 0);
      clock.advance(2000);
      assert.equal(b.state(), 'MASTER');
      assert.equal(b.net.vipDevs.get('198.51.100.10'), 'vrrp.51');
    });

    it('vmac_xmit_base: the VIP on the vmac, adverts on the base interface', () => {
      const { clock, a } = pair(' vmac_xmit_base');
      assert.deepEqual(
        a.net.channels.map((c) => c.opts.ifname),
        ['eth0'],
      );
      clock.advance(5000);
      assert.equal(a.net.vipDevs.get('198.51.100.10'), 'vrrp.51');
    });

    it('a vmac that cannot be made is FAULT, retried every second', () => {
      const clock = new FakeClock();
      const net = new FakeNet(new FakeLan(), '198.51.100.11', clock);
      let fails = 2;
      const create = net.createVmac.bind(net);
      net.createVmac = (s) => {
        if (fails-- > 0) throw new Error('netlink: creating VMAC vrrp.51: errno 1');
        return create(s);
      };
      const engine = new VrrpEngine(conf(100), {
        net,
        clock,
        scripts: { run: async () => 0 },
        log: () => {},
      });
      engine.start();
      clock.advance(500);
      assert.equal(engine.status()[0].state, 'FAULT');
      clock.advance(6000);
      assert.equal(engine.status()[0].state, 'MASTER');
      assert.equal(net.vipDevs.get('198.51.100.10'), 'vrrp.51');
    });
  });
});
