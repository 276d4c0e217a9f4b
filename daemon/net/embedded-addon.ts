// The native addon inside the single executable: the dynamic loader needs a
// file, so the embedded bytes go to a private directory (0700, created by
// mkdtemp) just long enough for dlopen, then the directory is removed. A
// directory on a noexec mount refuses the mapping: the next candidate is tried.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where a copy may be written, in order: $TMPDIR (or /tmp), /var/tmp, /run. */
export function addonDirCandidates(tmp = os.tmpdir()): string[] {
  return [...new Set([tmp, '/var/tmp', '/run'])];
}

/** dlopen `bytes` as a Node addon and return its exports; no file stays behind. */
export function loadEmbeddedAddon<T>(bytes: Buffer, dirs = addonDirCandidates()): T {
  const failures: string[] = [];
  for (const parent of dirs) {
    let dir: string | undefined;
    try {
      dir = fs.mkdtempSync(path.join(parent, 'keepalive-ts-addon-'));
      fs.chmodSync(dir, 0o700);
      const file = path.join(dir, 'sock.node');
      fs.writeFileSync(file, bytes, { mode: 0o500, flag: 'wx' });
      const mod = { exports: {} as T };
      process.dlopen(mod, file);
      return mod.exports;
    } catch (e) {
      failures.push(`${parent}: ${(e as Error).message}`);
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`cannot load the embedded native addon (${failures.join('; ')})`);
}
