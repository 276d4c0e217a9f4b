// Files for track_file: read, initialise, and watch with inotify (fs.watch).
// The file's directory is watched, as keepalived does, so a file that is
// replaced (rename over it), deleted or created later is seen too.
import { existsSync, lstatSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FileSource } from '../core/file-source';
export type { FileSource };

/** Events of one write (truncate, write, close) arrive together: read once they settle. */
const SETTLE_MS = 5;

export const fileSource: FileSource = {
  read(file) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  kind(file) {
    try {
      return statSync(file).isFile() ? 'regular' : 'other';
    } catch {
      return lstatSync(file, { throwIfNoEntry: false }) ? 'other' : 'no';
    }
  },
  write(file, text) {
    writeFileSync(file, text);
  },
  dirExists(file) {
    return existsSync(path.dirname(file));
  },
  watch(file, onChange) {
    const base = path.basename(file);
    let t: NodeJS.Timeout | undefined;
    const w = watch(path.dirname(file), { persistent: false }, (_ev, name) => {
      if (name !== null && name !== base) return;
      if (t) clearTimeout(t);
      t = setTimeout(() => {
        t = undefined;
        onChange();
      }, SETTLE_MS);
    });
    return {
      close: () => {
        if (t) clearTimeout(t);
        w.close();
      },
    };
  },
};
