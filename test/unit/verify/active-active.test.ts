// The active-active verification on a simulated cluster under a fake clock:
// kill, drain and add are timed at the router and at the client and judged
// against the bounds BIRD's configuration implies.
import { strict as assert } from 'node:assert';
import { readStackSpec } from '../../../components/stack-file';
import { parseClusterSpec, type ClusterSpec } from '../../../components/spec';
import { aaKillCommand, deriveAaBounds } from '../../../verify/bounds-aa';
import type { Report } from '../../../verify/report';
import { aaRoles } from '../../../verify/scenarios/active-active';
import { verify } from '../../../verify/verify';
import { FakeAaCluster, type AaBehaviour } from './fake-aa-cluster';

/** the lab's declaration turned active-active: three directors, Maglev, BGP to the gateway */
function aaSpec(bfd = true): ClusterSpec {
  const lab = readStackSpec('lab');
  return parseClusterSpec({
    ...lab,
    mode: 'active-active',
    directors: ['d1', 'd2', 'd3'].map((name, i) => ({
      name,
      ssh: `198.51.100.1${i + 1}`,
      address: `198.51.100.1${i + 1}`,
    })),
    services: lab.services.map((s) => ({ ...s, lbAlgo: 'mh' })),
    splitBrain: { referenceIp: '198.51.100.1' },
    bgp: {
      localAsn: 65001,
      router: { address: '198.51.100.1', asn: 65000 },
      bfd: { enabled: bfd, intervalMs: 100, multiplier: 3 },
    },
  });
}

const healthy: AaBehaviour = {
  routerDropMs: 320,
  returnMs: 6000,
  withdrawMs: 40,
  announceMs: 2100,
  propagateMs: 20,
};

async function run(b: Partial<AaBehaviour>, spec = aaSpec()) {
  const c = new FakeAaCluster({ ...healthy, ...b });
  const report = await verify({
    spec,
    stack: 'lab-aa',
    remote: c,
    clock: c.clock,
    probeHost: 'cl',
    routerHost: 'gw',
  });
  return { c, report };
}
const step = (r: Report, name: RegExp) => {
  const s = r.steps.find((x) => name.test(x.name));
  assert.ok(s, `no step ${name} in ${r.steps.map((x) => x.name).join(' | ')}`);
  return s;
};

describe('verify active-active: bounds', () => {
  it("the router's drop bound is BFD's detection time with BFD, the hold time without", () => {
    assert.equal(deriveAaBounds(aaSpec(true)).basis.routerDropBoundMs, 300);
    assert.equal(deriveAaBounds(aaSpec(false)).basis.routerDropBoundMs, 9000);
    assert.ok(deriveAaBounds(aaSpec(true)).killOutage < 1.1);
    assert.throws(() => deriveAaBounds(readStackSpec('lab')), /mode: active-active/);
  });

  it('the kill silences all but SSH ahead of the dataplane and undoes itself', () => {
    const cmd = aaKillCommand('lan0', 4);
    assert.match(cmd, /hook ingress device "lan0" priority -500/);
    assert.match(cmd, /tcp dport 22 accept[\s\S]*drop/);
    assert.match(cmd, /sleep 4; nft delete table netdev keepalive_verify_kill/);
    assert.deepEqual(aaRoles(['d1', 'd2', 'd3']), { killed: 'd3', drained: 'd1' });
  });
});

describe('verify active-active: scenario', function () {
  this.timeout(20_000);
  it('passes a cluster that drops a dead director within BFD time and drains without loss', async () => {
    const { report } = await run({});
    assert.equal(report.verdict, 'pass', JSON.stringify(report.steps, null, 1));
    assert.ok(step(report, /router sends to every director/).pass);
    assert.equal(step(report, /router stops sending to killed d3/).measured_s, 0.32);
    const kill = step(report, /client outage \(kill/);
    assert.ok(kill.measured_s! > 0.2 && kill.measured_s! <= 0.4, String(kill.measured_s));
    assert.equal(step(report, /client outage \(drain/).measured_s, 0);
    assert.equal(step(report, /client outage \(add/).measured_s, 0);
    assert.equal(step(report, /drain: d1 withdraws/).measured_s, 0.04);
    assert.equal(step(report, /add: d1 announces/).measured_s, 2.1);
    assert.equal(step(report, /killed d3 back in the route/).measured_s, 6);
  });

  it('fails a router that keeps sending to a dead director past the BFD bound (names the step)', async () => {
    const { report } = await run({ routerDropMs: 9000 });
    assert.equal(report.verdict, 'fail');
    assert.equal(step(report, /router stops sending to killed/).pass, false);
    assert.equal(step(report, /client outage \(kill/).pass, false);
  });

  it('without BFD the hold time is the bound, and a 9 s drop passes', async () => {
    const { report } = await run({ routerDropMs: 8800 }, aaSpec(false));
    assert.equal(step(report, /router stops sending to killed/).pass, true);
    assert.equal(step(report, /router stops sending to killed/).measured_s, 8.8);
  });

  it('fails a drain that drops flows the router still sends (forwarding stops before the withdrawal lands)', async () => {
    const { report } = await run({ drainStopsForwarding: true, propagateMs: 100 });
    const drain = step(report, /client outage \(drain/);
    assert.equal(drain.pass, false);
    assert.ok(drain.measured_s! > 0.05, String(drain.measured_s));
    assert.equal(report.verdict, 'fail');
  });
});
