// keepalived's LVS knobs on both backends, pure: scheduler flags,
// persistence_engine, persistence_granularity on nftables,
// sorry_server_inhibit, nftables_ipvs (keywords, IPVS attributes, nftables
// rules, the services the health verdicts give).
import { strict as assert } from 'node:assert';
import { desiredServices, type VsView } from '../../../daemon/check/services';
import type { Config } from '../../../daemon/config/model';
import { parseService, encodeCommand, type IpvsService } from '../../../daemon/dataplane/ipvs';
import { renderIpvsMarks } from '../../../daemon/dataplane/ipvs-marks';
import { planIpvs, toIpvs } from '../../../daemon/dataplane/ipvs-plan';
import { renderNft } from '../../../daemon/dataplane/nft';
import { flowKey, pickTable } from '../../../daemon/dataplane/nft-pick';
import type { Service } from '../../../daemon/dataplane/types';
import { parseMessages } from '../../../daemon/net/genl';
import { parse } from '../config/helpers';

const RS = (ip: string, extra = '') =>
  ` real_server ${ip} 80 {\n  weight 1\n${extra}  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n`;
const VS = (body: string, head = '198.51.100.10 80') =>
  `virtual_server ${head} {\n protocol TCP\n${body}${RS('198.51.100.21')}${RS('198.51.100.22')}}\n`;

const svc = (o: Partial<Service>): Service => ({
  id: 'TCP 198.51.100.10:80',
  protocol: 'TCP',
  address: '198.51.100.10',
  port: 80,
  scheduler: 'sh',
  method: 'DR',
  persistence: 0,
  ingress: 'lan0',
  egress: 'lan0',
  destinations: [
    { address: '198.51.100.21', port: 80, weight: 1, method: 'DR' },
    { address: '198.51.100.22', port: 80, weight: 1, method: 'DR' },
  ],
  ...o,
});

/** every server up (or as given), quorum as given */
const views = (cfg: Config, up: (ip: string) => boolean = () => true, quorumUp = true): VsView[] =>
  cfg.virtual_server.map((vs, i) => ({
    cfg: vs,
    id: `vs${i}`,
    quorumUp,
    servers: vs.real_server.map((r) => ({ cfg: r, up: up(r.address), weight: r.weight })),
  }));

