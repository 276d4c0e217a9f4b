// `pulumi up` interrupted at random points with the real engine: SIGINT to
// its process group (an operator's ^C: the engine finishes what is in flight
// and saves the state) and SIGKILL of the CLI alone (a crash: a lock and
// pending operations stay behind, its plugins are orphaned). Trials alternate
// between a first deploy (from clean hosts) and a config update (a weight
// change: reloads). After each: every host satisfies the invariant
// (components/host-invariant.ts), the lab tooling's recovery clears what the
// kill left, and a re-run converges. Then a no-op up, and destroy leaves the
// hosts as before. Skipped with the reason when there is no engine.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { buildBundle } from '../../components/bundle';
import { PULUMI_COMMANDS } from '../../components/gitops';
import { readStackSpec } from '../../components/stack-file';
import { REPO } from '../../scripts/lab/deploy';
import type { Lab } from '../../scripts/lab/lab';
import { sleep } from '../../scripts/lab/sys';
import {
  deployTargets,
  inFlight,
  report,
  seededRandom,
  servedThroughVip,
  snapshotHosts,
  violations,
  type Trial,
} from './deploy-trials';
import { testLab } from './fixture';
import { findEngine, PulumiCli } from './pulumi-cli';

// 4 keep `npm test` within its budget (~3 min); KEEPALIVE_ENGINE_TRIALS=6 or more for a report
const TRIALS = Number(process.env.KEEPALIVE_ENGINE_TRIALS ?? 4);

describe('interrupted deploys: pulumi up killed at random points (real engine)', function () {
  this.timeout(900_000);
  let lab: Lab;
  let cli: PulumiCli;
  const stack = `int-${process.pid}`;
  const bundle = buildBundle();
  const rnd = seededRandom();
  const trials: Trial[] = [];
  let baseline: Awaited<ReturnType<typeof snapshotHosts>>;
  const spec = () => readStackSpec(stack);
  const targets = () => deployTargets(spec(), stack, bundle.sha256);
  const snapshot = () => snapshotHosts(lab, spec(), targets());
  /** a first up: when its first host step starts, and how long it takes */
  let startMs = 0;
  let upMs = 0;

  before(async function () {
    const engine = findEngine();
    if ('reason' in engine) {
      console.log(`      skipped: ${engine.reason}`);
      this.skip();
    }
    lab = testLab('k');
    await lab.up();
    cli = new PulumiCli(lab, stack, engine.bin);
    // the verification (~37 s) is not what is interrupted here
    cli.init((c) => (c.failoverCheck = { ...(c.failoverCheck as object), enabled: false }));
    baseline = await snapshot();
    console.log(`      seed ${rnd.seed} (replay: KEEPALIVE_DEPLOY_SEED=${rnd.seed})`);
  });
  after(() => {
    if (trials.length) console.log(report('pulumi up', rnd.seed, trials));
    try {
      cli?.dispose();
    } finally {
      lab?.down();
    }
  });

  /**
   * `pulumi up` in its own process group, signalled after `delayMs` (not at
   * all without `kind`); resolves with its output, where the signal came, when
   * the first host step started and how long it all took.
   */
  async function interruptedUp(kind?: 'SIGINT' | 'SIGKILL', delayMs = 0) {
    const t0 = Date.now();
    let firstOpMs = 0;
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.topo.opsNs,
        'pulumi',
        ...PULUMI_COMMANDS.up,
        '--stack',
        stack,
        '--non-interactive',
      ],
      { cwd: REPO, env: cli.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
      if (!firstOpMs && /command:remote:Command \S+ (creating|updating)/.test(out))
        firstOpMs = Date.now() - t0;
    });
    child.stderr.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const pid = child.pid!;
    let point = 'after the update finished';
    const timer = setTimeout(() => {
      if (!kind) return;
      const flying = inFlight(out);
      point = flying.length
        ? flying.join(', ')
        : /created|updated/.test(out)
          ? 'between resources'
          : 'engine start (no resource yet)';
      // ^C at a terminal signals the whole foreground group; a crash kills the CLI alone
      if (kind === 'SIGINT') process.kill(-pid, 'SIGINT');
      else process.kill(pid, 'SIGKILL');
    }, delayMs);
    const code = await exited;
    const totalMs = Date.now() - t0;
    clearTimeout(timer);
    // the CLI's orphaned plugins (our own process group): give them time to notice, then stop them
    const groupAlive = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && groupAlive(); i++) await sleep(100);
    if (groupAlive()) process.kill(-pid, 'SIGKILL');
    return { code, out, point, firstOpMs, totalMs };
  }

  it('a first up converges (and is timed)', async () => {
    const r = await interruptedUp();
    assert.equal(r.code, 0, r.out.slice(-3000));
    [startMs, upMs] = [r.firstOpMs, r.totalMs];
    console.log(`      up from clean ${upMs} ms, its first host step at ${startMs} ms`);
    assert.deepEqual(violations(baseline, await snapshot(), targets(), 'converged'), []);
  });

  it(`${TRIALS} interrupted ups (SIGINT and SIGKILL): hosts whole after each, recovery and a re-run converge`, async () => {
    for (let i = 0; i < TRIALS; i++) {
      const kind = i % 2 === 0 ? 'SIGINT' : 'SIGKILL';
      const fromClean = i % 4 < 2;
      if (fromClean) cli.ok(['destroy', '--yes', '--skip-preview']);
      else cli.edit((c) => ((c.realServers as { weight?: number }[])[0].weight = 2 + (i % 3)));
      const before = await snapshot();
      // anywhere from the engine's start-up to the end of a full up, weighted to the host steps
      const delayMs = Math.round(startMs / 2 + rnd.next() * (upMs - startMs / 2));
      const r = await interruptedUp(kind, delayMs);
      const now = await snapshot();
      assert.deepEqual(
        violations(before, now, targets(), 'interrupted'),
        [],
        `trial ${i + 1}: ${kind} after ${delayMs} ms in ${r.point} (seed ${rnd.seed})\n${r.out.slice(-3000)}`,
      );
      const t0 = Date.now();
      const recovered = cli.recover();
      cli.ok([...PULUMI_COMMANDS.up]);
      const v = violations(before, await snapshot(), targets(), 'converged');
      trials.push({
        kind,
        delayMs,
        point: `${fromClean ? 'first deploy' : 'config update'}: ${r.point}${recovered.length ? `; recovery: ${recovered.join(', ')}` : ''}`,
        converged: v.length === 0,
        rerunSeconds: (Date.now() - t0) / 1000,
      });
      assert.deepEqual(
        v,
        [],
        `trial ${i + 1}: re-run after ${kind} in ${r.point} (seed ${rnd.seed})`,
      );
    }
  });

  it('then: no changes left, the VIP on the master, clients served by both real servers', async () => {
    assert.deepEqual(cli.recover(), []);
    cli.ok(['up', '--yes', '--skip-preview', '--expect-no-changes']);
    await servedThroughVip(lab, 10);
  });

  it('destroy leaves every host as before', async () => {
    cli.ok(['destroy', '--yes', '--skip-preview']);
    assert.deepEqual(await snapshot(), baseline);
  });
});
