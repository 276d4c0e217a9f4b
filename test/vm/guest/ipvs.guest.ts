// Runs INSIDE the test VM (test/vm/ipvs.test.ts boots it): keepalive-ts
// against the real IPVS of Debian's kernel. Ordered: each test builds on the
// state the previous one left (one daemon, one topology), as an operator's
// day would.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  Daemon,
  down,
  DR_VIP,
  fetchName,
  inNs,
  ipvsConnCounters,
  settledStats,
  ipvsTable,
  NAT_VIP,
  RS,
  seedConfig,
  startHttp,
  stopHttp,
  up,
  waitFor,
  type IpvsServiceRow,
} from './world';

const check = `    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }`;
const rs = (addr: string, port: number, weight: number) =>
  `  real_server ${addr} ${port} {\n    weight ${weight}\n${check}\n  }\n`;

/** Two NAT services on a client-side VIP next to the seed's DR service. */
function natServices(o: { rs2Weight80?: number; with81?: boolean } = {}) {
  return `
vrrp_instance VI_NAT {
  state MASTER
  interface eth1
  virtual_router_id 101
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${NAT_VIP}/24
  }
}
virtual_server ${NAT_VIP} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
${rs(RS.rs1, 8080, 1)}${rs(RS.rs2, 8080, o.rs2Weight80 ?? 2)}}
${
  o.with81 === false
    ? ''
    : `virtual_server ${NAT_VIP} 81 {
  delay_loop 1
  lb_algo lc
  lb_kind NAT
  protocol TCP
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  inhibit_on_failure
${rs(RS.rs1, 8080, 3)}${rs(RS.rs2, 8080, 4)}}
`
}`;
}

const d = (address: string, port: number, method: 'NAT' | 'DR', weight: number) => ({
  address,
  port,
  method,
  weight,
});
/** What the configuration says IPVS must hold, written out by hand from the config text above. */
function expectedTable(o: { rs2Up?: boolean; rs2Weight80?: number; with81?: boolean } = {}) {
  const rs2Up = o.rs2Up ?? true;
  const t: Record<string, IpvsServiceRow> = {
    // the seed: rr, DR, persistence_timeout 50, two real servers of weight 1
    'TCP 198.51.100.195:80': {
      scheduler: 'rr',
      persistence: 50,
      dests: [d(RS.rs1, 80, 'DR', 1), d(RS.rs2, 80, 'DR', 1)],
    },
    [`TCP ${NAT_VIP}:80`]: {
      scheduler: 'wrr',
      dests: [
        d(RS.rs1, 8080, 'NAT', 1),
        ...(rs2Up ? [d(RS.rs2, 8080, 'NAT', o.rs2Weight80 ?? 2)] : []),
      ],
    },
  };
  if (o.with81 !== false)
    t[`TCP ${NAT_VIP}:81`] = {
      scheduler: 'lc',
      persistence: 300,
      netmask: '255.255.255.0',
      dests: [d(RS.rs1, 8080, 'NAT', 3), d(RS.rs2, 8080, 'NAT', rs2Up ? 4 : 0)],
    };
  return t;
}

const sorted = (t: Record<string, IpvsServiceRow>) =>
  Object.fromEntries(Object.entries(t).sort(([a], [b]) => a.localeCompare(b)));
const asObject = (m: Map<string, IpvsServiceRow>) => sorted(Object.fromEntries(m));

/** Wait until IPVS holds exactly `want`; on timeout the assertion shows the difference. */
async function ipvsBecomes(want: Record<string, IpvsServiceRow>, timeoutMs = 30_000) {
  const t0 = Date.now();
  try {
    await waitFor(
      'IPVS to match the configuration',
      () => JSON.stringify(asObject(ipvsTable())) === JSON.stringify(sorted(want)),
      timeoutMs,
    );
  } catch {
    assert.deepEqual(
      asObject(ipvsTable()),
      sorted(want),
      `after ${timeoutMs} ms:\n${inNs('kd', 'ipvsadm -Ln')}`,
    );
  }
  return Date.now() - t0;
}

/** Real servers per service ("addr:port") that get new connections, from IPVS. */
function ipvsLive(): Record<string, string[]> {
  return Object.fromEntries(
    [...ipvsTable()].map(([k, s]) => [
      k,
      s.dests
        .filter((x) => x.weight > 0)
        .map((x) => `${x.address}:${x.port}`)
        .sort(),
    ]),
  );
}

