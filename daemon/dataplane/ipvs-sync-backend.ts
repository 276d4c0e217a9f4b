// lvs_sync_daemon's imperative shell: starts and stops the kernel's IPVS sync
// threads over generic netlink as planSyncDaemons() says (the why of the
// policy is in ipvs-sync.ts), and tunes the per-namespace resync sysctls.
// Its own netlink socket: the dataplane's is busy with its own requests.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Log } from '../core/log';
import { familyIdFrom, getFamilyMessage, parseMessages, type NlMessage } from '../net/genl';
import { AF_NETLINK, native, SOCK_RAW, sockaddrNl } from '../net/native';
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

const NETLINK_GENERIC = 16;
const NLMSG_DONE = 3;
const VS_SYSCTL = '/proc/sys/net/ipv4/vs';

/** What to run: the parameters and the instance followed (none: both threads always). */
export interface SyncDaemonSetting extends SyncDaemonParams {
  instance?: string;
}

export class IpvsSyncDaemons {
  private fd?: number;
  private family = 0;
  private seq = 1;
  private setting?: SyncDaemonSetting;
  /** every instance's last state: a reload may name another instance (keepalived reads its state then) */
  private readonly states = new Map<string, string>();
  private lastError?: string;
  /** whose resend rule is in force: ours (given back at stop) or the operator's */
  private tuned?: 'ours' | 'operator';

  constructor(private readonly log: Log) {}

  private open() {
    if (this.fd !== undefined) return;
    this.fd = native().socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
    let fam: number | undefined;
    try {
      fam = familyIdFrom(this.request(getFamilyMessage(IPVS_GENL_NAME, this.seq++), false));
    } catch {
      fam = undefined; // ENOENT: no such family
    }
    if (!fam) {
      this.close(); // a half-open socket would send to family 0 and wait for nothing
      throw new Error(
        'no IPVS in this kernel (generic netlink family IPVS not found; is ip_vs loaded?)',
      );
    }
    this.family = fam;
  }

  private request(msg: Uint8Array, dump: boolean): NlMessage[] {
    const n = native();
    const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    n.sendto(this.fd!, Buffer.from(msg), sockaddrNl());
    const out: NlMessage[] = [];
    const buf = Buffer.alloc(1 << 16);
    for (let i = 0; i < 1000; i++) {
      const len = n.recv(this.fd!, buf, 5000);
      if (len < 0) throw new Error('IPVS: no answer from the kernel');
      for (const m of parseMessages(buf.subarray(0, len))) {
        if (m.seq !== seq) continue;
        if (m.error !== undefined) {
          if (m.error !== 0) throw new Error(`errno ${m.error}`);
          return out;
        }
        if (m.type === NLMSG_DONE) return out;
        out.push(m);
        if (!dump) return out;
      }
    }
    return out;
  }

  /** The threads running now. */
  running(): RunningSyncDaemon[] {
    this.open();
    return this.request(getDaemonsMessage(this.family, this.seq++), true)
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
        const msg =
          o.op === 'start'
            ? newDaemonMessage(this.family, this.setting!, o.role, this.seq++)
            : delDaemonMessage(this.family, o.role, this.seq++);
        try {
          this.request(msg, false);
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
    if (this.fd !== undefined) native().close(this.fd);
    this.fd = undefined;
  }
}
