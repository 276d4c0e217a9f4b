// The chaos soak: deploy the lab pair with the suite's own host steps, watch
// it (VIP holders, a client probe, the daemons' event streams, their pids,
// RSS and fds), inject the seeded schedule of faults one at a time, and judge
// the invariants over what was recorded.
//   npm run soak -- --minutes N [--seed S]
// Exit status 1 on any invariant violation. Everything is undone (cuts
// healed, stopped daemons continued, CPU released, lab down) even on Ctrl-C.
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildBundle } from '../../components/bundle';
import { daemonControl, directorSteps, realServerSteps } from '../../components/plan';
import { paths } from '../../components/render';
import { readStackSpec } from '../../components/stack-file';
import { deriveBounds, pairRoles } from '../../verify/bounds';
import { applySteps } from '../lab/direct';
import { Lab } from '../lab/lab';
import { sleep } from '../lab/sys';
import { FAULT_CLASSES, rsDeathHoldMs } from './classes';
import { Faults } from './faults';
import type { FaultRecord, Violation } from './invariants';
import { judge, type SoakRecord } from './judge';
import { Observers } from './observers';
import { formatReport, type SoakSummary } from './report';
import { buildSchedule } from './schedule';
import { Supervisor } from './supervisor';

const STACK = 'lab';
/** the pair must be back to normal within this after a heal, or the run says so */
const SETTLE_TIMEOUT_MS = 30_000;
const GAP_MS = 1_000;

export interface SoakOptions {
  /** a lab that is up */
  lab: Lab;
  minutes: number;
  seed: number;
  log?: (s: string) => void;
  /** write everything observed (and the daemons' logs) to this JSON file */
  record?: string;
}

export async function runSoak(o: SoakOptions): Promise<SoakSummary> {
  const { lab } = o;
  const t0 = Date.now();
  const say = o.log ?? ((s: string) => console.error(s));
  const log = (s: string) => say(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${s}`);
  const spec = readStackSpec(STACK);
  const bounds = deriveBounds(spec);
  const { master, backup } = pairRoles(spec);
  const ctl = daemonControl(spec);
  if (!ctl.status || !ctl.events || !ctl.logFile)
    throw new Error('soak: the soak runs keepalive-ts (daemon: keepalive-ts)');
  const directors = [master, backup];
  const vip = spec.vip.split('/')[0];
  const daemonLog = ctl.logFile;

  log('deploying the lab pair (the suite host steps over SSH)');
  await applySteps(lab, realServerSteps(spec, STACK), 'create');
  await applySteps(lab, directorSteps(spec, STACK, buildBundle()), 'create');

  const sup = new Supervisor(
    lab,
    { pidfile: ctl.pidfile, start: ctl.start, log: daemonLog },
    directors,
    log,
  );
  await sup.start();
  const durationMs = o.minutes * 60_000;
  const obs = new Observers(lab, {
    vip,
    iface: spec.interface,
    port: spec.services[0].port,
    directors,
    probeHost: spec.failoverCheck.probeHost?.name ?? 'cl',
    // past the first round in a short run: the loop below ends it
    maxSeconds: Math.ceil(durationMs / 1000) + 900,
    eventsCmd: ctl.events,
    pidOf: sup.pidOf,
  });
  const faults = new Faults(
    lab,
    sup,
    {
      crash: ctl.crash,
      status: ctl.status,
      config: paths(spec).config,
      log: daemonLog,
      iface: spec.interface,
    },
    rsDeathHoldMs(bounds),
    `keepalive-soak-${process.pid}`,
  );
  const status = async (host: string) => {
    const r = await lab.exec(host, ['sh', '-c', ctl.status!], { timeoutMs: 5_000 });
    try {
      return JSON.parse(r.stdout) as {
        instances?: { state: string }[];
        virtualServers?: { servers: { inService: boolean }[] }[];
      };
    } catch {
      return {}; // not answering (yet): not normal
    }
  };
  /**
   * The pair as deployed: both daemons run, the master's says MASTER and
   * holds the VIP alone, the backup's says BACKUP, every real server is in
   * service (a VIP a crashed daemon left behind does not count).
   */
  const normal = async () => {
    if (!sup.allAlive() || !obs.latest(master)?.holds || obs.latest(backup)?.holds !== false)
      return false;
    const [m, b] = [await status(master), await status(backup)];
    return (
      m.instances?.[0]?.state === 'MASTER' &&
      b.instances?.[0]?.state === 'BACKUP' &&
      !!m.virtualServers?.length &&
      m.virtualServers.every((v) => v.servers.every((x) => x.inService))
    );
  };
  /** normal, and still normal GAP_MS later */
  const waitSettled = async () => {
    const until = Date.now() + SETTLE_TIMEOUT_MS;
    while (Date.now() < until) {
      if ((await normal()) && (await sleep(GAP_MS), await normal())) return true;
      await sleep(200);
    }
    return false;
  };

  const records: FaultRecord[] = [];
  const extra: Violation[] = [];
  const stopSignals = onInterrupt(async () => {
    await faults.cleanup();
  });
  // the cgroup is the one thing outside the lab's namespaces: gone even if we die
  const releaseCpu = () => faults.cpu.release();
  process.on('exit', releaseCpu);
  try {
    log('observing');
    await obs.start();
    if (!(await waitSettled()))
      throw new Error(
        'soak: the deployed pair did not settle (VIP on the master, real servers in service)',
      );
    log('settled');
    const schedule = buildSchedule({
      seed: o.seed,
      durationMs,
      rsDeathHoldMs: rsDeathHoldMs(bounds),
      gapMs: GAP_MS,
    });
    const start = Date.now();
    for (const f of schedule) {
      if (f.index >= FAULT_CLASSES.length && Date.now() - start >= durationMs) break;
      const wait = start + f.at - Date.now();
      if (wait > 0) await sleep(wait);
      log(`#${f.index} ${f.cls} ${f.target} (hold ${f.holdMs} ms)`);
      const t = Date.now();
      const { heal, violations } = await faults.inject(f);
      extra.push(...violations);
      if (!(await waitSettled()))
        extra.push({
          invariant: 'settle',
          at: Date.now(),
          fault: f.index,
          detail: `fault #${f.index} ${f.cls} ${f.target}: the pair was not back (VIP on ${master} alone, daemons running, servers in service) ${SETTLE_TIMEOUT_MS / 1000} s after the heal`,
        });
      records.push({
        index: f.index,
        cls: f.cls,
        target: f.target,
        start: t,
        heal,
        end: Date.now(),
      });
    }
    // each fault's window runs to the next one's start: nothing that happens goes unjudged
    records.forEach((r, i) => (r.end = records[i + 1]?.start ?? r.end));
  } finally {
    await faults.cleanup();
    await obs.stop();
    sup.stop();
    stopSignals();
    process.off('exit', releaseCpu);
  }
  await sup.settle();
  const raw: SoakRecord = {
    seed: o.seed,
    minutes: (Date.now() - t0) / 60_000,
    records,
    holders: obs.holders,
    probes: obs.probes,
    events: obs.events,
    lives: sup.lives,
    usage: sup.usage,
    extra,
  };
  if (o.record) {
    const logs: Record<string, string> = {};
    for (const d of directors)
      logs[d] = (await lab.exec(d, ['tail', '-n', '3000', daemonLog])).stdout;
    writeFileSync(o.record, JSON.stringify({ ...raw, logs }));
  }
  return judge(raw, bounds);
}

