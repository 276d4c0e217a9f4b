// A lab host: its own network namespace (network.ts) plus a private mount and
// UTS namespace with its own /etc (an overlay on the real one), /run and
// hostname, and sshd (and busybox httpd for real servers) running inside.
//
// Every host has a "holder" process (sleep) that owns its mount and UTS
// namespaces; sshd and the HTTP service are entered into them with nsenter, so
// they can be stopped and restarted without losing the host's /etc.
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { which } from './deps';
import { keygen } from './ssh-files';
import type { HostState } from './state';
import { isAlive, run, startDetached, waitFor } from './sys';
import type { LabHost } from './topology';

/** sshd_config of a lab host: root logs in with the lab's client key only. */
export function sshdConfig(hostKey: string, authorizedKeys: string): string {
  return [
    `HostKey ${hostKey}`,
    'PidFile /run/sshd.pid',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AuthorizedKeysFile ${authorizedKeys}`,
    // the command provider passes PULUMI_COMMAND_STDOUT/STDERR to delete and update scripts
    'AcceptEnv LANG LC_* KEEPALIVE_* PULUMI_COMMAND_*',
    'MaxStartups 100:30:200',
    'MaxSessions 64',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/**
 * The holder's script: private /etc (overlay on the real one) and /run
 * (tmpfs), own hostname; with `privateRoot` also /usr and /var (a package
 * installs into this host only), and with `nodeless` no Node.js on it.
 */
export function holderScript(
  h: Pick<LabHost, 'name' | 'privateRoot' | 'nodeless'>,
  dir: string,
): string {
  const overlay = (d: string, tag: string) =>
    `mount -t overlay overlay -o lowerdir=${d},upperdir=${dir}/${tag}-upper,workdir=${dir}/${tag}-work ${d}`;
  const name = h.name;
  return [
    'set -e',
    overlay('/etc', 'etc'),
    ...(h.privateRoot ? [overlay('/usr', 'usr'), overlay('/var', 'var')] : []),
    // a whiteout in this host's /usr: every node on PATH is gone (Debian 12's own is 18: too old anyway)
    ...(h.nodeless
      ? [
          'for n in node nodejs; do for p in $(which -a $n); do p=$(readlink -f "$p"); case "$p" in /usr/*) rm -f "$p";; *) mount --bind /dev/null "$p";; esac; done; done',
          'rm -f /usr/bin/node /usr/bin/nodejs /usr/local/bin/node',
          'if command -v node >/dev/null; then echo "node is still on PATH" >&2; exit 1; fi',
        ]
      : []),
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    'mkdir -p /run/sshd',
    // a lab host is a clean host: the build machine's root shell start-up (bash
    // sources ~/.bashrc for every SSH command) is not part of it
    '[ -f /root/.bashrc ] && mount --bind /dev/null /root/.bashrc || true',
    `hostname ${name}`,
    `echo ${name} > /etc/hostname`,
    'exec sleep infinity',
  ].join('\n');
}

/**
 * Start host `h` (its network namespace exists): holder, sshd, HTTP.
 * `dir` is the host's folder; `clientKey` the key root may log in with.
 * `record` gets the host's state as soon as the holder runs, and sees it
 * filled in later, so a start that fails halfway is still torn down.
 */
export async function startHost(
  h: LabHost,
  dir: string,
  clientKey: string,
  record: (hs: HostState) => void,
  /** serve with the line-echo service (scripts/aa/echo-service.ts) instead of busybox httpd */
  echo = false,
): Promise<void> {
  for (const tag of ['etc', ...(h.privateRoot ? ['usr', 'var'] : [])])
    for (const part of ['upper', 'work'])
      await mkdir(path.join(dir, `${tag}-${part}`), { recursive: true });
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  await keygen(`lab-${h.name}`, hostKey);
  await writeFile(path.join(dir, 'sshd_config'), sshdConfig(hostKey, `${clientKey}.pub`));
  const holder = startDetached('ip', [
    ...['netns', 'exec', h.ns],
    ...['unshare', '--mount', '--uts', '--propagation', 'private'],
    ...['--', 'sh', '-c', holderScript(h, dir)],
  ]);
  const hs: HostState = { holder, hostKey: `${hostKey}.pub` };
  record(hs);
  await waitFor(`${h.name} namespaces`, async () => {
    if (!isAlive(holder)) throw new Error(`lab: host ${h.name} failed to start its namespaces`);
    const r = await run('nsenter', [
      '-t',
      String(holder),
      '-u',
      '-m',
      '--',
      'cat',
      '/etc/hostname',
    ]);
    return r.code === 0 && r.stdout.trim() === h.name;
  });
  hs.sshd = spawnSshd(dir, holder);
  if (h.http) {
    const www = path.join(dir, 'www');
    await mkdir(www, { recursive: true });
    await writeFile(path.join(www, 'index.html'), `${h.name}\n`);
    hs.http = spawnHttp(dir, holder, echo ? h.name : undefined);
  }
}

/** argv prefix that enters the holder's mount, UTS and network namespaces. */
const enter = (holder: number) => ['nsenter', '-t', String(holder), '-m', '-u', '-n', '--'];

/** Start the host's sshd (logging to sshd.log in its folder); returns its PID. */
export function spawnSshd(dir: string, holder: number): number {
  const log = openSync(path.join(dir, 'sshd.log'), 'a');
  const sshd = which('sshd') ?? '/usr/sbin/sshd';
  const [bin, ...args] = enter(holder);
  const pid = startDetached(bin, [...args, sshd, '-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return pid;
}

/**
 * A real server's HTTP service on port 80; returns its PID. busybox httpd
 * serving `<dir>/www`, or with `echoName` the line-echo service that also
 * answers HTTP GET (long-lived connections for the active-active lab's
 * survival measurement: busybox closes every connection).
 */
export function spawnHttp(dir: string, holder: number, echoName?: string): number {
  const [bin, ...args] = enter(holder);
  const server = echoName
    ? [process.execPath, ECHO_SERVICE, '--port', '80', '--name', echoName]
    : ['busybox', 'httpd', '-f', '-p', '80', '-h', path.join(dir, 'www')];
  return startDetached(bin, [...args, ...server]);
}
const ECHO_SERVICE = path.join(__dirname, '../aa/echo-service.js');

/** Is something listening on TCP `port` inside the host's namespace? */
export async function listening(h: LabHost, port: number): Promise<boolean> {
  const r = await run('ip', ['netns', 'exec', h.ns, 'ss', '-Hltn', `sport = :${port}`]);
  return r.code === 0 && r.stdout.trim().length > 0;
}

/** argv that runs `cmd` inside host `h` whose holder is `holder`. */
export async function argvInHost(h: LabHost, holder: number, cmd: string[]): Promise<string[]> {
  // Guard: never let a lab command run in the root namespace by mistake.
  const id = (await run('ip', ['netns', 'identify', String(holder)])).stdout.trim();
  if (id !== h.ns)
    throw new Error(`lab: process ${holder} is not in namespace ${h.ns} (found "${id}"); refusing`);
  return [...enter(holder), ...cmd];
}