describe('LVS knobs: scheduler flags', () => {
  it('flag-1..3 always; sh-/mh- ones only after lvs_sched sh / mh, else ignored with a warning (keepalived)', () => {
    const r = parse(
      VS(' sh-port\n lvs_sched sh\n sh-port\n sh-fallback\n mh-port\n flag-3\n') +
        VS(' lvs_sched mh\n mh-fallback\n', '198.51.100.11 80') +
        VS(' lvs_sched rr\n flag-1\n flag-2\n', '198.51.100.12 80'),
    );
    assert.deepEqual(
      r.diags.filter((d) => d.includes('warning')),
      [
        '3 warning sh-port only applies to sh scheduler - ignoring (set lvs_sched sh before it)',
        '7 warning mh-port only applies to the mh scheduler (lvs_sched is sh) - ignoring',
      ],
    );
    const [a] = r.config.virtual_server;
    assert.equal(a['sh-port'], true, 'the second sh-port counts');
    assert.equal(a['mh-port'], false);
    const s = desiredServices(r.config, views(r.config));
    // IP_VS_SVC_F_SCHED1 = 8 (fallback), SCHED2 = 16 (port), SCHED3 = 32
    assert.deepEqual(
      s.map((x) => x.schedFlags),
      [8 | 16 | 32, 8, 8 | 16],
    );
  });

  it('IPVS: the flags go in IPVS_SVC_ATTR_FLAGS (mask all), read back from a dump, a change is a SET_SERVICE', () => {
    const service: IpvsService = {
      protocol: 'TCP',
      address: '198.51.100.10',
      port: 80,
      scheduler: 'sh',
      persistence: 0,
      schedFlags: 0x18,
    };
    const msg = encodeCommand(30, { cmd: 'NEW_SERVICE', service }, 1);
    // a NEW_SERVICE parses like a dump answer: same nest
    const back = parseService(parseMessages(Buffer.from(msg))[0]);
    assert.deepEqual(back, service);
    const t = toIpvs(svc({ schedFlags: 0x18 }));
    assert.equal(t.service.schedFlags, 0x18);
    const cmds = planIpvs([{ service: { ...t.service, schedFlags: 0x10 }, dests: t.dests }], [t]);
    assert.deepEqual(
      cmds.map((c) => c.cmd),
      ['SET_SERVICE'],
    );
  });

  it('nftables: sh/mh hash the source address; sh-port/mh-port add the source port; other schedulers hash both', () => {
    assert.equal(flowKey(svc({}), 'tcp'), 'ip saddr');
    assert.equal(flowKey(svc({ schedFlags: 0x10 }), 'tcp'), 'ip saddr . tcp sport');
    assert.equal(
      flowKey(svc({ scheduler: 'mh', schedFlags: 0x10 }), 'udp'),
      'ip saddr . udp sport',
    );
    assert.equal(flowKey(svc({ scheduler: 'rr' }), 'tcp'), 'ip saddr . tcp sport');
    assert.equal(
      flowKey(svc({ scheduler: 'rr', schedFlags: 0x38 }), 'tcp'),
      'ip saddr . tcp sport',
    );
    assert.match(renderNft([svc({})]).text, /fwd ip to jhash ip saddr mod 251 seed/);
  });

  it('nftables: without sh-fallback an inhibited server keeps its slots and their new flows are dropped; with it they move', () => {
    const inhibited = [
      { address: '198.51.100.21', port: 80, weight: 1, method: 'DR' as const },
      { address: '198.51.100.22', port: 80, weight: 0, method: 'DR' as const, baseWeight: 1 },
    ];
    const all = pickTable(svc({}))!;
    const keep = pickTable(svc({ destinations: inhibited }))!;
    // the same table as with both in service: no flow of the live server moves
    assert.deepEqual(
      keep.slots.map((d) => d.address),
      all.slots.map((d) => d.address),
    );
    assert.deepEqual(
      keep.dead,
      all.slots.flatMap((d, i) => (d.address === '198.51.100.22' ? [i] : [])),
    );
    assert.ok(keep.dead.length > 100 && keep.dead.length < 150, `${keep.dead.length}`);
    const dr = renderNft([svc({ destinations: inhibited })]).text;
    assert.match(
      dr,
      /tcp dport 80 tcp flags & \(syn \| ack\) == syn meta pkttype host fib daddr type local jhash ip saddr mod 251 seed 0x6b617473 \{ [\d, ]+ \} drop comment/,
    );
    const nat = renderNft([
      svc({ method: 'NAT', destinations: inhibited.map((d) => ({ ...d, method: 'NAT' })) }),
    ]).text;
    assert.match(nat, /tcp dport 80 jhash ip saddr mod 251 seed 0x6b617473 \{ [\d, ]+ \} drop/);
    // fallback (flag-1), or another scheduler: the live server takes every slot
    for (const s of [
      svc({ destinations: inhibited, schedFlags: 0x8 }),
      svc({ scheduler: 'rr', destinations: inhibited }),
    ]) {
      const t = pickTable(s)!;
      assert.deepEqual(t.dead, []);
      assert.ok(t.slots.every((d) => d.address === '198.51.100.21'));
      assert.doesNotMatch(renderNft([s]).text, /drop/);
    }
    // every server inhibited, no fallback: all new flows dropped (IPVS: no destination)
    const none = pickTable(
      svc({ destinations: inhibited.map((d) => ({ ...d, weight: 0, baseWeight: 1 })) }),
    )!;
    assert.equal(none.dead.length, none.m);
  });
});

