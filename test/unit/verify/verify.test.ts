// The failover verifier's logic on a simulated cluster under a fake clock:
// measurements come from the simulated timings, verdicts from the bounds the
// configuration implies, failures name their cause.
import { strict as assert } from 'node:assert';
import { readStackSpec } from '../../../components/stack-file';
import { masterDownInterval, skewTime } from '../../../daemon/vrrp/fsm';
import { deriveBounds } from '../../../verify/bounds';
import { renderSvg, renderTable, skipSteps, type Report } from '../../../verify/report';
import { lastFailureAfter, outageAfter } from '../../../verify/timeline';
import { verify } from '../../../verify/verify';
import { FakeCluster, type Behaviour } from './fake-cluster';

const spec = readStackSpec('lab');
const healthy: Behaviour = {
  cleanMoveMs: 800,
  preemptMs: 3600,
  rsRemoveMs: 2500,
  rsReturnMs: 1500,
  arpIgnore: { rs1: 1, rs2: 1 },
  vrid: { d1: 51, d2: 51 },
};

async function run(b: Partial<Behaviour>, o: { noProbe?: boolean } = {}) {
  const c = new FakeCluster({ ...healthy, ...b });
  const report = await verify({
    spec,
    stack: 'lab',
    remote: c,
    clock: c.clock,
    probeHost: o.noProbe ? undefined : 'cl',
    scenarios: ['preflight', 'failover', 'rs'],
  });
  return { c, report };
}
const step = (r: Report, name: RegExp) => {
  const s = r.steps.find((x) => name.test(x.name));
  assert.ok(s, `no step ${name} in ${r.steps.map((x) => x.name).join(' | ')}`);
  return s;
};

describe('verify-failover: bounds from the configuration', () => {
  it("Skew_Time and Master_Down_Interval per RFC 3768 / 5798, from the daemon's own functions", () => {
    assert.equal(skewTime(2, 100, 1), 156 / 256);
    assert.equal(masterDownInterval(2, 100, 1), 3 + 156 / 256);
    assert.equal(skewTime(3, 100, 0.1), (156 * 0.1) / 256);
    const b = deriveBounds(spec); // lab: v2, advert_int 1, d1 150 / d2 100, HTTP check 2/1/1/1
    assert.equal(b.basis.skewTimeBackup, 156 / 256);
    assert.ok(b.cleanMove > 156 / 256 && b.cleanMove < 1);
    assert.ok(b.hardMove > 3.6 && b.hardMove < 4);
    assert.equal(b.rsOut, 2 + 2 * 1 + 1 * 1 + 1); // delay_loop + 2 timeouts + 1 retry delay + apply
  });
});

describe('verify-failover: timeline analyses', () => {
  const samples = (pattern: string, step = 20, t0 = 0) =>
    [...pattern].map((c, i) => ({ t: t0 + i * step, ok: c === '1' }));
  it('outage: first failure to the first success after the last failure, only once recovered', () => {
    assert.deepEqual(outageAfter(samples('1111'), 0), { ms: 0, failed: 0 });
    assert.equal(outageAfter(samples('11000011111'), 0)?.ms, 80);
    assert.equal(
      outageAfter(samples('1100101111111'), 0)?.ms,
      80,
      'a lone success inside the gap does not end it',
    );
    assert.equal(
      outageAfter(samples('110000111'), 0),
      undefined,
      'not enough successes after: not recovered',
    );
  });
  it('last failure after a real server fails, once traffic has settled', () => {
    const s = samples('1010101' + '1'.repeat(30));
    assert.equal(lastFailureAfter(s, 0), 100);
    assert.equal(lastFailureAfter(samples('10101'), 0), undefined);
  });
});

