// Benchmark: the single executable (dist/sea/keepalive-ts) against
// `node bin/keepalive-ts`, alternating: its size; exec -> `--version` done;
// exec -> first VRRP advert of an address owner on the wire (tshark on the
// link, a namespace of its own) and the daemon's own start-up phases (its
// status); RSS of the whole process once MASTER and idle.
// `flock /tmp/keepalive-test.lock npm run bench:sea [-- TRIALS]` (default 5)
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Capture } from '../lab/daemons';
import { run, sleep, waitFor } from '../lab/sys';
import { ensureSeaBuilt, seaUnsupported } from '../sea/ensure';
import { checkoutRoot, seaLayout } from '../sea/layout';
import { OWNER_CONF, SELF, seaNetns, VIP, type Runner, type SeaNetns } from '../sea/netns-run';
import { rssKb, tree } from './proc-cpu';

const TRIALS = Number(process.argv[2] ?? 5);
/** idle after MASTER before RSS is read */
const WARMUP_MS = 5000;
const root = checkoutRoot();
const layout = seaLayout(root);
const exeOf = (r: Runner) =>
  r === 'sea' ? layout.executable : path.join(root, 'bin/keepalive-ts');
const RUNNERS: Runner[] = ['sea', 'node'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function versionMs(r: Runner): number {
  const argv = r === 'sea' ? [layout.executable] : [process.execPath, exeOf(r)];
  const t0 = performance.now();
  const p = spawnSync(argv[0], [...argv.slice(1), '--version']);
  if (p.status !== 0) throw new Error(`${r} --version: exit ${p.status}: ${p.stderr}`);
  return performance.now() - t0;
}

/** the daemon's own start-up phases from its status (ms after exec) */
function startupPhases(t: SeaNetns): { configMs: number; vrrpMs: number } {
  const sock = path.join(t.dir, 'kts.sock');
  const p = spawnSync(layout.executable, ['status', '--json', '--control', sock], {
    encoding: 'utf8',
  });
  if (p.status !== 0) throw new Error(`status: exit ${p.status}: ${p.stderr}`);
  return (JSON.parse(p.stdout) as { startup: { configMs: number; vrrpMs: number } }).startup;
}

async function advertTrial(t: SeaNetns, cap: Capture, r: Runner, conf: string, idleRss: boolean) {
  const d = t.start(r, exeOf(r), conf);
  try {
    await cap.waitAdvert(SELF, d.t0, 10_000);
    const first = cap.adverts(SELF).find((p) => p.t >= d.t0 && (p.prio ?? 0) > 0)!;
    const phases = startupPhases(t);
    let rssMb: number | undefined;
    if (idleRss) {
      await sleep(WARMUP_MS);
      rssMb = rssKb(tree(d.child.pid!)) / 1024;
    }
    return { firstAdvertMs: first.t - d.t0, rssMb, ...phases };
  } finally {
    d.child.kill('SIGTERM');
    await waitFor(`${r} to exit`, () => d.child.exitCode !== null, 10_000);
    await run('ip', ['-n', t.ns, 'addr', 'del', `${VIP}/24`, 'dev', 'lan0']);
    await sleep(300);
  }
}

async function main() {
  const why = seaUnsupported();
  if (why) throw new Error(`no single executable here: ${why}`);
  await ensureSeaBuilt(layout);
  const version: Record<Runner, number[]> = { sea: [], node: [] };
  for (let i = 0; i < TRIALS * 2; i++) for (const r of RUNNERS) version[r].push(versionMs(r));

  const t = await seaNetns('bsea');
  const cap = new Capture({ host: () => ({ ns: t.ns }) }, 'self');
  const advert: Record<Runner, number[]> = { sea: [], node: [] };
  const rss: Record<Runner, number[]> = { sea: [], node: [] };
  const configMs: Record<Runner, number[]> = { sea: [], node: [] };
  const vrrpMs: Record<Runner, number[]> = { sea: [], node: [] };
  try {
    const conf = path.join(t.dir, 'owner.conf');
    writeFileSync(conf, OWNER_CONF);
    await cap.start();
    for (let i = 0; i < TRIALS; i++)
      for (const r of RUNNERS) {
        const res = await advertTrial(t, cap, r, conf, i < 3);
        advert[r].push(res.firstAdvertMs);
        configMs[r].push(res.configMs);
        vrrpMs[r].push(res.vrrpMs);
        if (res.rssMb !== undefined) rss[r].push(res.rssMb);
      }
  } finally {
    cap.stop();
    await t.close();
  }
  const row = (r: Runner) => ({
    version_ms: Math.round(median(version[r])),
    first_advert_ms: { median: Math.round(median(advert[r])), all: advert[r].map(Math.round) },
    idle_rss_mb: +median(rss[r]).toFixed(1),
    phases_ms_after_exec: {
      config_read: Math.round(median(configMs[r])),
      vrrp_running: Math.round(median(vrrpMs[r])),
    },
  });
  const sea = row('sea');
  const node = row('node');
  console.log(
    JSON.stringify({
      bench: 'sea',
      trials: TRIALS,
      executable_mb: +(statSync(layout.executable).size / 1024 / 1024).toFixed(1),
      'dist/sea/keepalive-ts': sea,
      'node bin/keepalive-ts': node,
      ratio: {
        version: +(sea.version_ms / node.version_ms).toFixed(2),
        first_advert: +(sea.first_advert_ms.median / node.first_advert_ms.median).toFixed(2),
        idle_rss: +(sea.idle_rss_mb / node.idle_rss_mb).toFixed(2),
      },
    }),
  );
}

main().catch((e: Error) => {
  console.error(`bench:sea: ${e.message}`);
  process.exit(1);
});
