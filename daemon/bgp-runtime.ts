// The active-active half of the daemon (bgp_announce): the announce loop
// (bgp/loop.ts) fed by the checkers' real-server states, the trackers and the
// persisted drain, talking to BIRD over its control socket. Loaded by the
// runtime only when the config has a bgp_announce block.
import type { BgpAnnounce, Config } from './config/model';
import type { EventLog } from './control/events';
import type { Log } from './core/log';
import { realClock } from './core/clock';
import { BirdControl } from './bgp/bird-control';
import { DrainStore, drainedValue, type DrainState } from './bgp/drain';
import type { ServiceView } from './bgp/input';
import { AnnounceLoop, type BgpStatus, type LoopSettings } from './bgp/loop';
import { BgpTrackers } from './bgp-trackers';
import { LinuxNet } from './net/linux';
import { fileSource } from './system/file-watch';
import { ScriptGate } from './system/script-gate';

const settingsOf = (b: BgpAnnounce): LoopSettings => ({
  bird_socket: b.bird_socket,
  protocol: b.protocol,
  withdraw_when: b.withdraw_when,
  announce_after: b.announce_after,
  interval: b.interval,
});

export class BgpRuntime {
  private loop?: AnnounceLoop;
  private drainStore?: DrainStore;
  private readonly trackers: BgpTrackers;
  private gate?: ScriptGate;

  constructor(
    private readonly log: Log,
    private readonly events: EventLog,
    /** the virtual servers as the checkers see them now */
    private readonly services: () => readonly ServiceView[],
  ) {
    const net = new LinuxNet();
    this.trackers = new BgpTrackers({
      clock: realClock,
      log,
      runScript: (argv, ms, user) => this.gate?.run(argv, ms, user) ?? Promise.resolve(126),
      files: fileSource,
      links: net,
      changed: () => this.poke(),
    });
  }

  /** Start, reload or (block removed) withdraw and stop. */
  async apply(cfg: Config) {
    const b = cfg.bgp_announce;
    if (!b) {
      if (this.loop) await this.stop('bgp_announce removed from the configuration');
      return;
    }
    const g = cfg.global_defs;
    this.gate = new ScriptGate({
      scriptUser: g.script_user,
      secure: g.enable_script_security,
      log: this.log,
    });
    this.moveDrain(b.drain_file);
    this.trackers.apply(cfg, b, !!this.loop);
    if (this.loop) return this.loop.apply(settingsOf(b));
    this.loop = new AnnounceLoop(
      {
        clock: realClock,
        wallNow: Date.now,
        connect: (socket) => BirdControl.connect(socket),
        view: () => ({ services: this.services(), trackers: this.trackers.view() }),
        drained: () => (this.drainStore ? drainedValue(this.drainStore.current) : false),
        log: this.log,
        changed: (c) =>
          this.events.emit({
            kind: 'bgp',
            change: c.change,
            announced: c.announced,
            reason: c.reason,
            wallTime: c.wallTime,
          }),
      },
      settingsOf(b),
    );
    if (this.drainStore?.current.drained)
      this.log('warn', `bgp_announce: drained (${this.drainStore.file}), the VIP stays withdrawn`);
    this.loop.start();
  }

  /** A real server, quorum or tracker changed. */
  poke() {
    this.loop?.poke();
  }

  drain(reason?: string): DrainState {
    const d = this.store().drain(reason);
    this.log('warn', `bgp_announce: drained by the operator${reason ? `: ${reason}` : ''}`);
    this.poke();
    return d;
  }

  undrain(): DrainState {
    const d = this.store().undrain();
    this.log('info', 'bgp_announce: undrained by the operator');
    this.poke();
    return d;
  }

  status(): BgpStatus | undefined {
    return this.loop?.status();
  }

  /** Withdraw first (SIGTERM: before the VIP and the dataplane go), then stop. */
  async stop(why = 'keepalive-ts stopping') {
    this.trackers.stop();
    await this.loop?.stop(why);
    this.loop = undefined;
  }

  private store(): DrainStore {
    if (!this.drainStore) throw new Error('no bgp_announce in the configuration: nothing to drain');
    return this.drainStore;
  }

  /** A reload naming another drain_file keeps the drain: it moves to the new file. */
  private moveDrain(file: string) {
    const old = this.drainStore;
    if (old?.file === file) return;
    this.drainStore = new DrainStore(file);
    if (old?.current.drained && !this.drainStore.current.drained) {
      try {
        this.drainStore.drain(old.current.reason);
        old.undrain();
      } catch (e) {
        this.log(
          'error',
          `bgp_announce: cannot move the drain to ${file}: ${(e as Error).message}`,
        );
      }
    }
  }
}
