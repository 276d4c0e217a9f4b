import { strict as assert } from 'node:assert';
import { Diagnostics } from '../../../daemon/config/diagnostics';
import { parseText } from '../../../daemon/config/index';
import { lintPeers } from '../../../daemon/config/lint';
import { instance, parse, short } from './helpers';

describe('lint (single config)', () => {
  it('requires a virtual_router_id and an interface', () => {
    const r = parse('vrrp_instance X {\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n');
    assert.deepEqual(r.diags, [
      '1 error vrrp_instance X: virtual_router_id must be set',
      '1 error vrrp_instance X: no interface given',
    ]);
  });

  it('rejects a VRID used twice on one interface, naming the other instance', () => {
    const r = parse(instance('', 'A') + instance('', 'B'));
    assert.equal(r.ok, false);
    assert.match(
      r.diags.join('\n'),
      /^9 error vrrp_instance B: virtual_router_id 51 on eth0 is already used by A \(line 1\)$/m,
    );
  });

  it('allows the same VRID on one interface with disjoint unicast peers, not with shared ones', () => {
    const u = (peer: string) => ` unicast_src_ip 10.0.0.2\n unicast_peer {\n  ${peer}\n }`;
    assert.equal(parse(instance(u('10.0.0.3'), 'A') + instance(u('10.0.0.4'), 'B')).ok, true);
    assert.equal(parse(instance(u('10.0.0.3'), 'A') + instance(u('10.0.0.3'), 'B')).ok, false);
  });

  it('allows the same VRID on different interfaces', () => {
    assert.equal(
      parse(instance('', 'A') + instance('', 'B').replace('interface eth0', 'interface eth1')).ok,
      true,
    );
  });

  it('warns about a fractional advert_int with VRRPv2, not with v3', () => {
    assert.ok(
      parse(instance(' advert_int 0.5')).diags.some((d) =>
        /advert_int 0.5 is fractional but VRRPv2/.test(d),
      ),
    );
    assert.deepEqual(parse(instance(' advert_int 0.5\n version 3')).diags, []);
    assert.deepEqual(
      parse('global_defs {\n vrrp_version 3\n}\n' + instance(' advert_int 0.5')).diags,
      [],
    );
  });

  it('warns about nopreempt with state MASTER and with priority 255', () => {
    assert.match(
      parse(instance(' nopreempt\n state MASTER')).diags.join(),
      /nopreempt needs state BACKUP/,
    );
    assert.match(
      parse(instance(' nopreempt\n priority 255')).diags.join(),
      /priority 255 \(address owner\) always preempts/,
    );
    assert.deepEqual(parse(instance(' nopreempt')).diags, []);
  });

  it('warns about a unicast peer that is this node', () => {
    const r = parse(
      instance(' unicast_src_ip 10.0.0.2\n unicast_peer {\n  10.0.0.3\n  10.0.0.2\n }'),
    );
    assert.deepEqual(r.diags, [
      "10 warning vrrp_instance VI_1: unicast_peer 10.0.0.2 is this node's own unicast_src_ip",
    ]);
  });

  it('warns about an empty unicast_peer block', () => {
    const r = parse(instance(' unicast_peer {\n }'));
    assert.deepEqual(r.diags, [
      '7 warning unicast_peer: empty list: no peer will hear this node (multicast is not used either)',
    ]);
  });

  it('warns about track_script naming no vrrp_script', () => {
    const r = parse(instance(' track_script {\n  nope\n }'));
    assert.deepEqual(r.diags, [
      "8 warning vrrp_instance VI_1: track_script 'nope' is not a defined vrrp_script, ignored",
    ]);
  });

  it('errors on auth_type PASS without a password', () => {
    assert.match(
      parse(instance(' authentication {\n  auth_type PASS\n }')).diags.join(),
      /auth_type PASS without auth_pass/,
    );
  });
});

describe('lint (peer configs together)', () => {
  const node = (name: string, prio: number, extra = '', vip = '10.0.0.1') =>
    parseText(
      'vrrp_script chk {\n script /bin/true\n weight -20\n}\n' +
        `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n virtual_ipaddress {\n  ${vip}\n }\n${extra}\n}\n`,
      `/cfg/${name}.conf`,
    ).config;
  const peers = (...cfgs: ReturnType<typeof node>[]) => {
    const d = new Diagnostics();
    lintPeers(cfgs, d);
    return d.list.map(short);
  };

  it('is quiet for a consistent pair whose tracker can move mastership', () => {
    assert.deepEqual(peers(node('a', 100, ' track_script {\n  chk\n }'), node('b', 90)), []);
  });

  it('warns when a tracker weight can never change who is master', () => {
    const d = peers(node('a', 150, ' track_script {\n  chk\n }'), node('b', 50));
    assert.equal(d.length, 1);
    assert.match(
      d[0],
      /track_script 'chk' weight -20 can never make this node lose mastership: 150-20 = 130 is not below the peer's 50/,
    );
    const up = peers(node('a', 150), node('b', 50, ' track_interface {\n  eth1 weight 30\n }'));
    assert.match(up[0], /track_interface 'eth1' weight \+30 can never make this node master/);
  });

  it('warns when peers disagree on VIPs, advert_int or priority ties', () => {
    const d = peers(node('a', 100), node('b', 100, ' advert_int 2', '10.0.0.2'));
    assert.equal(d.length, 3, d.join('\n'));
    assert.match(d.join('\n'), /different virtual_ipaddress sets/);
    assert.match(d.join('\n'), /different advert_int \(2 vs 1\)/);
    assert.match(d.join('\n'), /equal priority 100/);
  });
});