describe('LVS knobs: persistence', () => {
  it('persistence_engine sip: sent with persistence only (keepalived), read back, refused on nftables', () => {
    const with_ = toIpvs(svc({ persistence: 60, persistenceEngine: 'sip', protocol: 'UDP' }));
    assert.equal(with_.service.pe, 'sip');
    const msg = encodeCommand(30, { cmd: 'NEW_SERVICE', service: with_.service }, 1);
    assert.ok(Buffer.from(msg).includes(Buffer.from('sip\0')));
    assert.equal(parseService(parseMessages(Buffer.from(msg))[0])!.pe, 'sip');
    assert.equal(toIpvs(svc({ persistenceEngine: 'sip' })).service.pe, undefined);
    const r = renderNft([svc({ persistence: 60, persistenceEngine: 'sip' })]);
    assert.deepEqual(
      r.skipped.map((x) => x.reason),
      ['persistence_engine sip needs IPVS (nftables has no SIP persistence engine)'],
    );
    const conf = (backend: string) =>
      parse(
        `global_defs {\n lvs_backend ${backend}\n}\n` +
          VS(' persistence_timeout 60\n persistence_engine sip\n'),
      );
    assert.deepEqual(
      conf('ipvs').diags.filter((d) => !d.includes('info')),
      [],
    );
    assert.match(
      conf('nftables').diags.join('\n'),
      /error virtual_server: persistence_engine sip: not supported by the nftables backend/,
    );
    assert.match(
      parse(VS(' persistence_engine sip\n')).diags.join('\n'),
      /persistence_engine sip without persistence_timeout has no effect/,
    );
  });

  it('nftables: persistence hashes the client address masked by persistence_granularity', () => {
    assert.equal(flowKey(svc({ persistence: 60 }), 'tcp'), 'ip saddr');
    assert.equal(
      flowKey(svc({ persistence: 60, persistenceNetmask: '255.255.255.0' }), 'tcp'),
      'ip saddr & 255.255.255.0',
    );
    assert.equal(
      flowKey(svc({ persistence: 60, persistenceNetmask: '/16' }), 'tcp'),
      'ip saddr & 255.255.0.0',
    );
    assert.match(
      renderNft([svc({ scheduler: 'rr', persistence: 60, persistenceNetmask: '255.255.255.0' })])
        .text,
      /fwd ip to jhash ip saddr & 255\.255\.255\.0 mod 251 seed/,
    );
  });
});

describe('LVS knobs: sorry_server and sorry_server_inhibit', () => {
  const conf = (extra: string) =>
    parse(VS(` quorum 2\n sorry_server 198.51.100.99 80\n${extra}`)).config;
  const dests = (s: Service[]) => s[0].destinations.map((d) => `${d.address} ${d.weight}`).sort();

  it('quorum up: the real servers; with sorry_server_inhibit the sorry server too, at weight 0', () => {
    assert.deepEqual(dests(desiredServices(conf(''), views(conf('')))), [
      '198.51.100.21 1',
      '198.51.100.22 1',
    ]);
    const c = conf(' sorry_server_inhibit\n');
    assert.deepEqual(dests(desiredServices(c, views(c))), [
      '198.51.100.21 1',
      '198.51.100.22 1',
      '198.51.100.99 0',
    ]);
  });

  it('quorum lost: the sorry server alone at weight 1; real servers with inhibit_on_failure stay at weight 0', () => {
    const c = conf(' sorry_server_inhibit\n inhibit_on_failure\n');
    const one = (ip: string) => ip === '198.51.100.21';
    assert.deepEqual(dests(desiredServices(c, views(c, one, false))), [
      '198.51.100.21 0',
      '198.51.100.22 0',
      '198.51.100.99 1',
    ]);
    const plain = conf('');
    assert.deepEqual(dests(desiredServices(plain, views(plain, one, false))), ['198.51.100.99 1']);
  });

  it('sorry_server_inhibit before sorry_server is ignored with keepalived warning', () => {
    const r = parse(VS(' sorry_server_inhibit\n sorry_server 198.51.100.99 80\n'));
    assert.ok(
      r.diags.includes(
        '3 warning Ignoring sorry_server inhibit used before or without sorry_server',
      ),
      r.diags.join('\n'),
    );
    assert.equal(r.config.virtual_server[0].sorry_server_inhibit, false);
  });
});

