// BIRD 2 configs for active-active (mode: active-active): one per director
// (the VIP route behind the protocol keepalive-ts enables and disables, the
// BGP session to the router, BFD) and one for the upstream router (a session
// per director, ECMP into the kernel). Pure, like render.ts.
import type { ClusterSpec } from './spec';
import { bfdDetectMs, errorWaitSeconds } from '../daemon/bgp/timing';
import { template, type HostFile } from './render';

export interface RenderedBgp {
  directors: { name: string; ssh: string; bird: HostFile }[];
  /** the router's BIRD config, and its sysctls: ECMP hashes flows by L4 ports */
  router: { address: string; bird: HostFile; sysctl: HostFile };
}

/** A BIRD protocol name for a director: unique by position, readable by name. */
export const routerProtocolName = (index: number, name: string) =>
  `director${index + 1}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** The BIRD configs of an active-active cluster; undefined for a pair (active-passive). */
export function renderBgp(c: ClusterSpec, stack: string): RenderedBgp | undefined {
  const bgp = c.bgp;
  if (c.mode !== 'active-active' || !bgp) return undefined;
  const vipAddress = c.vip.split('/')[0];
  const bfd = bgp.bfd.enabled ? bgp.bfd : false;
  const common = {
    stack,
    vipAddress,
    localAsn: bgp.localAsn,
    router: bgp.router,
    holdTime: bgp.holdTime,
    keepaliveTime: bgp.keepaliveTime,
    bfd,
    bfdDetectMs: bfdDetectMs(bgp.bfd),
    retry: bgp.retrySeconds,
    errorWait: errorWaitSeconds(bgp.retrySeconds),
  };
  const file = (content: string): HostFile => ({ path: bgp.configPath, content, mode: 0o640 });
  const directors = c.directors.map((d) => ({
    name: d.name,
    ssh: d.ssh,
    bird: file(
      template('bird-director.conf.hbs')({
        ...common,
        name: d.name,
        address: d.address,
        interface: c.interface,
        announceProtocol: bgp.announceProtocol,
        medSet: bgp.med !== undefined,
        med: bgp.med ?? 0,
        communities: bgp.communities.map((s) => s.split(':').map(Number)),
      }),
    ),
  }));
  const router = {
    address: bgp.router.address,
    bird: file(
      template('bird-router.conf.hbs')({
        ...common,
        routerInterface: bgp.router.interface ?? '*',
        // room for every director, so none is left out of the multipath route
        pathLimit: c.directors.length,
        directors: c.directors.map((d, i) => ({
          name: d.name,
          address: d.address,
          protocol: routerProtocolName(i, d.name),
        })),
      }),
    ),
    sysctl: {
      path: '/etc/sysctl.d/60-keepalive-router.conf',
      content: template('router-sysctl.conf.hbs')({ stack }),
      mode: 0o644,
    },
  };
  return { directors, router };
}
