// The trackers of bgp_announce, run in the main process where the announce
// loop lives. The VRRP thread runs vrrp_scripts only for the instances that
// track them and keeps the results to itself (an active-active director may
// have no VRRP at all), so the scripts bgp_announce names run here, with
// keepalived's meaning of interval, timeout, rise, fall and init_fail.
// There is no priority to move here, so every tracker counts as keepalived
// counts one tracked with weight 0 (vrrp/track.ts contribution): its FAULT
// is a withdrawal, and the `reverse` of its declaration turns it round.
//   track_script:    failed (after `fall` failures) withdraws; reverse: succeeding does
//   track_interface: down (operstate not up) withdraws; read on every
//                    rtnetlink link event and every round
//   track_file:      a non-zero value withdraws (reverse: zero does); read as
//                    keepalived reads it (core/track-value.ts), watched with inotify
import type { Clock, Timer } from './core/clock';
import type { Log } from './core/log';
import { splitArgv } from './core/argv';
import type { FileSource } from './core/file-source';
import type { BgpAnnounce, Config } from './config/model';
import { FileValues } from './check/file-check';
import type { TrackerView } from './bgp/input';
import { contribution, RiseFall } from './vrrp/track';

export interface BgpTrackerDeps {
  clock: Clock;
  log: Log;
  /** run a script; resolves to its exit code (non-zero on timeout or refusal) */
  runScript(
    argv: string[],
    timeoutMs: number,
    user?: { user: string; group?: string },
  ): Promise<number>;
  files: FileSource;
  links: {
    linkUp(ifname: string): boolean;
    watchLinks(onChange: () => void): { close(): void };
  };
  /** a tracker changed state */
  changed(): void;
}

interface ScriptRun {
  name: string;
  /** the script's state after rise/fall (not yet reversed) */
  ok: boolean;
  reverse: boolean;
  timer?: Timer;
}

/** keepalived's weight-0 rule: does this tracker put the director out (FAULT = withdraw)? */
const serving = (kind: 'script' | 'file', ok: boolean, reverse: boolean, value?: number) =>
  !contribution({
    name: '',
    kind,
    weight: 0,
    reverse,
    ok,
    ...(value !== undefined ? { value } : {}),
  }).fault;

export class BgpTrackers {
  private scripts: ScriptRun[] = [];
  private files?: FileValues;
  private fileStates = new Map<string, { value: number; reverse: boolean }>();
  private links?: { close(): void };
  private interfaces: string[] = [];
  private generation = 0;

  constructor(private readonly deps: BgpTrackerDeps) {}

  /** (Re)start for a config; a script kept by a reload keeps its state (no flap on SIGHUP). */
  apply(cfg: Config, b: BgpAnnounce, reload: boolean) {
    const previous = new Map(this.scripts.map((s) => [s.name, s.ok]));
    this.stop();
    const generation = ++this.generation;
    for (const ref of b.track_script) {
      const s = cfg.vrrp_script.find((x) => x.name === ref.name);
      if (!s?.script) continue; // the config reader refused an unknown name
      const run: ScriptRun = {
        name: s.name,
        ok: previous.get(s.name) ?? !s.init_fail,
        reverse: s.weight.reverse,
      };
      this.scripts.push(run);
      const argv = splitArgv(s.script);
      const rf = new RiseFall(s.rise, s.fall);
      const tick = async () => {
        const code = await this.deps.runScript(argv, (s.timeout ?? s.interval) * 1000, s.user);
        if (generation !== this.generation) return;
        rf.record(code === 0);
        const next = rf.state(run.ok);
        if (next !== run.ok) {
          run.ok = next;
          this.deps.log(
            next ? 'info' : 'warn',
            `bgp_announce: vrrp_script ${s.name} ${next ? 'succeeded' : `failed (exit ${code})`}`,
          );
          this.deps.changed();
        }
        run.timer = this.deps.clock.at(
          this.deps.clock.now() + s.interval * 1000,
          () => void tick(),
        );
      };
      void tick();
    }
    this.files = new FileValues(this.deps.files, this.deps.log);
    for (const ref of b.track_file) {
      const f = cfg.track_file.find((x) => x.name === ref.name);
      if (!f?.file) continue;
      const reverse = f.weight.reverse;
      this.fileStates.set(f.name, { value: this.files.open(f, reload), reverse });
      this.files.watch(f, (value) => {
        this.fileStates.set(f.name, { value, reverse });
        const ok = serving('file', true, reverse, value);
        this.deps.log(ok ? 'info' : 'warn', `bgp_announce: track_file ${f.name} is ${value}`);
        this.deps.changed();
      });
    }
    this.interfaces = b.track_interface.map((t) => t.name);
    if (this.interfaces.length) {
      try {
        this.links = this.deps.links.watchLinks(() => this.deps.changed());
      } catch (e) {
        // every round reads the links anyway: only the promptness is lost
        this.deps.log(
          'warn',
          `bgp_announce: no link events (${(e as Error).message}), read each round`,
        );
      }
    }
  }

  view(): TrackerView[] {
    return [
      ...this.scripts.map((s) => ({
        kind: 'script' as const,
        name: s.name,
        ok: serving('script', s.ok, s.reverse),
      })),
      ...this.interfaces.map((name) => ({
        kind: 'interface' as const,
        name,
        ok: this.deps.links.linkUp(name),
      })),
      ...[...this.fileStates].map(([name, f]) => ({
        kind: 'file' as const,
        name,
        ok: serving('file', true, f.reverse, f.value),
      })),
    ];
  }

  stop() {
    this.generation++;
    for (const s of this.scripts) s.timer?.cancel();
    this.scripts = [];
    this.files?.close();
    this.files = undefined;
    this.fileStates = new Map();
    this.links?.close();
    this.links = undefined;
    this.interfaces = [];
  }
}