describe('LVS knobs: nftables_ipvs', () => {
  const GROUPS =
    'virtual_server_group web {\n 203.0.113.50-51 80\n 203.0.113.60 0\n}\n' +
    'virtual_server_group mixed {\n 203.0.113.70 80\n fwmark 9\n}\n';
  const vsOn = (group: string, proto = 'TCP', extra = '') =>
    `virtual_server group ${group} {\n protocol ${proto}\n persistence_timeout 60\n lb_kind NAT\n${extra}${RS('198.51.100.21')}}\n`;

  it('defaults as keepalived (table keepalived_ipvs, priority -1, first fwmark 1000); one fwmark per group and protocol', () => {
    const r = parse(
      `global_defs {\n nftables_ipvs\n}\n${GROUPS}${vsOn('web')}${vsOn('web', 'UDP')}${vsOn('web')}${vsOn('mixed')}`,
    );
    assert.deepEqual(
      r.diags.filter((d) => d.includes('error')),
      [],
    );
    const g = r.config.global_defs;
    assert.deepEqual(
      [g.nftables_ipvs, g.nftables_ipvs_priority, g.nftables_ipvs_start_fwmark],
      ['keepalived_ipvs', -1, 1000],
    );
    const s = desiredServices(r.config, views(r.config));
    assert.deepEqual(
      s.map((x) => x.id),
      ['FWM 1000', 'FWM 1001', 'TCP 203.0.113.70:80', 'FWM 9'],
    );
    assert.deepEqual(s[0].marked, {
      table: 'keepalived_ipvs',
      priority: -1,
      ranges: [
        { first: '203.0.113.50', last: '203.0.113.51', port: 80 },
        { first: '203.0.113.60', last: '203.0.113.60', port: 0 },
      ],
    });
    const text = renderIpvsMarks(s);
    assert.match(
      text,
      /^add table ip keepalived_ipvs\ndelete table ip keepalived_ipvs\ntable ip keepalived_ipvs \{/,
    );
    assert.match(
      text,
      /map tcp_map \{\n {4}type ipv4_addr \. inet_service : mark\n {4}flags interval\n {4}elements = \{ 203\.0\.113\.50-203\.0\.113\.51 \. 80 : 1000, 203\.0\.113\.60-203\.0\.113\.60 \. 0-65535 : 1000 \}/,
    );
    assert.match(
      text,
      /map udp_map \{[^}]*elements = \{ 203\.0\.113\.50-203\.0\.113\.51 \. 80 : 1001/,
    );
    assert.match(
      text,
      /type filter hook input priority -1; policy accept;\n {4}meta l4proto tcp meta mark set ip daddr \. tcp dport map @tcp_map counter return\n {4}meta l4proto udp/,
    );
    // the nftables backend matches the ranges itself, one rule and one table per group
    const nat = renderNft(s.slice(0, 1)).text;
    assert.match(
      nat,
      /ip daddr 203\.0\.113\.50-203\.0\.113\.51 tcp dport 80 dnat ip to jhash ip saddr mod 251 seed 0x6b617473 map @m_FWM_1000/,
    );
    // port 0: any port
    assert.match(
      nat,
      /ip daddr 203\.0\.113\.60 meta l4proto tcp dnat ip to jhash ip saddr mod 251 seed 0x6b617473 map @m_FWM_1000/,
    );
  });

  it('priority and start fwmark as given; IPv6 ranges refused with it; without it a group stays one service per address', () => {
    const r = parse(
      `global_defs {\n nftables_ipvs kts\n nftables_ipvs_priority -150\n nftables_ipvs_start_fwmark 7\n}\n${GROUPS}${vsOn('web')}`,
    );
    const s = desiredServices(r.config, views(r.config));
    assert.equal(s[0].fwmark, 7);
    assert.match(renderIpvsMarks(s), /table ip kts \{[\s\S]*priority -150;/);
    const v6 = parse(
      `global_defs {\n nftables_ipvs\n}\nvirtual_server_group six {\n 2001:db8::1-2 80\n}\n${vsOn('six')}`,
    );
    assert.match(
      v6.diags.join('\n'),
      /error virtual_server_group six: nftables_ipvs marks IPv4 address ranges only/,
    );
    const off = parse(`${GROUPS}${vsOn('web')}`);
    assert.equal(desiredServices(off.config, views(off.config)).length, 3);
  });
});

describe('LVS knobs: lvs_netlink_*_rcv_bufs', () => {
  it('reads the sizes and force flags', () => {
    const r = parse(
      'global_defs {\n lvs_netlink_cmd_rcv_bufs 1048576\n lvs_netlink_cmd_rcv_bufs_force\n lvs_netlink_monitor_rcv_bufs 524288\n}\n',
    );
    assert.deepEqual(r.diags, []);
    const g = r.config.global_defs;
    assert.deepEqual(
      [
        g.lvs_netlink_cmd_rcv_bufs,
        g.lvs_netlink_cmd_rcv_bufs_force,
        g.lvs_netlink_monitor_rcv_bufs,
        g.lvs_netlink_monitor_rcv_bufs_force,
      ],
      [1048576, true, 524288, false],
    );
  });
});
