// The direct path (the suite's host steps over SSH) interrupted at random
// points: the ssh client of the running step gets SIGINT or SIGKILL after a
// random delay. After each interruption every host satisfies the invariant
// of components/host-invariant.ts (taken once no step runs on the host any
// more), and a re-run converges to the full deploy. The seed is printed.
import { strict as assert } from 'node:assert';
import { buildBundle } from '../../components/bundle';
import { directorSteps, realServerSteps, type Step } from '../../components/plan';
import { readStackSpec } from '../../components/stack-file';
import { applySteps, sshRun } from '../../scripts/lab/direct';
import type { Lab } from '../../scripts/lab/lab';
import { waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';
import {
  deployTargets,
  report,
  seededRandom,
  servedThroughVip,
  snapshotHosts,
  violations,
  type Trial,
} from './deploy-trials';

// 4 keep `npm test` within its budget; KEEPALIVE_DEPLOY_TRIALS=8 or more for a report
const TRIALS = Number(process.env.KEEPALIVE_DEPLOY_TRIALS ?? 4);

describe('interrupted deploys: the direct path (ssh killed at random points)', function () {
  this.timeout(600_000);
  let lab: Lab;
  const spec = readStackSpec('lab');
  const bundle = buildBundle();
  const steps = [...realServerSteps(spec, 'lab'), ...directorSteps(spec, 'lab', bundle)];
  const targets = deployTargets(spec, 'lab', bundle.sha256);
  const rnd = seededRandom();
  const trials: Trial[] = [];
  let baseline: Awaited<ReturnType<typeof snapshotHosts>>;
  /** how long a deploy takes from clean hosts, and again over a deployed lab */
  let fullMs = 0;
  let redeployMs = 0;

  before(async () => {
    lab = await sharedLab();
    baseline = await snapshotHosts(lab, spec, targets);
    console.log(`      seed ${rnd.seed} (replay: KEEPALIVE_DEPLOY_SEED=${rnd.seed})`);
  });
  after(async () => {
    if (trials.length) console.log(report('direct path', rnd.seed, trials));
    if (lab) await applySteps(lab, steps, 'delete');
  });

  const deploy = async () => {
    const t0 = Date.now();
    await applySteps(lab, steps, 'create');
    return Date.now() - t0;
  };

  it('a deploy without interruption converges (and times it from clean and again)', async () => {
    // the first run on a fresh lab is slower (cold caches, first logins): time the second
    await deploy();
    await applySteps(lab, steps, 'delete');
    fullMs = await deploy();
    redeployMs = await deploy();
    console.log(`      deploy from clean ${fullMs} ms, over the deployed lab ${redeployMs} ms`);
    assert.deepEqual(
      violations(baseline, await snapshotHosts(lab, spec, targets), targets, 'converged'),
      [],
    );
    await applySteps(lab, steps, 'delete');
  });

  it('a remote step outlives its killed ssh client (sshd sends no signal without a pty): why the lock', async () => {
    const ac = new AbortController();
    const mark = '/run/kts-outlived';
    setTimeout(() => ac.abort(), 500);
    await assert.rejects(
      sshRun(lab, 'rs1', `rm -f ${mark}; sleep 1.5; touch ${mark}`, '', {
        signal: ac.signal,
        killSignal: 'SIGKILL',
      }),
    );
    await waitFor(
      'the step to finish on rs1',
      async () => (await lab.exec('rs1', ['test', '-e', mark])).code === 0,
      5000,
      100,
    );
    await lab.exec('rs1', ['rm', '-f', mark]);
  });

  it(`${TRIALS} interrupted deploys: every host whole after each, every re-run converges`, async () => {
    for (let i = 0; i < TRIALS; i++) {
      const kind = i % 2 === 0 ? 'SIGINT' : 'SIGKILL';
      // trials 1-2, 5-6 start from clean hosts, 3-4 over the deployed lab (a re-deploy interrupted)
      if (i % 4 < 2) await applySteps(lab, steps, 'delete');
      const before = await snapshotHosts(lab, spec, targets);
      // the seed replays the same fractions of the measured deploy times
      const delayMs = Math.round(rnd.next() * (i % 4 < 2 ? fullMs : redeployMs));
      const ac = new AbortController();
      let point = 'after the last step';
      let current: Step | undefined;
      const timer = setTimeout(() => {
        point = current ? `${current.host}:${current.kind}` : 'before the first step';
        ac.abort();
      }, delayMs);
      try {
        await applySteps(lab, steps, 'create', {
          signal: ac.signal,
          killSignal: kind,
          onStep: (s) => (current = s),
        });
      } catch (e) {
        if (!ac.signal.aborted) throw e;
      } finally {
        clearTimeout(timer);
      }
      const now = await snapshotHosts(lab, spec, targets);
      assert.deepEqual(
        violations(before, now, targets, 'interrupted'),
        [],
        `trial ${i + 1}: ${kind} after ${delayMs} ms in ${point} (seed ${rnd.seed})`,
      );
      const t0 = Date.now();
      await deploy();
      const after = await snapshotHosts(lab, spec, targets);
      const v = violations(before, after, targets, 'converged');
      trials.push({
        kind,
        delayMs,
        point,
        converged: v.length === 0,
        rerunSeconds: (Date.now() - t0) / 1000,
      });
      assert.deepEqual(
        v,
        [],
        `trial ${i + 1}: re-run after ${kind} in ${point} (seed ${rnd.seed})`,
      );
    }
  });

  it('after the last re-run: the VIP on the master, clients served by both real servers', async () => {
    await servedThroughVip(lab);
  });

  it('delete leaves every host as before', async () => {
    await applySteps(lab, steps, 'delete');
    assert.deepEqual(await snapshotHosts(lab, spec, targets), baseline);
  });
});
