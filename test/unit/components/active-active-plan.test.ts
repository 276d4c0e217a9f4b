// The suite's active-active side (pure): keepalive.conf without VRRP and with
// bgp_announce, the directors' VIP on lo and ARP sysctls, the router managed
// through bgp.router.ssh/name, and the steps' order on every host.
import { strict as assert } from 'node:assert';
import { routerSteps } from '../../../components/bird-step';
import { directorSteps, hostSteps } from '../../../components/plan';
import { renderCluster } from '../../../components/render';
import { parseClusterSpec } from '../../../components/spec';
import { readStackSpec } from '../../../components/stack-file';
import { activeActive, issues } from './spec-fixtures';

const managed = { address: '198.51.100.1', asn: 65000, name: 'gw', ssh: '198.51.100.1' };
const spec = (bgp: Record<string, unknown> = {}) => parseClusterSpec(activeActive({}, bgp));
const show = (steps: { host: string; kind: string; after: string[] }[][]) =>
  steps.map((s) => s.map((x) => `${x.host}:${x.kind}<${x.after.join(',')}`));

describe('active-active: what the suite renders and runs', () => {
  it('keepalive.conf: virtual servers and bgp_announce from the bgp spec, no VRRP instance', () => {
    const c = spec({
      withdrawWhen: 'all-services-down',
      announceAfterSeconds: 5,
      announceProtocol: 'vip4',
    });
    const conf = renderCluster(c, 'aa').directors[1].config.content;
    assert.doesNotMatch(conf, /vrrp_instance|virtual_router_id|virtual_ipaddress/);
    assert.match(conf, /virtual_server 198\.51\.100\.10 80 \{[\s\S]*lb_algo mh/);
    const block = /bgp_announce \{[\s\S]*?\n\}/.exec(conf)?.[0] ?? '';
    assert.match(block, /bird_socket \/run\/bird\/bird\.ctl/);
    assert.match(block, /protocol vip4/);
    assert.match(block, /withdraw_when all-services-down/);
    assert.match(block, /announce_after 5/);
    // the interface the VIP's traffic arrives on: its DR ingress, and down = withdraw
    assert.match(block, /track_interface \{\s*lan0\s*\}/);
  });

  it('directors: the VIP on lo, hidden from ARP; a pair keeps its VRRP config unchanged', () => {
    const d = renderCluster(spec(), 'aa').directors[0];
    assert.match(d.vipOnLo!.script.content, /ip addr replace 198\.51\.100\.10\/32 dev lo/);
    for (const k of ['all.arp_ignore = 1', 'all.arp_announce = 2', 'lan0.arp_ignore = 1'])
      assert.ok(d.sysctl.content.includes(`net.ipv4.conf.${k}`), k);
    assert.doesNotMatch(
      d.sysctl.content,
      /^net\.ipv4\.ip_forward/m,
      'DR in netdev ingress needs no forwarding',
    );
    const pair = renderCluster(readStackSpec('lab'), 'lab').directors[0];
    assert.equal(pair.vipOnLo, undefined);
    assert.match(pair.config.content, /vrrp_instance VI_1/);
    assert.doesNotMatch(pair.config.content, /bgp_announce/);
    assert.doesNotMatch(pair.sysctl.content, /arp_ignore/);
  });

  it('bgp.router.ssh and name come together and name a host of its own', () => {
    assert.deepEqual(issues(activeActive({}, { router: { ...managed, name: undefined } })), [
      'keepalive:cluster.bgp.router.name: needed with ssh: it names the pinned host key of the router',
    ]);
    assert.deepEqual(issues(activeActive({}, { router: { ...managed, ssh: undefined } })), [
      'keepalive:cluster.bgp.router.ssh: needed with name: the address the suite logs in to',
    ]);
    assert.deepEqual(issues(activeActive({}, { router: { ...managed, name: 'rs1' } })), [
      'keepalive:cluster.bgp.router.name: rs1 is a director or a real server',
    ]);
    const keys = {
      d1: 'ssh-ed25519 AA',
      'd-2': 'ssh-ed25519 AA',
      d3: 'ssh-ed25519 AA',
      rs1: 'ssh-ed25519 AA',
    };
    assert.deepEqual(
      issues(activeActive({ ssh: { privateKeyFile: '/k', hostKeys: keys } }, { router: managed })),
      ['keepalive:cluster.ssh.hostKeys.gw: missing pinned host key'],
    );
  });

  it('steps: real servers, then the managed router (sysctl, BIRD), then directors (VIP and BIRD before the daemon)', () => {
    const c = spec({ router: managed });
    assert.deepEqual(show(routerSteps(c, 'aa')), [['gw:sysctl<', 'gw:bird<sysctl']]);
    assert.deepEqual(show(directorSteps(c, 'aa', { base64: 'QUJD', sha256: 'x' }))[0], [
      'd1:install<',
      'd1:sysctl<',
      'd1:vip<sysctl',
      'd1:bird<',
      'd1:config<install,sysctl,vip,bird',
    ]);
    assert.deepEqual(
      hostSteps(c, 'aa').map((s) => s[0].host),
      ['rs1', 'gw', 'd1', 'd-2', 'd3'],
    );
    const sysctl = routerSteps(c, 'aa')[0][0].stdin!;
    assert.match(sysctl, /fib_multipath_hash_policy = 1/);
    assert.match(sysctl, /ip_forward = 1/);
    // an unmanaged router (no ssh) is someone else's: no steps for it
    assert.deepEqual(routerSteps(spec(), 'aa'), []);
    assert.deepEqual(routerSteps(readStackSpec('lab'), 'lab'), []);
  });

  it('the lab-aa stack is a valid active-active declaration managing gw', () => {
    const c = readStackSpec('lab-aa');
    assert.equal(c.mode, 'active-active');
    assert.deepEqual(
      c.directors.map((d) => d.name),
      ['d1', 'd2', 'd3'],
    );
    assert.equal(c.bgp?.router.name, 'gw');
    assert.deepEqual(
      hostSteps(c, 'lab-aa').map((s) => s[0].host),
      ['rs1', 'rs2', 'gw', 'd1', 'd2', 'd3'],
    );
  });
});