/** Run `undo` on SIGINT/SIGTERM before the process's own handlers end it; returns the unregister. */
function onInterrupt(undo: () => Promise<void>): () => void {
  const h = () => void undo();
  process.prependListener('SIGINT', h);
  process.prependListener('SIGTERM', h);
  return () => {
    process.off('SIGINT', h);
    process.off('SIGTERM', h);
  };
}

async function main() {
  const opts = new Command('soak')
    .option(
      '--minutes <n>',
      'planned length (the first round of every fault class always runs)',
      Number,
      10,
    )
    .option('--seed <n>', 'schedule seed (default: from the clock, printed)', Number)
    .option('--record <file>', 'write every observation and the daemon logs to this JSON file')
    .option('--judge <file>', 'judge a saved record again (no lab) and print its report')
    .parse()
    .opts<{ minutes: number; seed?: number; record?: string; judge?: string }>();
  if (opts.judge) {
    const raw = JSON.parse(readFileSync(opts.judge, 'utf8')) as SoakRecord;
    const summary = judge(raw, deriveBounds(readStackSpec(STACK)));
    process.stdout.write(formatReport(summary));
    process.exitCode = summary.violations.length ? 1 : 0;
    return;
  }
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const lab = new Lab({ prefix: 'soak', dir: path.join(tmpdir(), 'keepalive-soak') });
  const down = () => {
    try {
      lab.down();
    } catch {
      /* best effort */
    }
  };
  process.on('exit', down);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      // give the soak's own undo (SIGCONT, heal, CPU release) a moment, then tear the lab down
      setTimeout(() => process.exit(130), 1_000);
    });
  console.error(`soak: seed ${seed}; lab up`);
  await lab.up();
  const summary = await runSoak({ lab, minutes: opts.minutes, seed, record: opts.record });
  process.stdout.write(formatReport(summary));
  process.exitCode = summary.violations.length ? 1 : 0;
}

if (require.main === module)
  main().catch((e: Error) => {
    console.error(`soak: ${e.message}`);
    process.exitCode = 2;
  });