describe('verify-failover on a simulated cluster (fake clock)', function () {
  this.timeout(20_000);

  it('a healthy pair passes every step with the simulated timings measured', async () => {
    const { report } = await run({});
    assert.equal(report.verdict, 'pass', renderTable(report));
    const move = step(report, /^VIP moves to d2/);
    assert.ok(move.measured_s! >= 0.8 && move.measured_s! <= 0.82, `measured ${move.measured_s}`);
    const outage = step(report, /^client outage/);
    assert.ok(
      outage.measured_s! >= 0.78 && outage.measured_s! <= 0.84,
      `outage ${outage.measured_s}`,
    );
    // start-up (300 ms simulated) is measured apart from the protocol's wait
    const startup = step(report, /daemon start-up/);
    assert.ok(Math.abs(startup.measured_s! - 0.3) < 0.03, `start-up ${startup.measured_s}`);
    const back = step(report, /preempts back/);
    assert.ok(Math.abs(back.measured_s! - 3.6) < 0.03, `preempt ${back.measured_s}`);
    // its bound carries the start-up measured in the run
    assert.ok(Math.abs(back.bound_s! - (0.3 + 3 + 106 / 256 + 0.25)) < 0.01, `${back.bound_s}`);
    const rsOut = step(report, /traffic stops reaching failed rs1/);
    assert.ok(rsOut.measured_s! > 2.3 && rsOut.measured_s! <= 2.5, `rs out ${rsOut.measured_s}`);
    const rsBack = step(report, /rs1 back in service/);
    assert.ok(Math.abs(rsBack.measured_s! - 1.5) < 0.15, `rs back ${rsBack.measured_s}`);
  });

  it('times events by the clocks of the hosts where they happen, whatever their offsets', async () => {
    // the backup's clock 5 s ahead, the client's 3 s behind, rs1's 0.7 s ahead
    const { report } = await run({ clockOffsetMs: { d2: 5000, cl: -3000, rs1: 700, d1: -40 } });
    assert.equal(report.verdict, 'pass', renderTable(report));
    const move = step(report, /^VIP moves to d2/);
    assert.ok(move.measured_s! >= 0.8 && move.measured_s! <= 0.82, `measured ${move.measured_s}`);
    const rsBack = step(report, /rs1 back in service/);
    assert.ok(Math.abs(rsBack.measured_s! - 1.5) < 0.05, `rs back ${rsBack.measured_s}`);
    assert.equal(typeof move.uncertainty_s, 'number');
  });

  it('a slow start-up fails its own step, not the preemption', async () => {
    const { report } = await run({ startupMs: 2500, preemptMs: 5800 });
    assert.equal(step(report, /daemon start-up/).pass, false);
    const back = step(report, /preempts back/);
    assert.ok(back.pass, `${back.measured_s} <= ${back.bound_s}`);
  });

  it('a step can be left out of the verdict only by name (--skip), and says so', async () => {
    const { report } = await run({ firstServerUnused: true });
    assert.equal(report.verdict, 'fail');
    const skipped = skipSteps(report, ['traffic stops reaching', 'every real server answers']);
    assert.equal(skipped.verdict, 'pass', renderTable(skipped));
    assert.match(
      renderTable(skipped),
      /traffic stops reaching failed rs1 .* SKIP {4}skipped \(--skip\)/,
    );
    assert.equal(skipSteps(report, []).verdict, 'fail');
  });

  it('the SVG draws every address event with its clock-uncertainty band', async () => {
    const { report } = await run({ clockOffsetMs: { d2: 5000 } });
    const bands = renderSvg(report).match(/fill="#ff7f0e"/g) ?? [];
    assert.equal(bands.length, report.timeline!.vip.length);
    assert.ok(bands.length >= 4, `${bands.length} address events drawn`);
  });

  it('never passes a real-server step on no evidence: no client reached the failed server', async () => {
    const { report } = await run({ firstServerUnused: true });
    const s = step(report, /traffic stops reaching failed rs1/);
    assert.equal(s.pass, false);
    assert.equal(s.measured_s, null);
    assert.match(s.detail, /not measured: no client connection reached rs1/);
  });

  it('fails the move when the backup is slower than Skew_Time allows', async () => {
    const { report } = await run({ cleanMoveMs: 3000 });
    assert.equal(report.verdict, 'fail');
    const move = step(report, /^VIP moves to d2/);
    assert.equal(move.pass, false);
    assert.ok(move.measured_s! >= 3);
    assert.ok(step(report, /preflight|VIP on exactly one/).pass);
  });

  it('fails and names the real server that answers ARP for the VIP (arp_ignore=0)', async () => {
    const { report } = await run({ arpIgnore: { rs1: 0, rs2: 1 } });
    const arp = step(report, /ARP/);
    assert.equal(arp.pass, false);
    assert.match(arp.detail, /rs1 answers ARP for 198\.51\.100\.10/);
    assert.match(arp.detail, /rs1: arp_ignore=0/);
    assert.equal(report.verdict, 'fail');
  });

  it('with two masters names a virtual_router_id mismatch as the cause', async () => {
    const c = new FakeCluster({ ...healthy, vrid: { d1: 51, d2: 52 } });
    c.holders.add('d2');
    const report = await verify({
      spec,
      stack: 'lab',
      remote: c,
      clock: c.clock,
      probeHost: 'cl',
      scenarios: ['preflight'],
    });
    const one = step(report, /VIP on exactly one/);
    assert.equal(one.pass, false);
    assert.match(one.detail, /on d1 and d2: virtual_router_id differs \(d1 51, d2 52\)/);
  });

  it('fails a real server that is never taken out of service', async () => {
    const { report } = await run({ rsRemoveMs: 60_000 });
    const s = step(report, /traffic stops reaching failed rs1/);
    assert.equal(s.pass, false);
  });

  it('the report renders as a table and an SVG timeline with both directors and the probe', async () => {
    const { report } = await run({});
    const table = renderTable(report);
    assert.match(table, /VIP moves to d2 \(clean stop\)\s+0\.8\d\d s\s+<= 0\.\d+ s\s+PASS/);
    assert.match(table, /verdict: PASS/);
    const svg = renderSvg(report);
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /VIP on d1/);
    assert.match(svg, /VIP on d2/);
    assert.match(svg, /fill="#d62728"/, 'failed probes drawn');
    assert.match(svg, /clean stop of d1/);
    assert.equal((svg.match(/<svg/g) ?? []).length, 1);
  });
});
