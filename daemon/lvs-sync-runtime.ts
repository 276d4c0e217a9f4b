// lvs_sync_daemon in the daemon: the setting from the configuration, and the
// IPVS sync threads driven by the followed VRRP instance's transitions (they
// come from the VRRP worker thread through runtime.ts's transition callback).
// keepalived runs the threads from its VRRP process when an instance is named
// and from its checker process when none is; so do we (-P / -C).
import type { Config } from './config/model';
import type { Log } from './core/log';
import type { IpvsSyncDaemons, SyncDaemonSetting } from './dataplane/ipvs-sync-backend';

export function syncSetting(
  cfg: Config,
  runs: { vrrp: boolean; checkers: boolean },
): SyncDaemonSetting | undefined {
  const s = cfg.global_defs.lvs_sync_daemon;
  if (!s) return undefined;
  if (s.instance ? !runs.vrrp : !runs.checkers) return undefined;
  // keepalived: the syncid defaults to the instance's VRID (0 without an instance)
  const vrid = cfg.vrrp_instance.find((v) => v.name === s.instance)?.virtual_router_id ?? 0;
  return {
    ifname: s.interface,
    syncId: s.id ?? vrid,
    ...(s.instance ? { instance: s.instance } : {}),
    ...(s.maxlen ? { maxlen: s.maxlen } : {}),
    ...(s.port ? { port: s.port } : {}),
    ...(s.ttl ? { ttl: s.ttl } : {}),
    ...(s.group ? { group: s.group } : {}),
  };
}

export class LvsSync {
  private daemons?: IpvsSyncDaemons;
  constructor(
    private readonly log: Log,
    private readonly runs: { vrrp: boolean; checkers: boolean },
  ) {}

  /** At start and on every reload. */
  apply(cfg: Config) {
    const s = syncSetting(cfg, this.runs);
    if (!s && !this.daemons) return;
    // loaded only for configs that use it (start-up time is preemption time)
    const m =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('./dataplane/ipvs-sync-backend') as typeof import('./dataplane/ipvs-sync-backend');
    this.daemons ??= new m.IpvsSyncDaemons(this.log);
    this.daemons.configure(s);
  }

  onTransition(instance: string, to: string) {
    this.daemons?.onState(instance, to);
  }

  stop() {
    this.daemons?.stop();
    this.daemons?.close();
  }
}
