// The single executable at work, for its test and its benchmark: a network
// namespace of its own (a veth pair lan0/lan1 inside, 198.51.100.1/24 on
// lan0), an address owner started in it, by the executable or by
// `node bin/keepalive-ts`, the executable optionally with Node.js made
// unavailable: a private mount namespace where every node binary found is
// covered by an empty, non-executable file. Everything goes at close().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { OWN_NETNS_ADDR, ownNetns } from '../lab/own-netns';

export const SELF = OWN_NETNS_ADDR;
export const VIP = '198.51.100.10';

/** A MASTER that owns its address (priority 255): it adverts as soon as it runs. */
export const OWNER_CONF =
  'global_defs {\n  router_id sea\n}\n' +
  'vrrp_instance VI_1 {\n  state MASTER\n  interface lan0\n  virtual_router_id 51\n  priority 255\n' +
  '  advert_int 1\n  authentication {\n    auth_type PASS\n    auth_pass sea12345\n  }\n' +
  `  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;

/** A PATH without Node.js (with node masked, these hold none that runs). */
export const PATH_WITHOUT_NODE = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Mounts $1 (an empty file) over each path up to `--`, refuses to go on if a
 * node still runs from PATH, puts a noexec tmpfs on $NOEXEC_TMP (when set) and
 * makes it TMPDIR, then execs the rest.
 */
const MASK_SCRIPT =
  'empty=$1; shift\n' +
  'while [ "$1" != -- ]; do mount --bind "$empty" "$1" || exit 96; shift; done; shift\n' +
  'if command -v node >/dev/null 2>&1; then echo "node still on PATH: $(command -v node)" >&2; exit 97; fi\n' +
  'if [ -n "${NOEXEC_TMP:-}" ]; then mount -t tmpfs -o noexec,size=4m tmpfs "$NOEXEC_TMP" || exit 98; export TMPDIR="$NOEXEC_TMP"; fi\n' +
  'exec "$@"\n';

/** Every node binary of this machine we can find (real paths: a bind mount follows links). */
export function nodeBinaries(pathVar = process.env.PATH ?? ''): string[] {
  const dirs = [
    ...pathVar.split(':').filter(Boolean),
    PATH_WITHOUT_NODE.split(':'),
    '/usr/local/bin',
    '/opt/node/bin',
  ].flat();
  const found = [
    process.execPath,
    ...dirs.flatMap((d) => ['node', 'nodejs'].map((n) => path.join(d, n))),
  ]
    .filter((f) => existsSync(f))
    .map((f) => realpathSync(f));
  return [...new Set(found)];
}

/**
 * `argv` run in a private mount namespace where every node binary is covered
 * by an empty file (DIR/no-node); run it with PATH_WITHOUT_NODE.
 */
export function withoutNodeArgv(dir: string, argv: string[]): string[] {
  const empty = path.join(dir, 'no-node');
  writeFileSync(empty, '', { mode: 0o644 });
  const mask = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', MASK_SCRIPT];
  return [...mask, 'mask', empty, ...nodeBinaries(), '--', ...argv];
}

function withoutNodeEnv(dir: string, noexecTmp = false): NodeJS.ProcessEnv {
  if (!noexecTmp) return { PATH: PATH_WITHOUT_NODE };
  const tmp = path.join(dir, 'noexec-tmp');
  mkdirSync(tmp, { recursive: true });
  return { PATH: PATH_WITHOUT_NODE, NOEXEC_TMP: tmp };
}

export type Runner = 'sea' | 'node';

export interface Started {
  child: ChildProcess;
  /** what it printed so far (stdout and stderr) */
  out(): string;
  /** epoch ms just before the spawn */
  t0: number;
}

export interface StartOptions {
  /** every node binary masked, PATH without node (see withoutNodeArgv) */
  withoutNode?: boolean;
  /** with withoutNode: TMPDIR is a noexec tmpfs (the addon must be loaded from elsewhere) */
  noexecTmp?: boolean;
}

export interface SeaNetns {
  ns: string;
  dir: string;
  /** start keepalive-ts -f CONF -n -l in the namespace */
  start(runner: Runner, exe: string, conf: string, o?: StartOptions): Started;
  close(): Promise<void>;
}

/** `keepalive-ts -f CONF -n -l -p DIR/kts.pid --control DIR/kts.sock` as the runner starts it. */
export function daemonArgv(runner: Runner, exe: string, conf: string, dir: string): string[] {
  const args = ['-f', conf, '-n', '-l', '-p', path.join(dir, 'kts.pid')];
  args.push('--control', path.join(dir, 'kts.sock'));
  return runner === 'sea' ? [exe, ...args] : [process.execPath, exe, ...args];
}

export async function seaNetns(tag: string): Promise<SeaNetns> {
  const own = await ownNetns(tag);
  const { ns, dir } = own;
  return {
    ...own,
    start(runner, exe, conf, o = {}) {
      const inNs = ['ip', 'netns', 'exec', ns, ...daemonArgv(runner, exe, conf, dir)];
      const cmd = o.withoutNode ? withoutNodeArgv(dir, inNs) : inNs;
      let out = '';
      const t0 = Date.now();
      const child = spawn(cmd[0], cmd.slice(1), {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: o.withoutNode ? withoutNodeEnv(dir, o.noexecTmp) : process.env,
      });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      return { child, out: () => out, t0 };
    },
  };
}
