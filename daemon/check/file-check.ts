// FILE_CHECK (keepalived 2.2.7 check_file.c and track_file.c for checkers):
// a real server follows the number in a track_file's file, read at start and
// again whenever inotify says the file changed (system/file-watch.ts, the
// same watch the VRRP trackers use; the number is read as they read it).
//
//   weight 0:   the value 0 is up, any other value is down (reverse: the
//               other way round); the real server's weight is unchanged
//   weight W:   value * W (negated with reverse) is added to the real
//               server's weight (the IPVS weight is that sum, at least 0);
//               down only at the lowest int (-2147483648)
//
// keepalived 2.2.7 has no `dynamic` keyword here (its man page documents one
// that the parser does not know): the weight always applies.
import type { Log } from '../core/log';
import { initialFileWrite, parseTrackValue, type InitFile } from '../core/track-value';
import type { FileSource } from '../core/file-source';
export type { FileSource };

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

export interface FileCheckState {
  up: boolean;
  /** added to the real server's weight */
  delta: number;
}

/** A FILE_CHECK's state for the value read from its file. */
export function fileCheckState(value: number, weight: number, reverse: boolean): FileCheckState {
  if (weight === 0) {
    const fault = (value !== 0) !== reverse;
    return { up: !fault, delta: 0 };
  }
  const s = Math.min(INT_MAX, Math.max(INT_MIN, value * weight * (reverse ? -1 : 1)));
  return s <= INT_MIN ? { up: false, delta: 0 } : { up: true, delta: s };
}

/** keepalived's real_weight: the IPVS weight of an effective weight */
export function realWeight(effective: number): number {
  return Math.max(0, Math.min(INT_MAX, effective));
}

export interface WatchedFile extends InitFile {
  name: string;
  file?: string;
}

/**
 * The files FILE_CHECKs follow: each written at start as its init_file asks
 * (not on a reload), read, then watched. `onValue` gets every new value.
 */
export class FileValues {
  private readonly values = new Map<string, number>();
  private readonly closers: { close(): void }[] = [];
  private readonly listeners = new Map<string, ((v: number) => void)[]>();
  private stopped = false;

  constructor(
    private readonly src: FileSource,
    private readonly log: Log,
  ) {}

  /** The file's value now (0 when missing), after init_file. */
  open(f: WatchedFile, reload: boolean): number {
    const known = this.values.get(f.name);
    if (known !== undefined) return known;
    const path = f.file!;
    const text = initialFileWrite(f, this.src.kind(path), reload);
    if (text !== undefined)
      try {
        this.src.write(path, text);
      } catch (e) {
        this.log(
          'error',
          `track_file ${f.name}: cannot initialise ${path}: ${(e as Error).message}`,
        );
      }
    const v = parseTrackValue(this.src.read(path)) ?? 0;
    this.values.set(f.name, v);
    return v;
  }

  /** Watch the file; `onValue` runs for each new valid value. */
  watch(f: WatchedFile, onValue: (v: number) => void) {
    const path = f.file!;
    const ls = this.listeners.get(f.name);
    if (ls) return void ls.push(onValue);
    this.listeners.set(f.name, [onValue]);
    if (!this.src.dirExists(path)) {
      this.log('error', `track_file ${f.name}: directory of ${path} does not exist, not tracked`);
      return;
    }
    try {
      this.closers.push(
        this.src.watch(path, () => {
          if (this.stopped) return;
          const v = parseTrackValue(this.src.read(path));
          if (v === undefined) {
            this.log('warn', `track_file ${f.name}: invalid number in ${path}, ignored`);
            return;
          }
          if (v === this.values.get(f.name)) return;
          this.values.set(f.name, v);
          for (const l of this.listeners.get(f.name) ?? []) l(v);
        }),
      );
    } catch (e) {
      this.log('error', `track_file ${f.name}: cannot watch ${path}: ${(e as Error).message}`);
    }
  }

  close() {
    this.stopped = true;
    for (const c of this.closers.splice(0)) c.close();
  }
}
