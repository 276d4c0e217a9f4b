// keepalived's script security (lib/notify.c check_script_secure and
// check_security), as a pure decision over an injected view of the file
// system: a script that runs as root (or setuid/setgid root) must not be
// replaceable by anyone else, so neither it nor any directory above it may
// be owned by a non-root user or writable by a non-root group or by the world
// (a directory with the sticky bit, like /tmp, is allowed). With
// enable_script_security such a script is refused; without, it runs with a
// warning. A script the user cannot execute, or that is missing, never runs.

export interface FileInfo {
  kind: 'dir' | 'file' | 'link' | 'other';
  mode: number;
  uid: number;
  gid: number;
}

export interface FsView {
  /** lstat: undefined when missing or not accessible */
  lstat(p: string): FileInfo | undefined;
  /** stat (follows links) */
  stat(p: string): FileInfo | undefined;
  /** realpath, undefined when it cannot be resolved */
  realpath(p: string): string | undefined;
  /** a bare command name looked up in PATH */
  which(name: string): string | undefined;
}

export interface Identity {
  uid: number;
  gid: number;
}

export type Verdict =
  | { run: true; path: string; insecure: false }
  | { run: boolean; path: string; insecure: true; reason: string }
  | { run: false; path: string; insecure: false; reason: string };

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

/** '/usr/local/bin/x' -> ['/', '/usr', '/usr/local', '/usr/local/bin', '/usr/local/bin/x'] */
export function pathPrefixes(p: string): string[] {
  const parts = p.split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
}

/** keepalived's is_executable() for the user that will run the script. */
export function executableBy(f: FileInfo, id: Identity): boolean {
  if (id.uid === 0) return (f.mode & 0o111) !== 0;
  if (id.uid === f.uid) return (f.mode & 0o100) !== 0;
  return id.gid === f.gid ? (f.mode & 0o010) !== 0 : (f.mode & 0o001) !== 0;
}

/** Runs with root's power: as uid or gid 0, or setuid/setgid root. */
export function needsProtection(f: FileInfo, id: Identity): boolean {
  return (
    id.uid === 0 ||
    id.gid === 0 ||
    (f.uid === 0 && (f.mode & 0o100) !== 0 && (f.mode & S_ISUID) !== 0) ||
    (f.gid === 0 && (f.mode & 0o010) !== 0 && (f.mode & S_ISGID) !== 0)
  );
}

/** The first path component others could change, with why; undefined when the path is safe. */
export function unsafeComponent(p: string, fs: Pick<FsView, 'lstat'>): string | undefined {
  const prefixes = pathPrefixes(p);
  for (const [i, c] of prefixes.entries()) {
    const last = i === prefixes.length - 1;
    const f = fs.lstat(c);
    if (!f) return `${c}: not found`;
    if (last ? f.kind !== 'file' && f.kind !== 'link' : f.kind !== 'dir')
      return `${c}: wrong file type`;
    const writableByOthers =
      ((f.kind === 'dir' && (f.mode & S_ISVTX) === 0) || f.kind === 'file') &&
      ((f.gid !== 0 && (f.mode & S_IWGRP) !== 0) || (f.mode & S_IWOTH) !== 0);
    if (f.uid !== 0) return `${c}: owned by uid ${f.uid}`;
    if (writableByOthers)
      return `${c}: writable by ${f.mode & S_IWOTH ? 'everyone' : `group ${f.gid}`}`;
  }
  return undefined;
}

/** May `cmd` (argv[0]) run as `id`? `secure` is enable_script_security. */
export function checkScript(cmd: string, id: Identity, secure: boolean, fs: FsView): Verdict {
  const found = cmd.includes('/') ? cmd : fs.which(cmd);
  if (!found) return { run: false, path: cmd, insecure: false, reason: 'not found in PATH' };
  const real = fs.realpath(found);
  const f = real === undefined ? undefined : fs.stat(real);
  if (real === undefined || !f)
    return { run: false, path: found, insecure: false, reason: 'cannot be accessed' };
  if (!executableBy(f, id))
    return {
      run: false,
      path: found,
      insecure: false,
      reason: `not executable for uid:gid ${id.uid}:${id.gid}`,
    };
  if (!needsProtection(f, id)) return { run: true, path: found, insecure: false };
  // the path as written and the file it resolves to must both be safe
  const why =
    unsafeComponent(found, fs) ?? (real !== found ? unsafeComponent(real, fs) : undefined);
  if (why === undefined) return { run: true, path: found, insecure: false };
  return { run: !secure, path: found, insecure: true, reason: `unsafe permissions (${why})` };
}
