// Shared by the interrupted-deploy tests (direct path and engine): the hosts'
// snapshots and what the deploy puts on each (components/host-invariant.ts),
// a seeded random source printed so a failing trial can be replayed, and
// the trial log printed as the report.
import { releaseName } from '../../components/install-step';
import {
  checkConverged,
  checkInterrupted,
  parseSnapshot,
  snapshotScript,
  type HostSnapshot,
  type HostTarget,
} from '../../components/host-invariant';
import { paths, renderCluster, sha256 } from '../../components/render';
import type { ClusterSpec } from '../../components/spec';
import { VIP } from '../../scripts/lab/daemons';
import type { Lab } from '../../scripts/lab/lab';
import { waitFor } from '../../scripts/lab/sys';
import { rng } from '../../scripts/chaos/seeded-random';

/** `KEEPALIVE_DEPLOY_SEED` replays a run; otherwise a fresh seed (printed by the caller). */
export function seededRandom(): { seed: number; next: () => number } {
  const seed = Number(process.env.KEEPALIVE_DEPLOY_SEED ?? Date.now() % 2 ** 31);
  const next = rng(seed);
  return { seed, next };
}

const sysctlKeys = (content: string) =>
  Object.fromEntries(
    content
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => l.split('=').map((x) => x.trim()) as [string, string]),
  );

/** What the deploy of `spec` with `bundleSha` puts on each host. */
export function deployTargets(spec: ClusterSpec, stack: string, bundleSha: string) {
  const r = renderCluster(spec, stack);
  const t: Record<string, HostTarget> = {};
  for (const d of r.directors)
    t[d.name] = {
      role: 'director',
      sysctl: sysctlKeys(d.sysctl.content),
      configSha256: sha256(d.config.content),
      release: releaseName(bundleSha),
    };
  for (const s of r.realServers)
    t[s.name] = { role: 'realserver', sysctl: sysctlKeys(s.sysctl.content) };
  return t;
}

/** Every host's snapshot, taken inside the host (not over SSH) under its deploy lock. */
export async function snapshotHosts(
  lab: Lab,
  spec: ClusterSpec,
  targets: Record<string, HostTarget>,
): Promise<Record<string, HostSnapshot>> {
  const p = paths(spec);
  const out: Record<string, HostSnapshot> = {};
  await Promise.all(
    Object.entries(targets).map(async ([host, t]) => {
      const script = snapshotScript(
        {
          config: p.config,
          configTest: `node ${spec.installDir}/bin/keepalive-ts -t -f`,
          installDir: spec.installDir,
          daemonMatch: 'keepalive-ts -f ',
          sysctlSaved: `${spec.configDir}/.sysctl-before-${t.role === 'director' ? 'director' : 'realserver'}`,
          vip: spec.vip.split('/')[0],
          folders: [spec.configDir, spec.installDir.replace(/\/[^/]+$/, ''), '/etc/sysctl.d'],
        },
        Object.keys(t.sysctl),
      );
      const r = await lab.exec(host, ['sh', '-c', script], { timeoutMs: 150_000 });
      if (r.code !== 0) throw new Error(`snapshot of ${host}: exit ${r.code}: ${r.stderr}`);
      out[host] = parseSnapshot(r.stdout);
    }),
  );
  return out;
}

/** Violations on every host, prefixed with the host's name. */
export function violations(
  before: Record<string, HostSnapshot>,
  now: Record<string, HostSnapshot>,
  targets: Record<string, HostTarget>,
  mode: 'interrupted' | 'converged',
): string[] {
  return Object.entries(targets).flatMap(([h, t]) =>
    (mode === 'interrupted'
      ? checkInterrupted(before[h], now[h], t)
      : checkConverged(now[h], t)
    ).map((v) => `${h}: ${v}`),
  );
}

export interface Trial {
  kind: 'SIGINT' | 'SIGKILL';
  delayMs: number;
  /** the step (or engine phase) running when the signal came */
  point: string;
  converged: boolean;
  rerunSeconds: number;
}

export function report(title: string, seed: number, trials: Trial[]): string {
  return [
    `${title} (seed ${seed}; replay with KEEPALIVE_DEPLOY_SEED=${seed})`,
    ...trials.map(
      (t, i) =>
        `  trial ${i + 1}: ${t.kind} after ${(t.delayMs / 1000).toFixed(2)} s in ${t.point}; re-run converged: ${t.converged ? 'yes' : 'no'} in ${t.rerunSeconds.toFixed(1)} s`,
    ),
  ].join('\n');
}

/** Resources in flight in the engine's progress output (created/updated/deleted not yet seen). */
export function inFlight(out: string): string[] {
  const open = new Map<string, string>();
  for (const m of out.matchAll(
    /command:remote:Command (\S+) (creating|updating|deleting|created|updated|deleted)\b/g,
  ))
    if (m[2].endsWith('ing')) open.set(m[1], m[2]);
    else open.delete(m[1]);
  return [...open].map(([r, op]) => `${r} (${op})`);
}

/** The lab deployed and working: the VIP on d1 (MASTER), clients served by rs1 and rs2. */
export async function servedThroughVip(lab: Lab, requests = 20) {
  await waitFor(
    'VIP on d1',
    async () =>
      (await lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(VIP),
    15_000,
    200,
  );
  await waitFor(
    'served by rs1 and rs2',
    async () => {
      const seen = new Set<string>();
      for (let i = 0; i < requests; i++)
        seen.add(
          (await lab.exec('cl', ['curl', '-s', '--max-time', '1', `http://${VIP}/`])).stdout.trim(),
        );
      return seen.has('rs1') && seen.has('rs2');
    },
    30_000,
    500,
  );
}
