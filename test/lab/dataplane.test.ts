// Health checks and the nftables dataplane end to end in the lab: keepalive-ts
// on the directors, busybox HTTP on the real servers (VIP on lo, arp_ignore),
// client traffic from cl through the VIP (LVS-DR: replies go straight back).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Lab } from '../../scripts/lab/lab';
import { LabDaemon, ROOT, VIP, vrrpConf } from '../../scripts/lab/daemons';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { detectionBoundS } from '../../daemon/check/verdict';
import { sharedLab } from './fixture';

const PROBE = path.join(ROOT, 'dist/scripts/lab/http-probe.js');
const RS = { rs1: '198.51.100.21', rs2: '198.51.100.22' };

interface ProbeOut {
  counts: Record<string, number>;
  errors: number;
  total: number;
  timeline?: [number, string][];
}

async function probe(lab: Lab, args: string[]): Promise<ProbeOut> {
  const r = await lab.exec('cl', [process.execPath, PROBE, '--url', `http://${VIP}/`, ...args], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`http-probe: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeOut;
}

/** What RealServerPool does in production: VIP on lo, no ARP answers for it. */
async function prepareRealServers(lab: Lab) {
  for (const h of ['rs1', 'rs2']) {
    await lab.exec(h, [
      'sh',
      '-c',
      `sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lan0.arp_ignore=1 net.ipv4.conf.lan0.arp_announce=2; ip addr add ${VIP}/32 dev lo 2>/dev/null; true`,
    ]);
  }
}

const httpd = (lab: Lab, host: string, on: boolean) => lab.httpService(host, on);

const vsConf = (o: {
  weights?: [number, number];
  persistence?: number;
  check: string;
  delayLoop?: number;
}) =>
  `virtual_server ${VIP} 80 {\n  delay_loop ${o.delayLoop ?? 1}\n  lb_algo wrr\n  lb_kind DR\n  protocol TCP\n` +
  (o.persistence ? `  persistence_timeout ${o.persistence}\n` : '') +
  Object.values(RS)
    .map(
      (ip, i) =>
        `  real_server ${ip} 80 {\n    weight ${o.weights?.[i] ?? 1}\n    ${o.check}\n  }\n`,
    )
    .join('') +
  '}\n';

const tcpCheck =
  'TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }';

describe('health checks and nftables dataplane (lab)', function () {
  this.timeout(180_000);
  let lab: Lab;
  const running: LabDaemon[] = [];
  const director = async (host: string, prio: number, vs: string) => {
    const d = new LabDaemon(
      lab,
      host,
      'ks',
      vrrpConf({
        priority: prio,
        version: 2,
        advertInt: 1,
        global: '  lvs_backend nftables\n',
      }).replace(/198\.51\.100\.10\/24/, '198.51.100.10/32') + vs,
    );
    running.push(d);
    await d.start();
    return d;
  };
  const vipOn = (host: string, timeoutMs: number) =>
    waitFor(
      `VIP on ${host}`,
      async () =>
        (await lab.exec(host, ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(VIP),
      timeoutMs,
    );
  const vsStatus = async (d: LabDaemon) =>
    (
      (await d.status()) as unknown as {
        virtualServers: { servers: { address: string; up: boolean; inService: boolean }[] }[];
      }
    ).virtualServers[0];

  before(async () => {
    lab = await sharedLab();
    await prepareRealServers(lab);
  });
  // the lab is shared by the whole run: put the real servers back as they were
  after(async () => {
    for (const h of ['rs1', 'rs2']) {
      await lab.exec(h, [
        'sh',
        '-c',
        `sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.lan0.arp_ignore=0 net.ipv4.conf.lan0.arp_announce=0; ip addr del ${VIP}/32 dev lo 2>/dev/null; rm -f ${lab.hostDir(h)}/www/big; true`,
      ]);
    }
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop().catch(() => {});
    for (const h of ['rs1', 'rs2']) await httpd(lab, h, true);
    for (const h of ['d1', 'd2'])
      await lab.exec(h, [
        'sh',
        '-c',
        'nft delete table netdev keepalive_ts 2>/dev/null; ip addr del 198.51.100.10/32 dev lan0 2>/dev/null; true',
      ]);
  });

  it('spreads clients over healthy servers in proportion to weight (1,000 requests, within 10%)', async () => {
    const d = await director('d1', 100, vsConf({ weights: [3, 1], check: tcpCheck }));
    await waitFor(
      'VIP and both servers in service',
      async () => (await vsStatus(d)).servers.every((s) => s.inService),
      10_000,
    );
    await vipOn('d1', 10_000);
    const r = await probe(lab, ['--count', '1000', '--timeout', '2000']);
    assert.equal(r.errors, 0, JSON.stringify(r));
    const share = (r.counts.rs1 ?? 0) / 1000;
    assert.ok(Math.abs(share - 0.75) <= 0.1, `rs1 (weight 3 of 4) got ${share}`);
    console.log(`      rs1 ${r.counts.rs1}, rs2 ${r.counts.rs2} of 1000`);
  });

  it('HTTP_GET: a wrong status or a wrong digest takes a server out', async () => {
    const digestRs1 = createHash('md5').update('rs1\n').digest('hex');
    const check = (p: string, extra: string) =>
      `HTTP_GET {\n      url {\n        path ${p}\n${extra}      }\n      connect_timeout 1\n      retry 0\n    }`;
    const d = await director(
      'd1',
      100,
      vsConf({ check: check('/', `        digest ${digestRs1}\n`) }),
    );
    await waitFor(
      'rs2 out by digest',
      async () => {
        const s = (await vsStatus(d)).servers;
        return s[0].inService && !s[1].inService;
      },
      10_000,
    );
    await d.stop();
    running.pop();
    const d2 = await director(
      'd1',
      100,
      vsConf({ check: check('/nope', '        status_code 200\n') }),
    );
    await waitFor(
      'both out by status 404',
      async () => (await vsStatus(d2)).servers.every((s) => !s.up),
      10_000,
    );
  });

  it('the seed virtual_server (rr, DR, persistence 50, TCP_CHECK 3/3/3): a dead server leaves, clients stay served, it comes back', async () => {
    const seed = (f: string) =>
      readFileSync(path.join(ROOT, 'test/fixtures', f), 'utf8')
        .replace(/interface eth0/, 'interface lan0')
        .replace(/192\.168\.22\.195/g, VIP)
        .replace(/192\.168\.22\.193/g, RS.rs1)
        .replace(/192\.168\.22\.194/g, RS.rs2);
    const m = new LabDaemon(lab, 'd1', 'ks', seed('seed-master.conf'));
    const b = new LabDaemon(lab, 'd2', 'ks', seed('seed-backup.conf'));
    running.push(m, b);
    await m.start();
    await b.start();
    await waitFor(
      'both servers in service on the master',
      async () => (await vsStatus(m)).servers.every((s) => s.inService),
      15_000,
    );
    await vipOn('d1', 10_000);
    // persistence: one client, one server
    const before = await probe(lab, ['--count', '20']);
    assert.equal(before.errors, 0);
    assert.equal(
      Object.keys(before.counts).length,
      1,
      `persistence keeps the client on one server: ${JSON.stringify(before.counts)}`,
    );
    const victim = Object.keys(before.counts)[0] as 'rs1' | 'rs2';
    const other = victim === 'rs1' ? 'rs2' : 'rs1';

    const t0 = Date.now();
    await httpd(lab, victim, false);
    await waitFor(
      `${victim} out of service`,
      async () => !(await vsStatus(m)).servers.find((s) => s.address === RS[victim])!.inService,
      40_000,
      100,
    );
    const outS = (Date.now() - t0) / 1000;
    const bound = detectionBoundS({
      delayLoop: 6,
      retry: 3,
      delayBeforeRetry: 3,
      connectTimeout: 3,
    });
    assert.ok(outS <= bound, `out after ${outS} s > bound ${bound} s`);
    const after = await probe(lab, ['--count', '50', '--every', '20']);
    assert.equal(after.errors, 0, `no request fails after removal: ${JSON.stringify(after)}`);
    assert.deepEqual(Object.keys(after.counts), [other]);

    await httpd(lab, victim, true);
    const t1 = Date.now();
    await waitFor(
      `${victim} back in service`,
      async () => (await vsStatus(m)).servers.every((s) => s.inService),
      15_000,
      100,
    );
    assert.ok(
      (Date.now() - t1) / 1000 <= 6 + 3 + 1,
      'back after the next successful check (one delay_loop)',
    );
    console.log(
      `      ${victim} out after ${outS.toFixed(1)} s (bound ${bound} s), back after ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
  });

  it('reconciles an outside change, and removes its rules on SIGTERM (kept with -I)', async () => {
    const d = await director('d1', 100, vsConf({ check: tcpCheck }));
    const rules = async () =>
      (await lab.exec('d1', ['nft', 'list', 'table', 'netdev', 'keepalive_ts'])).stdout;
    await waitFor('rules programmed', async () => (await rules()).includes('fwd ip to'), 10_000);
    await lab.exec('d1', ['nft', 'delete', 'table', 'netdev', 'keepalive_ts']);
    const t0 = Date.now();
    await waitFor('rules restored', async () => (await rules()).includes('fwd ip to'), 12_000, 100);
    console.log(
      `      restored ${((Date.now() - t0) / 1000).toFixed(1)} s after an outside delete`,
    );
    await d.term();
    running.pop();
    assert.equal(
      (await lab.exec('d1', ['nft', 'list', 'table', 'netdev', 'keepalive_ts'])).code,
      1,
      'table gone after SIGTERM',
    );
    const keep = new LabDaemon(lab, 'd1', 'ks', d.conf);
    running.push(keep);
    await keep.start();
    await waitFor('rules programmed', async () => (await rules()).includes('fwd ip to'), 10_000);
    await lab.exec('d1', ['sh', '-c', `kill -TERM ${keep.pid}`]);
    await waitFor('exit', async () => !(await keep.alive()), 5000);
    running.pop();
    // started without -I: rules removed; now check -I keeps them
    const withI = new LabDaemon(lab, 'd1', 'ks', d.conf);
    withI.extraArgs = ['-I'];
    running.push(withI);
    await withI.start();
    await waitFor('rules programmed', async () => (await rules()).includes('fwd ip to'), 10_000);
    await withI.term();
    running.pop();
    assert.ok((await rules()).includes('fwd ip to'), '-I leaves the dataplane in place');
  });

  it('NAT (one-arm, masquerade): clients reach both servers through the director', async () => {
    await lab.exec('d1', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    try {
      const vs = vsConf({ check: tcpCheck }).replace('lb_kind DR', 'lb_kind NAT');
      const d = await director('d1', 100, vs);
      await waitFor(
        'servers in service',
        async () => (await vsStatus(d)).servers.every((s) => s.inService),
        10_000,
      );
      await waitFor(
        'VIP on d1',
        async () =>
          (await lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(VIP),
        10_000,
      );
      const r = await probe(lab, ['--count', '200', '--timeout', '2000']);
      assert.equal(r.errors, 0, JSON.stringify(r));
      assert.ok((r.counts.rs1 ?? 0) > 40 && (r.counts.rs2 ?? 0) > 40, JSON.stringify(r.counts));
    } finally {
      await lab.exec('d1', [
        'sh',
        '-c',
        'sysctl -qw net.ipv4.ip_forward=0; nft delete table ip keepalive_ts_nat 2>/dev/null; true',
      ]);
    }
  });

  it('established DR connections survive a director failover (same hash on both directors)', async () => {
    // a 12 MB file served at 2 MB/s: the download spans the failover
    for (const h of ['rs1', 'rs2'])
      await lab.exec(h, ['sh', '-c', `head -c 12000000 /dev/zero > ${lab.hostDir(h)}/www/big`]);
    const vs = vsConf({ check: tcpCheck });
    const m = await director('d1', 100, vs);
    const b = await director('d2', 50, vs);
    await vipOn('d1', 10_000);
    await waitFor(
      'servers in service on both',
      async () =>
        (await vsStatus(m)).servers.every((s) => s.inService) &&
        (await vsStatus(b)).servers.every((s) => s.inService),
      10_000,
    );
    const dl = lab.exec(
      'cl',
      [
        'curl',
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code} %{size_download}',
        '--limit-rate',
        '2M',
        '--max-time',
        '30',
        `http://${VIP}/big`,
      ],
      { timeoutMs: 40_000 },
    );
    await sleep(1500);
    await m.term(); // d2 takes over after Skew_Time
    await vipOn('d2', 5000);
    const r = await dl;
    assert.equal(
      r.stdout.trim(),
      '200 12000000',
      `download across the failover: ${r.stdout} ${r.stderr}`,
    );
  });
});
