// Active-active connection survival in the lab (3 directors, DR, BGP ECMP
// at gw): 200 long-lived connections through the VIP survive a drain and an
// add (undrain) without one broken, and a director killed at its switch port
// leaves gw's route within BFD's detection bound (routerDropBoundMs).
import { strict as assert } from 'node:assert';
import { readStackSpec } from '../../components/stack-file';
import { routerDropBoundMs } from '../../daemon/bgp/timing';
import { withoutVerification } from '../../scripts/aa/aa-lab';
import { describeSurvival } from '../../scripts/aa/survival-judge';
import {
  runScenario,
  SURVIVAL_DEFAULTS,
  type SurvivalScenario,
} from '../../scripts/aa/survival-scenarios';
import { deployDirect } from '../../scripts/lab/deploy';
import { which } from '../../scripts/lab/deps';
import type { Lab } from '../../scripts/lab/lab';
import { testLab } from './fixture';

/** gw's kernel changes the route within this of BIRD's decision (BFD detection) */
const ROUTE_SLACK_MS = 250;

describe('active-active: connection survival (lab)', function () {
  this.timeout(180_000);
  const spec = readStackSpec('lab-aa');
  let lab: Lab | undefined;
  const run = (s: SurvivalScenario) =>
    runScenario(lab!, spec, 'lab-aa', s, { ...SURVIVAL_DEFAULTS, log: () => {} });

  before(async function () {
    if (!which('bird') || !which('birdc')) return this.skip(); // .ci/run installs bird2; without it there is no BGP to test
    lab = testLab('aas', { mode: 'active-active' });
    await lab.up();
    await deployDirect(lab, () => {}, withoutVerification(spec));
  });
  after(() => lab?.down());

  it('a drained director breaks none of 200 connections', async () => {
    const r = await run('drain');
    assert.equal(r.verdict.connections, 200);
    assert.equal(r.verdict.broken, 0, describeSurvival(r.verdict));
    assert.ok(r.routerMs !== undefined, 'gw never withdrew the drained director');
  });

  it('a director added back (undrain) breaks none of 200 connections', async () => {
    const r = await run('add');
    assert.equal(r.verdict.broken, 0, describeSurvival(r.verdict));
    assert.ok(r.routerMs !== undefined, 'gw never took the added director back');
  });

  it("a killed director leaves gw's route within BFD's detection time", async () => {
    const r = await run('kill-bfd');
    const bound = routerDropBoundMs(spec.bgp!);
    assert.equal(r.routerBoundMs, bound);
    assert.ok(r.routerMs !== undefined, 'gw never dropped the killed director');
    assert.ok(
      r.routerMs <= bound + ROUTE_SLACK_MS,
      `${r.routerMs} ms > ${bound} + ${ROUTE_SLACK_MS}`,
    );
  });
});
