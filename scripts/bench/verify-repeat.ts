// Benchmark of the verification itself: the healthy control (the lab
// declaration deployed with the suite's host steps) verified N times in a
// row on an idle lab, then N times with both directors' CPUs loaded (one
// bounded busy loop in each director's namespaces). Prints, per step, how
// many runs passed and the distribution of its measurement, and checks the
// method: the VIP's move may not exceed the client outage by more than the
// stated uncertainty. `npm run bench:verify [-- RUNS]` (default 20); stops by
// itself after 40 minutes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildBundle } from '../../components/bundle';
import { directorSteps, realServerSteps } from '../../components/plan';
import { holders } from '../lab/daemons';
import { verifierArgv, writeLabStack } from '../lab/deploy';
import { applySteps } from '../lab/direct';
import { Lab } from '../lab/lab';
import { run, waitFor } from '../lab/sys';
import type { Report } from '../../verify/report';

const RUNS = Number(process.argv[2] ?? 20);
const DEADLINE = Date.now() + 40 * 60_000;
/** longest a busy loop may live, whatever happens to this process */
const LOAD_MAX_S = 30 * 60;

type Sample = { pass: boolean; measured?: number; uncertainty?: number };

async function loadDirectors(lab: Lab) {
  const pids: number[] = [];
  for (const d of ['d1', 'd2']) {
    const [bin, ...args] = await lab.hostArgv(d, [
      'timeout',
      String(LOAD_MAX_S),
      'sh',
      '-c',
      'while :; do :; done',
    ]);
    const c = spawn(bin, args, { stdio: 'ignore', detached: true });
    pids.push(c.pid!);
  }
  return () => {
    for (const p of pids)
      try {
        process.kill(-p, 'SIGKILL');
      } catch {
        /* gone */
      }
  };
}

const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return s.length ? { min: s[0], p50: at(0.5), p90: at(0.9), max: s[s.length - 1] } : undefined;
};

async function main() {
  const lab = new Lab({ prefix: 'lab-vbench', log: () => {} });
  const dir = mkdtempSync(path.join(tmpdir(), 'kts-bench-verify-'));
  await lab.up();
  const spec = writeLabStack(lab, dir);
  try {
    await applySteps(lab, realServerSteps(spec, 'lab'), 'create');
    await applySteps(lab, directorSteps(spec, 'lab', buildBundle()), 'create');
    for (const loaded of [false, true]) {
      const stop = loaded ? await loadDirectors(lab) : () => {};
      const steps = new Map<string, Sample[]>();
      let disagree = 0;
      let runs = 0;
      try {
        for (let i = 0; i < RUNS && Date.now() < DEADLINE; i++) {
          await waitFor(
            'the VIP on d1 alone',
            async () => (await holders(lab, ['d1', 'd2'])).join() === 'd1',
            30_000,
            100,
          );
          const r = await run(process.execPath, verifierArgv(lab, ['--json'], dir), {
            timeoutMs: 180_000,
          });
          if (!r.stdout.trim().startsWith('{'))
            throw new Error(`verifier: exit ${r.code}: ${r.stderr.slice(-2000)}`);
          const report = JSON.parse(r.stdout) as Report;
          runs++;
          for (const s of report.steps) {
            const l = steps.get(s.name) ?? [];
            l.push({
              pass: s.pass,
              measured: s.measured_s ?? undefined,
              uncertainty: s.uncertainty_s,
            });
            steps.set(s.name, l);
          }
          // the method's check: the VIP cannot move later than clients see the service back
          const move = report.steps.find((s) => /^VIP moves to/.test(s.name));
          const outage = report.steps.find((s) => /^client outage/.test(s.name));
          if (move?.measured_s != null && outage?.measured_s != null) {
            const slack = (move.uncertainty_s ?? 0) + (outage.uncertainty_s ?? 0);
            if (move.measured_s > outage.measured_s + slack + 0.05) disagree++;
          }
          process.stderr.write(
            `${loaded ? 'loaded' : 'idle'} run ${i + 1}/${RUNS}: ${report.verdict}${
              report.verdict === 'pass'
                ? ''
                : ` (${report.steps
                    .filter((s) => !s.pass)
                    .map((s) => `${s.name}: ${s.detail}`)
                    .join('; ')})`
            }\n`,
          );
        }
      } finally {
        stop();
      }
      const label = loaded ? 'both directors CPU-loaded' : 'idle';
      console.log(`\n${label}: ${runs} runs`);
      console.log(
        `${'step'.padEnd(44)}${'passed'.padEnd(9)}${'min'.padEnd(8)}${'p50'.padEnd(8)}${'p90'.padEnd(8)}${'max'.padEnd(8)}max ±`,
      );
      for (const [name, l] of steps) {
        const q = quantiles(l.flatMap((x) => (x.measured === undefined ? [] : [x.measured])));
        const unc = Math.max(0, ...l.map((x) => x.uncertainty ?? 0));
        const f = (x?: number) => (x === undefined ? '-' : x.toFixed(3)).padEnd(8);
        console.log(
          `${name.padEnd(44)}${`${l.filter((x) => x.pass).length}/${l.length}`.padEnd(9)}${f(q?.min)}${f(q?.p50)}${f(q?.p90)}${f(q?.max)}${q ? unc.toFixed(3) : '-'}`,
        );
        console.log(
          JSON.stringify({
            bench: 'verify',
            load: label,
            step: name,
            passed: l.filter((x) => x.pass).length,
            runs: l.length,
            seconds: q,
            max_uncertainty_s: unc,
          }),
        );
      }
      console.log(
        `VIP move later than the client outage (beyond uncertainty + 50 ms): ${disagree}/${runs}`,
      );
    }
    if (Date.now() >= DEADLINE)
      console.log('(stopped at the 40-minute limit: fewer runs than asked)');
  } finally {
    await applySteps(lab, directorSteps(spec, 'lab'), 'delete').catch(() => {});
    await applySteps(lab, realServerSteps(spec, 'lab'), 'delete').catch(() => {});
    lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`bench:verify: ${e.message}`);
  process.exit(1);
});
