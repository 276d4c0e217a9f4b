// The active-active lab after a deploy (either path): wait until the upstream
// router (gw) routes the VIP over every director, then say what it shows and
// what each director's keepalive-ts reports.
import type { ClusterSpec } from '../../components/spec';
import type { Lab } from './lab';
import { formatRouterRoute } from './status';
import { waitFor } from './sys';

/**
 * Wait (bounded) for gw's route to the VIP to have one next hop per director:
 * each director's keepalive-ts announces once its real servers answer
 * (announce_after), and BGP carries it to gw. Returns the seconds it took.
 */
export async function waitForEcmp(lab: Lab, spec: ClusterSpec, timeoutMs = 30_000) {
  const t0 = Date.now();
  const want = spec.directors.map((d) => d.address).sort();
  let last = '';
  try {
    await waitFor(
      `gw to route the VIP over ${want.length} directors`,
      async () => {
        const r = await lab.routerRoute();
        last = r ? formatRouterRoute(r) : 'gw is not up';
        return JSON.stringify([...(r?.nextHops ?? [])].sort()) === JSON.stringify(want);
      },
      timeoutMs,
      100,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${last}`);
  }
  return (Date.now() - t0) / 1000;
}

/** The router's route and each director's status, for the deploy's summary. */
export async function activeActiveSummary(lab: Lab, spec: ClusterSpec, kts: string) {
  const status = await lab.status();
  const lines = status.router
    ? [
        formatRouterRoute(
          status.router,
          Object.fromEntries(spec.directors.map((d) => [d.address, d.name])),
        ),
      ]
    : [];
  for (const d of spec.directors) {
    const r = await lab.exec(d.name, ['sh', '-c', `${kts} status`]);
    lines.push(`--- ${d.name}`, (r.stdout || r.stderr).trim());
  }
  return lines.join('\n');
}
