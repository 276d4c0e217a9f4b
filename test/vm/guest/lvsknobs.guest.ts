// Runs INSIDE the test VM: keepalived's LVS knobs against the real IPVS of
// Debian's kernel: scheduler flags, persistence_engine sip, sorry_server and
// sorry_server_inhibit, nftables_ipvs (marks in nftables, one fwmark service
// per group, carrying HTTP), lvs_netlink_cmd_rcv_bufs.
import { strict as assert } from 'node:assert';
import {
  Daemon,
  down,
  fetchName,
  inNs,
  RS,
  seedConfig,
  startHttp,
  stopHttp,
  up,
  waitFor,
} from './world';

const check =
  '    TCP_CHECK {\n      connect_port 8080\n      connect_timeout 1\n      retry 1\n    }\n';
const rs = (addr: string, port: number, extra = '') =>
  `  real_server ${addr} ${port} {\n    weight 1\n${extra}${check}  }\n`;
const both = (port = 8080) => rs(RS.rs1, port) + rs(RS.rs2, port);
const vs = (head: string, body: string, servers = both()) =>
  `virtual_server ${head} {\n  delay_loop 1\n  lb_kind NAT\n  protocol TCP\n${body}${servers}}\n`;

const conf = () =>
  seedConfig({
    backend: 'ipvs',
    extra:
      'virtual_server_group rng {\n  203.0.113.50-51 8080\n}\n' +
      vs('group rng', '  lb_algo rr\n') +
      vs('203.0.113.20 8080', '  lb_algo sh\n  sh-port\n  sh-fallback\n') +
      vs('203.0.113.21 8080', '  lb_algo mh\n  mh-port\n') +
      vs(
        '203.0.113.30 5060',
        '  lb_algo rr\n  persistence_timeout 60\n  persistence_engine sip\n',
        both(5060),
      ).replace('protocol TCP', 'protocol UDP') +
      vs(
        '203.0.113.40 8080',
        `  lb_algo rr\n  quorum 2\n  sorry_server ${RS.rs1} 9090\n  sorry_server_inhibit\n`,
      ) +
      vs(
        '203.0.113.41 8080',
        `  lb_algo rr\n  flag-3\n  quorum 2\n  sorry_server ${RS.rs1} 9090\n`,
      ),
  }).replace(
    /global_defs \{/,
    'global_defs {\n  nftables_ipvs\n  lvs_netlink_cmd_rcv_bufs 400000\n  lvs_netlink_cmd_rcv_bufs_force',
  );

/** `-a` lines of one service in `ipvsadm -Sn`: "ADDR:PORT WEIGHT" */
function dests(saved: string, svc: string): string[] {
  return saved
    .split('\n')
    .filter((l) => l.startsWith(`-a ${svc} `))
    .map((l) => `${/-r (\S+)/.exec(l)![1]} ${/-w (\d+)/.exec(l)![1]}`)
    .sort();
}

describe('LVS knobs on IPVS (inside the VM)', function () {
  this.timeout(120_000);
  let daemon: Daemon | undefined;
  before(() => {
    up();
    for (const a of ['203.0.113.50', '203.0.113.51']) inNs('kd', `ip addr add ${a}/32 dev eth1`);
  });
  after(async () => {
    await daemon?.stop().catch(() => {});
    down();
  });

  it('starts: every service in IPVS with both real servers', async () => {
    inNs('kd', 'modprobe ip_vs');
    daemon = new Daemon(conf());
    await waitFor(
      'the services',
      () => {
        const s = inNs('kd', 'ipvsadm -Sn');
        return (
          dests(s, '-f 1000').length === 2 &&
          dests(s, '-t 203.0.113.41:8080').length === 2 &&
          dests(s, '-u 203.0.113.30:5060').length === 2
        );
      },
      60_000,
    ).catch(() => assert.fail(inNs('kd', 'ipvsadm -Sn') + daemon!.logText()));
  });

  it('nftables_ipvs: the group range is marked in table ip keepalived_ipvs and served by one fwmark service (1000), carrying HTTP', () => {
    const saved = inNs('kd', 'ipvsadm -Sn');
    assert.match(saved, /-A -f 1000 -s rr/);
    assert.doesNotMatch(saved, /203\.0\.113\.5[01]:8080/, 'no per-address services');
    const table = inNs('kd', 'nft list table ip keepalived_ipvs');
    assert.match(table, /203\.0\.113\.50\/31 \. 8080 : 0x000003e8/, table);
    assert.match(table, /type filter hook input priority filter - 1; policy accept;/, table);
    const names = new Set<string>();
    for (const a of ['203.0.113.50', '203.0.113.51'])
      for (let i = 0; i < 6; i++) names.add(fetchName(`http://${a}:8080/`));
    assert.deepEqual([...names].sort(), ['rs1', 'rs2']);
    assert.match(inNs('kd', 'nft list table ip keepalived_ipvs'), /counter packets [1-9]/);
  });

  it('scheduler flags: sh-port, sh-fallback, mh-port, flag-3 in the service flags (ipvsadm -b)', () => {
    const saved = inNs('kd', 'ipvsadm -Sn');
    const line = (svc: string) => saved.split('\n').find((l) => l.startsWith(`-A ${svc} `)) ?? '';
    const sh = line('-t 203.0.113.20:8080');
    for (const f of ['-s sh', '-b ', 'sh-port', 'sh-fallback']) assert.ok(sh.includes(f), saved);
    const mh = line('-t 203.0.113.21:8080');
    for (const f of ['-s mh', '-b ', 'mh-port']) assert.ok(mh.includes(f), saved);
    assert.ok(!mh.includes('fallback'), saved);
    assert.ok(!line('-t 203.0.113.40:8080').includes('-b '), saved);
    assert.ok(line('-t 203.0.113.41:8080').includes('-b flag-3'), saved);
    // the flags read back from the kernel as set: the reconcile found nothing to re-apply
    assert.doesNotMatch(daemon!.logText(), /differed/);
  });

  it('persistence_engine sip on a persistent UDP service', () => {
    const saved = inNs('kd', 'ipvsadm -Sn');
    const l = saved.split('\n').find((x) => x.startsWith('-A -u 203.0.113.30:5060 ')) ?? '';
    assert.ok(l.includes('-p 60') && l.includes('--pe sip'), saved);
  });

  it('lvs_netlink_cmd_rcv_bufs(_force): the IPVS generic netlink socket has the buffer (ss -m)', () => {
    const ss = inNs('kd', 'ss -f netlink -m -p');
    const rb = ss
      .split('\n')
      .filter((l) => l.includes('genl:'))
      .map((l) => Number(/rb(\d+)/.exec(l)?.[1] ?? 0));
    // beyond net.core.rmem_max: only SO_RCVBUFFORCE gets it; the kernel doubles it
    assert.ok(rb.includes(800000), ss);
  });

  it('sorry_server_inhibit: the sorry server at weight 0 while quorum holds; quorum lost: it alone at weight 1, and back', async () => {
    let saved = inNs('kd', 'ipvsadm -Sn');
    assert.deepEqual(dests(saved, '-t 203.0.113.40:8080'), [
      `${RS.rs1}:8080 1`,
      `${RS.rs1}:9090 0`,
      `${RS.rs2}:8080 1`,
    ]);
    assert.deepEqual(dests(saved, '-t 203.0.113.41:8080'), [
      `${RS.rs1}:8080 1`,
      `${RS.rs2}:8080 1`,
    ]);
    stopHttp('rs2', 8080);
    try {
      await waitFor(
        'quorum lost on both',
        () => {
          saved = inNs('kd', 'ipvsadm -Sn');
          return dests(saved, '-t 203.0.113.41:8080').join() === `${RS.rs1}:9090 1`;
        },
        30_000,
      );
      assert.deepEqual(dests(saved, '-t 203.0.113.40:8080'), [`${RS.rs1}:9090 1`]);
    } finally {
      startHttp('rs2', 8080);
    }
    await waitFor(
      'quorum back',
      () => {
        saved = inNs('kd', 'ipvsadm -Sn');
        return dests(saved, '-t 203.0.113.41:8080').length === 2;
      },
      30_000,
    );
    assert.deepEqual(dests(saved, '-t 203.0.113.40:8080'), [
      `${RS.rs1}:8080 1`,
      `${RS.rs1}:9090 0`,
      `${RS.rs2}:8080 1`,
    ]);
  });

  it('SIGTERM removes the fwmark service and the marking table', async () => {
    await daemon!.stop();
    daemon = undefined;
    assert.doesNotMatch(inNs('kd', 'ipvsadm -Sn'), /-f 1000/);
    assert.throws(() => inNs('kd', 'nft list table ip keepalived_ipvs'));
  });
});
