// A throwaway Debian 12 system for the package test: a copy of the pristine
// debootstrap root (scripts/package/debian-root.sh), entered with chroot from
// inside a network namespace of its own whose lan0 is a veth to a peer
// namespace. Every command runs in a private mount namespace that mounts
// /proc, /dev and /sys into the copy, so no mount outlives its processes; a
// daemon started inside keeps its namespace alive until it exits.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PRISTINE_ROOT =
  process.env.KEEPALIVE_DEB_ROOT ?? '/var/cache/keepalive-ts/bookworm-root';
const FAKE_SYSTEMCTL = path.join(__dirname, '../../../test/package/fake-systemctl.sh');
const ENV = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOME=/root',
  'LANG=C.UTF-8',
  'DEBIAN_FRONTEND=noninteractive',
];

export interface Sandbox {
  dir: string;
  root: string;
  ns: string;
  peer: string;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Copy the pristine root and build the namespaces: lan0 198.51.100.2/24 <-> peer 198.51.100.3/24. */
export function createSandbox(dir: string, name: string): Sandbox {
  const s: Sandbox = { dir, root: path.join(dir, 'root'), ns: `${name}`, peer: `${name}-p` };
  fs.mkdirSync(dir, { recursive: true });
  sh('cp', ['-a', PRISTINE_ROOT, s.root]);
  // systemd's "is init" marker, so the maintainer scripts manage the service
  fs.mkdirSync(path.join(s.root, 'run/systemd/system'), { recursive: true });
  fs.copyFileSync(FAKE_SYSTEMCTL, path.join(s.root, 'usr/local/sbin/systemctl'));
  fs.chmodSync(path.join(s.root, 'usr/local/sbin/systemctl'), 0o755);
  sh('ip', ['netns', 'add', s.ns]);
  sh('ip', ['netns', 'add', s.peer]);
  sh('ip', [
    'link',
    'add',
    'lan0',
    'netns',
    s.ns,
    'type',
    'veth',
    'peer',
    'name',
    'lan0',
    'netns',
    s.peer,
  ]);
  for (const [ns, addr] of [
    [s.ns, '198.51.100.2/24'],
    [s.peer, '198.51.100.3/24'],
  ]) {
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', addr, 'dev', 'lan0']);
    sh('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
  }
  return s;
}

/** Run a shell script as root of the sandbox, inside its network namespace. */
export function inSandbox(s: Sandbox, script: string, timeoutMs = 60_000): RunResult {
  const enter = [
    'set -e',
    'r=$1; shift',
    'mount -t proc proc "$r/proc"',
    'mount --rbind /dev "$r/dev"',
    'mount --rbind /sys "$r/sys"',
    'exec chroot "$r" /usr/bin/env -i "$@"',
  ].join('\n');
  const r = spawnSync(
    'timeout',
    [
      '-k',
      '5',
      String(Math.ceil(timeoutMs / 1000)),
      'ip',
      'netns',
      'exec',
      s.ns,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      enter,
      'enter',
      s.root,
      ...ENV,
      '/bin/sh',
      '-c',
      script,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** inSandbox, throwing with the script's output when it fails. */
export function mustRun(s: Sandbox, script: string, timeoutMs?: number): string {
  const r = inSandbox(s, script, timeoutMs);
  if (r.status !== 0) {
    throw new Error(`sandbox: '${script}' exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Addresses on lan0 as the kernel sees them (from outside the chroot). */
export function lan0Addresses(s: Sandbox): string[] {
  const out = sh('ip', ['-n', s.ns, '-o', '-4', 'addr', 'show', 'dev', 'lan0']);
  return [...out.matchAll(/inet (\S+)/g)].map((m) => m[1].split('/')[0]);
}

/** Kill whatever still runs in the namespaces, delete them, remove the copy. */
export function destroySandbox(s: Sandbox): void {
  for (const ns of [s.ns, s.peer]) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const left = [s.ns, s.peer].some(
      (ns) =>
        (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').trim() !== '',
    );
    if (!left) break;
    spawnSync('sleep', ['0.1']);
  }
  for (const ns of [s.ns, s.peer]) spawnSync('ip', ['netns', 'del', ns]);
  fs.rmSync(s.dir, { recursive: true, force: true });
}

/** Every path in the root, for the purge check (kernel filesystems and /tmp excluded). */
export function listFiles(s: Sandbox): Set<string> {
  const out = sh('find', [s.root, '-xdev', '-mindepth', '1', '-printf', '/%P\\n']);
  return new Set(out.split('\n').filter((p) => p && !/^\/(proc|sys|dev|tmp)(\/|$)/.test(p)));
}
