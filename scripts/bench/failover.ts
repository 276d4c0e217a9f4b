// Benchmark: failover of the same declaration deployed by the suite with
// `daemon: keepalive-ts` and with `daemon: keepalived` (Debian's 2.2.7), on
// the same lab, alternating A B A B. Each trial runs the failover verifier
// (verify) for a clean stop and a crash of the master, each
// followed by the master preempting back; times come from the directors'
// address events. VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1.
// `npm run bench:failover [-- TRIALS]` (default 10); stops by itself after 45 minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildBundle } from '../../components/bundle';
import { directorSteps, realServerSteps } from '../../components/plan';
import { readStackSpec } from '../../components/stack-file';
import { holders } from '../lab/daemons';
import { verifierArgv, writeLabStack } from '../lab/deploy';
import { applySteps } from '../lab/direct';
import { Lab } from '../lab/lab';
import { run, sleep, waitFor } from '../lab/sys';
import type { Report } from '../../verify/report';

const TRIALS = Number(process.argv[2] ?? 10);
const DEADLINE = Date.now() + 45 * 60_000;
const DAEMONS = ['keepalive-ts', 'keepalived'] as const;
type Daemon = (typeof DAEMONS)[number];
const SCENARIOS = {
  'clean stop': /^VIP moves to .* \(clean stop\)/,
  'preempt back (after clean stop)': /preempts back \(after clean stop\)/,
  crash: /^VIP moves to .* \(crash\)/,
  'preempt back (after crash)': /preempts back \(after crash\)/,
};

function writeStack(dir: string, lab: Lab, daemon: Daemon, version: 2 | 3, advertInt: number) {
  return writeLabStack(lab, dir, (c) => {
    c.daemon = daemon;
    c.vrrpVersion = version;
    c.advertInt = advertInt;
    if (version === 3) delete c.authPass; // v3 has no authentication
  });
}

async function verifyTrial(lab: Lab, dir: string): Promise<Report> {
  const r = await run(
    process.execPath,
    verifierArgv(lab, ['--scenarios', 'failover,crash', '--no-probe', '--json'], dir),
    { timeoutMs: 120_000 },
  );
  if (!r.stdout.trim().startsWith('{')) throw new Error(`verifier: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length }
    : undefined;
};

async function main() {
  const lab = new Lab({ prefix: 'lab-bench', log: () => {} });
  const dir = mkdtempSync(path.join(tmpdir(), 'kts-bench-failover-'));
  await lab.up();
  const bundle = buildBundle();
  let deployed: ReturnType<typeof readStackSpec> | undefined;
  const results: string[] = [];
  try {
    await applySteps(lab, realServerSteps(readStackSpec('lab'), 'lab'), 'create');
    for (const [version, advertInt] of [
      [2, 1],
      [3, 0.1],
    ] as const) {
      const ms: Record<Daemon, Record<string, number[]>> = {
        'keepalive-ts': Object.fromEntries(Object.keys(SCENARIOS).map((k) => [k, []])),
        keepalived: Object.fromEntries(Object.keys(SCENARIOS).map((k) => [k, []])),
      };
      for (let i = 0; i < TRIALS && Date.now() < DEADLINE; i++) {
        for (const daemon of DAEMONS) {
          if (deployed) await applySteps(lab, directorSteps(deployed, 'lab'), 'delete');
          const spec = writeStack(dir, lab, daemon, version, advertInt);
          await applySteps(lab, directorSteps(spec, 'lab', bundle), 'create');
          deployed = spec;
          await waitFor(
            'the VIP on d1 alone',
            async () => (await holders(lab, ['d1', 'd2'])).join() === 'd1',
            20_000,
            50,
          );
          await sleep(advertInt * 4000); // the backup has heard the master for a while
          const report = await verifyTrial(lab, dir);
          for (const [name, re] of Object.entries(SCENARIOS)) {
            const s = report.steps.find((x) => re.test(x.name));
            if (s?.measured_s != null) ms[daemon][name].push(Math.round(s.measured_s * 1000));
          }
          process.stderr.write(
            `v${version} trial ${i + 1}/${TRIALS} ${daemon}: ${report.steps.map((s) => `${s.measured_s ?? '-'}`).join(' ')}\n`,
          );
        }
      }
      const header = `VRRPv${version} advert_int ${advertInt}`;
      results.push(
        `\n${header}\n${'scenario'.padEnd(34)}${'keepalive-ts med (min-max)'.padEnd(30)}${'keepalived med (min-max)'.padEnd(30)}ratio ks/kd`,
      );
      for (const name of Object.keys(SCENARIOS)) {
        const a = stats(ms['keepalive-ts'][name]);
        const b = stats(ms.keepalived[name]);
        const f = (x?: { median: number; min: number; max: number; n: number }) =>
          x ? `${x.median} ms (${x.min}-${x.max}) n=${x.n}` : '-';
        results.push(
          `${name.padEnd(34)}${f(a).padEnd(30)}${f(b).padEnd(30)}${a && b ? (a.median / b.median).toFixed(3) : '-'}`,
        );
        console.log(
          JSON.stringify({
            bench: 'failover',
            version,
            advert_int: advertInt,
            scenario: name,
            'keepalive-ts_ms': a,
            keepalived_ms: b,
            ratio: a && b ? a.median / b.median : null,
          }),
        );
      }
    }
    console.log(results.join('\n'));
    if (Date.now() >= DEADLINE)
      console.log('(stopped at the 45-minute limit: fewer trials than asked)');
  } finally {
    if (deployed) await applySteps(lab, directorSteps(deployed, 'lab'), 'delete').catch(() => {});
    lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`bench:failover: ${e.message}`);
  process.exit(1);
});
