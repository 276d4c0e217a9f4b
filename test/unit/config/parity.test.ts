// Results that must match keepalived 2.2.7's reading of the same config
// (vrrp_complete_instance in vrrp.c, vrrp_parser.c, global_parser.c,
// vrrp_ipaddress.c, vrrp_track.c), each case a config keepalived accepts or
// rejects for a reason found in its source.
import { strict as assert } from 'node:assert';
import { instanceFamily, instanceVersion } from '../../../daemon/config/version';
import { instance, parse } from './helpers';

const errors = (r: ReturnType<typeof parse>) =>
  r.diagnostics.filter((d) => d.level === 'error').map((d) => `${d.line} ${d.message}`);

/** An instance with its own body (no default VIP). */
const bare = (body: string, name = 'VI_1', vrid = 51, iface = 'eth0') =>
  `vrrp_instance ${name} {\n interface ${iface}\n virtual_router_id ${vrid}\n${body}\n}\n`;

describe('config parity with keepalived 2.2.7', () => {
  describe('priority when none is given (base_priority 0)', () => {
    it('state MASTER without priority is the address owner, 255', () => {
      const r = parse(instance(' state MASTER'));
      assert.deepEqual(errors(r), []);
      assert.equal(r.config.vrrp_instance[0].priority, 255);
    });
    it('state BACKUP (or no state) without priority is 100', () => {
      assert.equal(parse(instance(' state BACKUP')).config.vrrp_instance[0].priority, 100);
      assert.equal(parse(instance('')).config.vrrp_instance[0].priority, 100);
    });
    it('an explicit priority wins over the state', () => {
      assert.equal(
        parse(instance(' state MASTER\n priority 150')).config.vrrp_instance[0].priority,
        150,
      );
    });
    it('no state with priority 255 starts as MASTER (the state follows from the priority)', () => {
      assert.equal(parse(instance(' priority 255')).config.vrrp_instance[0].state, 'MASTER');
      assert.equal(parse(instance(' priority 254')).config.vrrp_instance[0].state, 'BACKUP');
    });
  });

  describe('an instance without interface', () => {
    it('is an error naming its line, even with unicast_src_ip (keepalive-ts needs the interface)', () => {
      const r = parse(
        'vrrp_instance VI_1 {\n virtual_router_id 5\n unicast_src_ip 10.0.0.2\n unicast_peer {\n  10.0.0.3\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n',
      );
      assert.equal(r.ok, false);
      assert.match(errors(r).join('\n'), /^1 vrrp_instance VI_1: no interface given/m);
    });
    it('global default_interface does not give an instance an interface (keepalived: it is for addresses)', () => {
      const r = parse(
        'global_defs {\n default_interface eth0\n}\nvrrp_instance VI_1 {\n virtual_router_id 5\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n',
      );
      assert.match(errors(r).join('\n'), /^4 vrrp_instance VI_1: no interface given/m);
    });
  });

  describe('configs keepalived accepts', () => {
    it('a VIP with brd + or brd - (host bits set or cleared)', () => {
      const r = parse(
        bare(
          ' virtual_ipaddress {\n  10.1.2.3/24 brd +\n  10.1.2.4/24 brd -\n  10.1.2.5/30 brd +\n }',
        ),
      );
      assert.deepEqual(r.diags, []);
      assert.deepEqual(
        r.config.vrrp_instance[0].virtual_ipaddress.map((v) => v.brd),
        ['10.1.2.255', '10.1.2.0', '10.1.2.7'],
      );
    });
    it('brd + on a /31 or /32 is reported and ignored, as keepalived does', () => {
      const r = parse(bare(' virtual_ipaddress {\n  10.1.2.3 brd +\n }'));
      assert.deepEqual(r.diags, [
        '5 warning virtual_ipaddress: prefix length 32 too long for a broadcast address; brd ignored',
      ]);
      assert.equal(r.config.vrrp_instance[0].virtual_ipaddress[0].brd, undefined);
    });
    it('an IPv4 and an IPv6 instance sharing a VRID on one interface', () => {
      const r = parse(
        bare(' virtual_ipaddress {\n  10.0.0.1\n }', 'V4') +
          bare(' virtual_ipaddress {\n  fe80::1\n  2001:db8::1\n }', 'V6'),
      );
      assert.deepEqual(errors(r), []);
    });
    it('native_ipv6 makes an instance IPv6 (for the VRID check too)', () => {
      const r = parse(
        bare(' virtual_ipaddress {\n  10.0.0.1\n }', 'V4') + bare(' native_ipv6', 'V6'),
      );
      assert.deepEqual(errors(r), []);
      assert.equal(instanceFamily(r.config.vrrp_instance[1]), 6);
    });
    it('two IPv4 instances on one VRID and interface are still rejected', () => {
      const r = parse(
        bare(' virtual_ipaddress {\n  10.0.0.1\n }', 'A') +
          bare(' virtual_ipaddress {\n  10.0.0.2\n }', 'B'),
      );
      assert.match(errors(r).join('\n'), /virtual_router_id 51 on eth0 is already used by A/);
    });
    it('dynamic_interfaces allow_if_changes', () => {
      const r = parse('global_defs {\n dynamic_interfaces allow_if_changes\n}\n');
      assert.deepEqual(errors(r), []);
      assert.equal(r.config.global_defs.dynamic_interfaces, 'allow_if_changes');
      assert.equal(
        parse('global_defs {\n dynamic_interfaces\n}\n').config.global_defs.dynamic_interfaces,
        'on',
      );
      assert.match(
        errors(parse('global_defs {\n dynamic_interfaces sometimes\n}\n')).join(),
        /dynamic_interfaces: unknown option 'sometimes'/,
      );
    });
    it('max_auto_priority without a value is the highest SCHED_RR priority, 99', () => {
      const r = parse('global_defs {\n max_auto_priority\n}\n');
      assert.deepEqual(errors(r), []);
      assert.equal(r.config.global_defs.max_auto_priority, 99);
      assert.equal(parse('global_defs {\n}\n').config.global_defs.max_auto_priority, 0);
    });
    it('smtp_server given a host name keeps the name (resolved when mail is sent)', () => {
      const r = parse('global_defs {\n smtp_server mail.example.org 587\n}\n');
      assert.deepEqual(errors(r), []);
      assert.deepEqual(r.config.global_defs.smtp_server, {
        address: 'mail.example.org',
        port: 587,
      });
    });
    it('noreverse and reverse after a track_script weight', () => {
      const r = parse(
        'vrrp_script chk {\n script /bin/true\n weight 10 reverse\n}\n' +
          instance(
            ' track_script {\n  chk weight 5 noreverse\n }\n track_interface {\n  eth1 weight 5 reverse\n }',
          ),
      );
      assert.deepEqual(errors(r), []);
      const vi = r.config.vrrp_instance[0];
      assert.deepEqual([vi.track_script[0].reverse, vi.track_interface[0].reverse], [false, true]);
    });
    it('noreverse on track_interface: keepalived reports it and keeps the weight unreversed', () => {
      const r = parse(instance(' track_interface {\n  eth1 weight 5 noreverse\n }'));
      assert.deepEqual(errors(r), []);
      assert.equal(r.config.vrrp_instance[0].track_interface[0].reverse, false);
      assert.equal(r.diagnostics.filter((d) => d.level === 'warning').length, 1);
    });
  });

  describe('IPv6 instances', () => {
    it('IPv6 VIPs make an instance VRRPv3 even with vrrp_version 2', () => {
      const r = parse(
        'global_defs {\n vrrp_version 2\n}\n' + bare(' virtual_ipaddress {\n  fe80::1\n }'),
      );
      assert.deepEqual(r.diags, []);
      assert.equal(instanceVersion(r.config, r.config.vrrp_instance[0]), 3);
    });
    it('an instance saying version 2 with IPv6 VIPs is switched to 3 with a warning', () => {
      const r = parse(bare(' version 2\n virtual_ipaddress {\n  fe80::1\n }'));
      assert.deepEqual(r.diags, [
        '1 warning vrrp_instance VI_1: IPv6 needs VRRP version 3; using version 3 (as keepalived does)',
      ]);
      assert.equal(instanceVersion(r.config, r.config.vrrp_instance[0]), 3);
    });
    it('addresses of the other family are reported and dropped (keepalived: "address family must match")', () => {
      const r = parse(bare(' virtual_ipaddress {\n  fe80::1\n  10.0.0.1\n  2001:db8::1\n }'));
      assert.deepEqual(r.diags, [
        '6 warning virtual_ipaddress: 10.0.0.1 is IPv4 but vrrp_instance VI_1 is IPv6 (its first address); ignored, as keepalived does',
      ]);
      assert.deepEqual(
        r.config.vrrp_instance[0].virtual_ipaddress.map((v) => v.address),
        ['fe80::1', '2001:db8::1'],
      );
    });
    it('virtual_ipaddress_excluded may mix families', () => {
      const r = parse(
        bare(
          ' virtual_ipaddress {\n  10.0.0.1\n }\n virtual_ipaddress_excluded {\n  2001:db8::1\n }',
        ),
      );
      assert.deepEqual(r.diags, []);
    });
  });

  describe('what keepalived -t reports and we used to pass silently (found by the interop snippets)', () => {
    it('unicast_src_ip without unicast_peer, a virtual_server without real_server, sorry_server_lvs_method alone, a second sync-group list', () => {
      const r = parse(
        instance(' unicast_src_ip 10.0.0.2') +
          'virtual_server 10.0.0.9 443 {\n protocol TCP\n sorry_server_lvs_method NAT\n}\n' +
          'vrrp_sync_group G {\n group {\n  VI_1\n }\n group {\n  VI_2\n }\n}\n',
      );
      assert.deepEqual(
        r.diags.filter((d) => / warning /.test(d)),
        [
          '1 warning vrrp_instance VI_1: unicast_src_ip without unicast_peer: adverts go to multicast (keepalived 2.2.7 reports this as deprecated)',
          '9 warning virtual_server: no real_server (keepalived ignores such a virtual server)',
          '9 warning virtual_server: sorry_server_lvs_method without sorry_server',
          '13 warning vrrp_sync_group G: has 1 member(s); a sync group needs at least two',
          '17 warning vrrp_sync_group G: group list already given; ignored',
        ],
      );
      assert.deepEqual(
        r.config.vrrp_sync_group[0].group.map((m) => m.name),
        ['VI_1'],
      );
    });
  });
});
