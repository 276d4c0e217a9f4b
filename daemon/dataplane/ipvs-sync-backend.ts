// lvs_sync_daemon's imperative shell: starts and stops the kernel's IPVS sync
// threads over generic netlink as planSyncDaemons() says (the why of the
// policy is in ipvs-sync.ts), and tunes the per-namespace resync sysctls.
// Its own netlink socket: the dataplane's is busy with its own requests.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Log } from '../core/log';
import { GenlSocket } from '../net/genl-socket';
import { IPVS_GENL_NAME } from './ipvs';
import {
  delDaemonMessage,
  getDaemonsMessage,
  newDaemonMessage,
  parseDaemon,
  planSyncDaemons,
  RESYNC,
  resyncDecision,
  wantedRoles,
  type RunningSyncDaemon,
  type SyncDaemonParams,
} from './ipvs-sync';

const VS_SYSCTL = '/proc/sys/net/ipv4/vs';

/** What to run: the parameters and the instance followed (none: both threads always). */
export interface SyncDaemonSetting extends SyncDaemonParams {
  instance?: string;
}

export class IpvsSyncDaemons {
  private sock?: GenlSocket;
  private setting?: SyncDaemonSetting;
  /** every instance's last state: a reload may name another instance (keepalived reads its state then) */
  private readonly states = new Map<string, string>();
  private lastError?: string;
  /** whose resend rule is in force: ours (given back at stop) or the operator's */
  private tuned?: 'ours' | 'operator';

  constructor(private readonly log: Log) {}

  private open(): GenlSocket {
    if (!this.sock)
      try {
        this.sock = GenlSocket.open(IPVS_GENL_NAME, undefined, 5000);
      } catch (e) {
        throw new Error(`no IPVS in this kernel (${(e as Error).message}; is ip_vs loaded?)`);
      }
    return this.sock;
  }

  private request(make: (family: number, seq: number) => Uint8Array, dump = false) {
    const sock = this.open();
    return sock.request(make(sock.family, sock.nextSeq()), dump);
  }

  /** The threads running now. */
  running(): RunningSyncDaemon[] {
    return this.request((f, q) => getDaemonsMessage(f, q), true)
      .map(parseDaemon)
      .filter((d): d is RunningSyncDaemon => !!d);
  }

  /** A new configuration (undefined: lvs_sync_daemon removed). */
  configure(s: SyncDaemonSetting | undefined) {
    // the kernel does not report the maxlen asked for (it clamps it): restart on a change here
    if (this.setting && s && this.setting.maxlen !== s.maxlen) {
      this.setting = undefined;
      this.converge();
    }
    this.setting = s;
    this.converge();
  }

  /** A VRRP instance changed state. */
  onState(instance: string, state: string) {
    this.states.set(instance, state);
    if (instance === this.setting?.instance) this.converge();
  }

  /** Stop both threads (keepalived stops its thread when it stops) and give back the kernel's resend rule. */
  stop() {
    if (!this.setting) return;
    this.setting = undefined;
    this.converge();
    if (this.tuned !== 'ours') return;
    this.tuned = undefined;
    try {
      this.writeResync(RESYNC.kernel);
    } catch (e) {
      this.log('warn', `lvs_sync_daemon: resync sysctls not restored: ${(e as Error).message}`);
    }
  }

  private writeResync(v: { threshold: string; refresh: string }) {
    writeFileSync(`${VS_SYSCTL}/sync_threshold`, v.threshold);
    writeFileSync(`${VS_SYSCTL}/sync_refresh_period`, v.refresh);
  }

  private converge() {
    try {
      this.open();
      const followed = this.setting?.instance;
      const wanted = wantedRoles(followed && this.states.get(followed), !!followed);
      for (const o of planSyncDaemons(this.running(), wanted, this.setting)) {
        const setting = this.setting;
        try {
          this.request((f, q) =>
            o.op === 'start'
              ? newDaemonMessage(f, setting!, o.role, q)
              : delDaemonMessage(f, o.role, q),
          );
          this.log(
            'info',
            `lvs_sync_daemon: ${o.op === 'start' ? 'started' : 'stopped'} the ${o.role} thread` +
              (o.op === 'start'
                ? ` on ${this.setting!.ifname} (syncid ${this.setting!.syncId})`
                : ''),
          );
        } catch (e) {
          this.log('error', `lvs_sync_daemon: ${o.op} ${o.role}: ${(e as Error).message}`);
        }
      }
      if (this.setting) this.tune();
    } catch (e) {
      // once per cause: without IPVS every transition would say it again
      const msg = `lvs_sync_daemon: ${(e as Error).message}`;
      if (msg !== this.lastError) this.log('error', msg);
      this.lastError = msg;
    }
  }

  /**
   * Resend every active connection at most a second after its last sync
   * (ipvs-sync.ts says why), unless the operator set the rule.
   */
  private tune() {
    if (this.tuned) return;
    try {
      const threshold = readFileSync(`${VS_SYSCTL}/sync_threshold`, 'utf8');
      const refresh = readFileSync(`${VS_SYSCTL}/sync_refresh_period`, 'utf8');
      const d = resyncDecision(threshold, refresh);
      this.tuned = d === 'operator' ? 'operator' : 'ours';
      if (d === 'operator') {
        this.log(
          'info',
          `lvs_sync_daemon: sync_threshold ${threshold.trim()} and sync_refresh_period ${refresh.trim()} left as set`,
        );
        return;
      }
      if (d === 'set') this.writeResync(RESYNC.ours);
      this.log(
        'info',
        `lvs_sync_daemon: net.ipv4.vs.sync_threshold ${RESYNC.ours.threshold}, sync_refresh_period ${RESYNC.ours.refresh} (an active connection is resent a second after its last sync)`,
      );
    } catch (e) {
      this.tuned = 'operator';
      this.log('warn', `lvs_sync_daemon: resync sysctls not set: ${(e as Error).message}`);
    }
  }

  close() {
    this.sock?.close();
    this.sock = undefined;
  }
}