/** The same from the nftables backend's ruleset: each rule's comment names the service, its map the servers. */
function nftLive(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const listing = inNs('kd', 'nft list ruleset');
  // the Maglev tables are named maps: `map NAME { typeof ... elements = { slot : value, ... } }`
  const elements = new Map<string, string>();
  for (const m of listing.matchAll(/map (\w+) \{[^{}]*?elements = \{([^}]*)\}/g))
    elements.set(m[1], m[2]);
  for (const line of listing.split('\n')) {
    const c = /comment "((?:TCP|UDP|SCTP) [\d.]+:(\d+))"/.exec(line);
    if (!c) continue;
    const map = elements.get(/map @(\w+)/.exec(line)?.[1] ?? '') ?? '';
    const servers = new Set<string>();
    for (const m of map.matchAll(/\d+ : ([\d.]+)(?: \. (\d+))?/g))
      servers.add(`${m[1]}:${m[2] ?? c[2]}`);
    out[c[1]] = [...servers].sort();
  }
  return out;
}

describe('keepalive-ts on the kernel IPVS (inside the VM)', function () {
  this.timeout(120_000);
  let daemon: Daemon | undefined;

  before(() => up());
  after(async () => {
    await daemon?.stop().catch(() => {});
    down();
  });

  it('lvs_backend auto loads ip_vs and picks IPVS', async () => {
    assert.equal(
      existsSync('/proc/net/ip_vs'),
      false,
      'ip_vs must not be loaded before the daemon starts',
    );
    daemon = new Daemon(seedConfig({ extra: natServices() })); // the seed has no lvs_backend: auto
    await waitFor(
      'the dataplane choice in the log',
      () => /dataplane: (IPVS|nftables)/.test(daemon!.logText()),
      30_000,
    );
    const log = daemon.logText();
    assert.match(log, /loaded the ip_vs module/);
    assert.match(log, /dataplane: IPVS \(auto: the kernel has it\)/);
    assert.ok(existsSync('/proc/net/ip_vs'));
  });

  it('ipvsadm shows exactly the services, destinations, weights, schedulers and methods of the config', async () => {
    await ipvsBecomes(expectedTable());
    const listing = inNs('kd', 'ipvsadm -Ln');
    console.log(listing);
    // the human listing agrees with the save format the comparison used
    assert.match(listing, /TCP {2}198\.51\.100\.195:80 rr persistent 50/);
    assert.match(listing, /TCP {2}203\.0\.113\.10:81 lc persistent 300 mask 255\.255\.255\.0/);
    assert.match(listing, /-> 198\.51\.100\.194:80\s+Route\s+1/);
    assert.match(listing, /-> 198\.51\.100\.194:8080\s+Masq\s+2/);
  });

  it('carries HTTP through the NAT services to both real servers, by weight and with persistence', async () => {
    await waitFor('the NAT VIP on the director', () =>
      inNs('kd', 'ip -4 addr show dev eth1').includes(NAT_VIP),
    );
    const seen = { rs1: 0, rs2: 0, '': 0 } as Record<string, number>;
    for (let i = 0; i < 21; i++) seen[fetchName(`http://${NAT_VIP}:80/`)]++;
    assert.deepEqual(seen, { rs1: 7, rs2: 14, '': 0 }, 'wrr 1:2 over 21 new connections');
    const sticky = new Set(Array.from({ length: 6 }, () => fetchName(`http://${NAT_VIP}:81/`)));
    assert.equal(sticky.size, 1, `persistence: one client, one real server (got ${[...sticky]})`);
    assert.ok(['rs1', 'rs2'].includes([...sticky][0]));
  });

  it("carries HTTP through the seed's DR service: replies go straight from the real server", async () => {
    const names = Array.from({ length: 4 }, () => fetchName(`http://${DR_VIP}/`, 'dc'));
    assert.equal(
      new Set(names).size,
      1,
      `persistence 50: one client, one real server (got ${names})`,
    );
    const rs = names[0] as 'rs1' | 'rs2';
    assert.ok(rs === 'rs1' || rs === 'rs2', `answered by ${rs}`);
    // IPVS's connection table: four client connections and the persistence template, all to that server
    const entries = inNs('kd', 'ipvsadm -Lnc')
      .split('\n')
      .filter((l) => l.includes(` ${DR_VIP}:80 `) && l.includes(' 198.51.100.100:'));
    assert.equal(
      entries.filter((l) => !/198\.51\.100\.100:0 /.test(l)).length,
      4,
      entries.join('\n'),
    );
    assert.equal(
      entries.filter((l) => /198\.51\.100\.100:0 /.test(l)).length,
      1,
      'one persistence template',
    );
    assert.ok(
      entries.every((l) => l.trim().endsWith(`${RS[rs]}:80`)),
      entries.join('\n'),
    );
    const after = (await settledStats()).get(`TCP ${DR_VIP}:80 -> ${RS[rs]}:80`)!;
    assert.ok(after.inPkts > 0);
    assert.equal(after.outPkts, 0, 'direct routing: the director never sees the replies');
  });

  it('takes a failed real server out (weight 0 with inhibit_on_failure) and puts it back', async () => {
    stopHttp('rs2', 8080);
    const outMs = await ipvsBecomes(expectedTable({ rs2Up: false }));
    console.log(`      rs2 out of IPVS ${outMs} ms after its service stopped`);
    for (let i = 0; i < 6; i++) assert.equal(fetchName(`http://${NAT_VIP}:80/`), 'rs1');
    startHttp('rs2', 8080);
    const backMs = await ipvsBecomes(expectedTable());
    console.log(`      rs2 back in IPVS ${backMs} ms after its service restarted`);
    const seen = new Set(Array.from({ length: 6 }, () => fetchName(`http://${NAT_VIP}:80/`)));
    assert.deepEqual([...seen].sort(), ['rs1', 'rs2']);
  });

  it('puts back what someone changed in IPVS from outside (within the 5 s reconcile)', async () => {
    // (only :81, which the next test drops: a deleted destination loses its counters)
    // changed and read back in one shell: the 5 s reconcile may run any moment after
    const changed = inNs(
      'kd',
      `sh -c 'ipvsadm -d -t ${NAT_VIP}:81 -r ${RS.rs1}:8080 && ipvsadm -e -t ${NAT_VIP}:81 -r ${RS.rs2}:8080 -m -w 9 && ipvsadm -Sn'`,
    );
    assert.notDeepEqual(asObject(ipvsTable(changed)), sorted(expectedTable()));
    const ms = await ipvsBecomes(expectedTable(), 12_000);
    console.log(`      outside changes reverted after ${ms} ms`);
    await waitFor(
      'the warning in the log',
      () => /IPVS differed from the configuration/.test(daemon!.logText()),
      5000,
    );
  });

  it('SIGHUP applies only the delta: untouched destinations keep their counters and open connections', async () => {
    // an established connection through the NAT service, idle across the reload
    const nc = spawn('ip', ['netns', 'exec', 'cl', 'busybox', 'nc', NAT_VIP, '80'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let answer = '';
    nc.stdout.on('data', (b: Buffer) => (answer += b.toString()));
    await waitFor('the open connection in IPVS', () =>
      / ESTABLISHED /.test(inNs('kd', 'ipvsadm -Lnc')),
    );
    // counters with every connection so far, the open one included
    await settledStats();
    const before = ipvsConnCounters();
    const rs1Key = `TCP ${NAT_VIP}:80 -> ${RS.rs1}:8080`;
    assert.ok((before.get(rs1Key) ?? 0) > 0, `traffic was counted: ${JSON.stringify([...before])}`);
    daemon!.reload(seedConfig({ extra: natServices({ rs2Weight80: 5, with81: false }) }));
    await ipvsBecomes(expectedTable({ rs2Weight80: 5, with81: false }));
    await settledStats();
    const after = ipvsConnCounters();
    for (const [k, v] of before) {
      if (k.includes(`${NAT_VIP}:81`)) continue; // that service was removed
      assert.equal(after.get(k), v, `${k}: counter kept across the reload`);
    }
    nc.stdin.end('GET / HTTP/1.0\r\n\r\n');
    await waitFor(
      'the answer on the connection opened before the reload',
      () => /\b(rs1|rs2)\b/.test(answer),
      10_000,
    );
    nc.kill();
  });

  it('SIGTERM removes what the daemon created and leaves other IPVS services alone', async () => {
    inNs('kd', 'ipvsadm -A -t 203.0.113.99:7 -s rr');
    await daemon!.stop();
    assert.deepEqual([...ipvsTable().keys()], ['TCP 203.0.113.99:7']);
    inNs('kd', 'ipvsadm -D -t 203.0.113.99:7');
  });

  it('lvs_backend ipvs and nftables give the same real servers per service (one inhibited)', async () => {
    stopHttp('rs2', 8080);
    const conf = (backend: string) => seedConfig({ backend, extra: natServices() });
    daemon = new Daemon(conf('ipvs'));
    await ipvsBecomes(expectedTable({ rs2Up: false }));
    assert.match(daemon.logText(), /dataplane: IPVS(?! \(auto)/);
    const viaIpvs = ipvsLive();
    await daemon.stop();
    assert.equal(ipvsTable().size, 0);

    daemon = new Daemon(conf('nftables'));
    try {
      // both real servers start up, so wait for the check to take rs2 out here too
      await waitFor(
        'nftables to match IPVS',
        () => JSON.stringify(nftLive()) === JSON.stringify(viaIpvs),
        30_000,
      );
    } catch {
      assert.deepEqual(nftLive(), viaIpvs, inNs('kd', 'nft list ruleset'));
    }
    assert.equal(ipvsTable().size, 0, 'the nftables backend leaves IPVS alone');
    await daemon.stop();
    assert.doesNotMatch(inNs('kd', 'nft list ruleset'), /keepalive_ts/);
    startHttp('rs2', 8080);
  });
});
