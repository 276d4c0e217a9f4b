// npm run bench:aa-survival -- [--connections N] [--scenarios drain,add,kill-bfd,kill-hold]
// Connection survival in the active-active lab (it must be deployed: npm run
// lab -- --mode active-active): 200 long-lived connections through the VIP per
// scenario, a table of broken connections, stalls and the router's stop time.
import { Command } from 'commander';
import { withAaLab } from './aa-lab';
import { describeSurvival } from './survival-judge';
import {
  runScenario,
  SCENARIOS,
  SURVIVAL_DEFAULTS,
  type ScenarioResult,
  type SurvivalScenario,
} from './survival-scenarios';
import { formatTable, ms } from './table';

export function survivalTable(results: readonly ScenarioResult[]): string {
  return formatTable(
    [
      'scenario',
      'director',
      'broken',
      'why',
      'max stall',
      'survivor stall',
      'router',
      'bound',
      'share before',
      'flooded',
    ],
    results.map((r) => [
      r.scenario,
      r.director,
      `${r.verdict.broken}/${r.verdict.connections}`,
      Object.entries(r.verdict.byReason)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || '-',
      ms(r.verdict.maxStallMs),
      ms(r.verdict.maxStallSurvivorMs),
      ms(r.routerMs),
      ms(r.routerBoundMs),
      Object.entries(r.shareBefore)
        .map(([d, f]) => `${d} ${(f * 100).toFixed(0)}%`)
        .join(' '),
      String(r.floodedAfter),
    ]),
  );
}

async function main() {
  const o = new Command('bench:aa-survival')
    .option('--connections <n>', 'long-lived connections', String(SURVIVAL_DEFAULTS.connections))
    .option('--scenarios <list>', `comma-separated: ${SCENARIOS.join(',')}`, SCENARIOS.join(','))
    .option('--stack <name>', 'the deployed active-active stack', 'lab-aa')
    .option('--own-lab', 'bring up and deploy a lab of its own (direct path), torn down after')
    .option('--json', 'print the results as JSON too')
    .parse()
    .opts<{
      connections: string;
      scenarios: string;
      stack: string;
      json?: boolean;
      ownLab?: boolean;
    }>();
  const scenarios = o.scenarios.split(',').map((s) => s.trim()) as SurvivalScenario[];
  const bad = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (bad.length) throw new Error(`--scenarios: unknown ${bad.join(', ')}`);
  const log = (m: string) => console.error(`aa-survival: ${m}`);
  const results = await withAaLab({ own: o.ownLab, stack: o.stack, log }, async (lab, spec) => {
    const out: ScenarioResult[] = [];
    for (const s of scenarios) {
      const r = await runScenario(lab, spec, o.stack, s, {
        ...SURVIVAL_DEFAULTS,
        connections: Number(o.connections),
        log,
      });
      log(`${s}: ${describeSurvival(r.verdict)}; router ${ms(r.routerMs)}`);
      out.push(r);
    }
    return out;
  });
  console.log(survivalTable(results));
  if (o.json)
    console.log(
      JSON.stringify(
        results.map(({ verdict: { perConnection: _p, ...v }, ...r }) => ({ ...r, verdict: v })),
        null,
        2,
      ),
    );
}

main().catch((e: Error) => {
  console.error(`bench:aa-survival: ${e.message}`);
  process.exit(2);
});
