// The imperative shell of the lab: namespaces, links, per-host mount/UTS
// namespaces with a private /etc and /run, sshd and HTTP per host.
//
// Every host has a "holder" process (sleep) that owns its mount and UTS
// namespaces; sshd and the HTTP service are entered into them with nsenter, so
// they can be stopped and restarted without losing the host's /etc.
import { projectRoot } from '../../components/stack-file';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync as readFileSyncFs,
  rmSync,
  writeFileSync as writeFileSyncFs,
} from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isAlive, must, run, startDetached, waitFor } from './sys';
import {
  buildTopology,
  DEFAULTS,
  findOverlaps,
  type LabHost,
  type LabOptions,
  type Topology,
} from './topology';

export interface HostState {
  holder: number;
  sshd?: number;
  http?: number;
  hostKey?: string;
}

export interface LabState {
  options: LabOptions;
  namespaces: string[];
  hosts: Record<string, HostState>;
  upSeconds?: number;
}

export interface HostStatus {
  name: string;
  role: string;
  ns: string;
  addresses: string[];
  holder: boolean;
  sshd: boolean;
  http: boolean | null;
}

export interface LabStatus {
  prefix: string;
  dir: string;
  up: boolean;
  hosts: HostStatus[];
  cuts: string[];
}

const CUT_TABLE = 'lab_cut';

/** Debian packages the lab (and the tests that use it) needs, by the binary that shows they are there. */
export const DEBIAN_DEPS: Record<string, string> = {
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  nft: 'nftables',
  ip: 'iproute2',
  ping: 'iputils-ping',
  arping: 'iputils-arping',
  keepalived: 'keepalived',
  tshark: 'tshark',
  busybox: 'busybox',
  curl: 'curl',
  nsenter: 'util-linux',
};

const SBIN = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function which(bin: string): string | undefined {
  return SBIN.map((d) => path.join(d, bin)).find((p) => existsSync(p));
}

export async function ensureDebianDeps(log: (s: string) => void = console.error): Promise<void> {
  const missing = [
    ...new Set(
      Object.entries(DEBIAN_DEPS)
        .filter(([b]) => !which(b))
        .map(([, p]) => p),
    ),
  ];
  if (missing.length === 0) return;
  log(`lab: installing missing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-qq', ...missing], { timeoutMs: 600_000, env });
  if (r.code !== 0) {
    await run('apt-get', ['update', '-qq'], { timeoutMs: 600_000, env });
    r = await run('apt-get', ['install', '-y', '-qq', ...missing], { timeoutMs: 600_000, env });
  }
  if (r.code !== 0) {
    throw new Error(`lab: could not install ${missing.join(' ')} with apt-get: ${r.stderr.trim()}`);
  }
}

/** Addresses and routes of the namespace this process runs in (the root namespace). */
async function rootNet() {
  const addrs = JSON.parse(await must('ip', ['-j', '-4', 'addr', 'show'])) as {
    addr_info: { local: string; prefixlen: number }[];
  }[];
  const routes = JSON.parse(await must('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as {
    dst: string;
    type?: string;
  }[];
  return {
    addresses: addrs.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`)),
    routes: routes
      .filter((r) => r.dst && r.dst !== 'default')
      .map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/32`)),
  };
}

export class Lab {
  readonly topo: Topology;
  readonly dir: string;
  private readonly log: (s: string) => void;

  readonly options: LabOptions;

  constructor(opts: Partial<LabOptions> & { dir?: string; log?: (s: string) => void } = {}) {
    const { dir, log, ...rest } = opts;
    this.options = { ...DEFAULTS, ...definedOnly(rest) };
    this.topo = buildTopology(this.options);
    this.dir = path.resolve(dir ?? path.join(projectRoot(), '.lab', this.topo.prefix));
    this.log = log ?? ((s) => console.error(s));
  }

  get statePath() {
    return path.join(this.dir, 'state.json');
  }
  get clientKey() {
    return path.join(this.dir, 'id_ed25519');
  }
  get knownHosts() {
    return path.join(this.dir, 'known_hosts');
  }
  get sshConfig() {
    return path.join(this.dir, 'ssh_config');
  }
  hostDir(h: string) {
    return path.join(this.dir, 'hosts', h);
  }
  host(name: string): LabHost {
    const h = this.topo.hosts.find((x) => x.name === name);
    if (!h)
      throw new Error(
        `lab: no host "${name}" (hosts: ${this.topo.hosts.map((x) => x.name).join(', ')})`,
      );
    return h;
  }

  async readState(): Promise<LabState | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath, 'utf8')) as LabState;
    } catch {
      return undefined;
    }
  }

  private async writeState(s: LabState) {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.statePath, JSON.stringify(s, null, 2));
  }

  /** Refuse when a lab segment overlaps anything the root namespace has. */
  async checkOverlap(): Promise<void> {
    const hits = findOverlaps(
      this.topo.segments.map((s) => s.cidr),
      await rootNet(),
    );
    if (hits.length) {
      throw new Error(`lab: refusing to start: ${hits.join('; ')}. Pick another --subnet.`);
    }
  }

  async up(): Promise<{ seconds: number; already: boolean }> {
    const t0 = process.hrtime.bigint();
    await this.checkOverlap();
    const st = await this.status();
    if (st.up) return { seconds: 0, already: true };
    await this.down();
    await ensureDebianDeps(this.log);

    const state: LabState = { options: this.options, namespaces: [], hosts: {} };
    await mkdir(this.dir, { recursive: true });
    await this.writeState(state);
    try {
      await this.createNetwork(state);
      await keygen('lab-client', this.clientKey);
      await Promise.all(this.topo.hosts.map((h) => this.startHost(h, state)));
      await this.writeState(state);
      await this.writeSshFiles(state);
      // sshd listening and HTTP answering on every host before we say "up"
      await Promise.all(
        this.topo.hosts.map(async (h) => {
          await waitFor(`sshd on ${h.name}`, () => this.listening(h, 22), 10_000);
          if (h.http) await waitFor(`http on ${h.name}`, () => this.listening(h, 80), 10_000);
        }),
      );
    } catch (e) {
      await this.writeState(state);
      throw e;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    state.upSeconds = seconds;
    await this.writeState(state);
    return { seconds, already: false };
  }

  private async createNetwork(state: LabState) {
    const { topo } = this;
    const addNs = async (ns: string) => {
      await must('ip', ['netns', 'add', ns]);
      state.namespaces.push(ns);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    };
    await addNs(topo.switchNs);
    await this.writeState(state);
    const batch: string[] = [];
    for (const seg of topo.segments) {
      // snooping off: VRRP multicast must flood to every port like on a plain switch
      batch.push(
        `link add ${seg.bridge} type bridge mcast_snooping 0`,
        `link set ${seg.bridge} up`,
      );
    }
    await must('ip', ['-n', topo.switchNs, '-batch', '-'], { input: batch.join('\n') + '\n' });
    const plug = async (ns: string, port: string, ifname: string, seg: number, cidr: string) => {
      await must('ip', [
        '-n',
        topo.switchNs,
        'link',
        'add',
        port,
        'type',
        'veth',
        'peer',
        'name',
        ifname,
        'netns',
        ns,
      ]);
      await must('ip', [
        '-n',
        topo.switchNs,
        'link',
        'set',
        port,
        'master',
        topo.segments[seg].bridge,
        'up',
      ]);
      await must('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifname]);
      await must('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
    };
    await addNs(topo.opsNs);
    await plug(
      topo.opsNs,
      'ops',
      'lan0',
      0,
      `${topo.opsAddress}/${topo.hosts[0].ifaces[0].prefix}`,
    );
    for (const h of topo.hosts) {
      await addNs(h.ns);
      for (const i of h.ifaces)
        await plug(h.ns, i.port, i.name, i.segment, `${i.address}/${i.prefix}`);
    }
    await this.writeState(state);
  }

  private async startHost(h: LabHost, state: LabState) {
    const dir = this.hostDir(h.name);
    const upper = path.join(dir, 'etc-upper');
    const work = path.join(dir, 'etc-work');
    await mkdir(upper, { recursive: true });
    await mkdir(work, { recursive: true });
    const hostKey = path.join(dir, 'ssh_host_ed25519_key');
    await keygen(`lab-${h.name}`, hostKey);
    const sshdConfig = path.join(dir, 'sshd_config');
    await writeFile(
      sshdConfig,
      [
        `HostKey ${hostKey}`,
        'PidFile /run/sshd.pid',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        `AuthorizedKeysFile ${this.clientKey}.pub`,
        // the command provider passes PULUMI_COMMAND_STDOUT/STDERR to delete and update scripts
        'AcceptEnv LANG LC_* KEEPALIVE_* PULUMI_COMMAND_*',
        'MaxStartups 100:30:200',
        'MaxSessions 64',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    // The holder: private /etc (overlay on the real one) and /run (tmpfs), own hostname.
    const script = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc`,
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      'mkdir -p /run/sshd',
      // a lab host is a clean host: the build machine's root shell start-up (bash
      // sources ~/.bashrc for every SSH command) is not part of it
      '[ -f /root/.bashrc ] && mount --bind /dev/null /root/.bashrc || true',
      `hostname ${h.name}`,
      `echo ${h.name} > /etc/hostname`,
      'exec sleep infinity',
    ].join('\n');
    const holder = startDetached('ip', [
      'netns',
      'exec',
      h.ns,
      'unshare',
      '--mount',
      '--uts',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      script,
    ]);
    state.hosts[h.name] = { holder, hostKey: `${hostKey}.pub` };
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
    state.hosts[h.name].sshd = this.spawnSshd(h.name, holder);
    if (h.http) {
      const www = path.join(dir, 'www');
      await mkdir(www, { recursive: true });
      await writeFile(path.join(www, 'index.html'), `${h.name}\n`);
      state.hosts[h.name].http = this.spawnHttp(h.name, holder);
    }
  }

  private spawnSshd(name: string, holder: number): number {
    const dir = this.hostDir(name);
    const log = openSync(path.join(dir, 'sshd.log'), 'a');
    const pid = startDetached(
      'nsenter',
      [
        '-t',
        String(holder),
        '-m',
        '-u',
        '-n',
        '--',
        which('sshd') ?? '/usr/sbin/sshd',
        '-D',
        '-e',
        '-f',
        path.join(dir, 'sshd_config'),
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    return pid;
  }

  /** A real server's HTTP service (busybox httpd serving its name), entered into its host. */
  private spawnHttp(name: string, holder: number): number {
    const www = path.join(this.hostDir(name), 'www');
    return startDetached('nsenter', [
      '-t',
      String(holder),
      '-m',
      '-u',
      '-n',
      '--',
      'busybox',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      www,
    ]);
  }

  /** Start a host's sshd again (after a test stopped it). */
  async restartSshd(name: string): Promise<void> {
    const h = this.host(name);
    const st = await this.readState();
    const hs = st?.hosts[name];
    if (!st || !hs) throw new Error('lab: the lab is not up');
    if (hs.sshd && isAlive(hs.sshd)) return;
    hs.sshd = this.spawnSshd(name, hs.holder);
    await waitFor(`sshd on ${name}`, () => this.listening(h, 22), 10_000);
    await this.writeState(st);
  }

  /**
   * The lab's fencing device: answers scripts/lab/fence.sh requests (files in
   * `<dir>/fence`) by taking every link of the target host down. Returns stop().
   */
  startFenceAgent(): { dir: string; stop: () => void; fenced: string[] } {
    const dir = path.join(this.dir, 'fence');
    mkdirSync(dir, { recursive: true });
    const fenced: string[] = [];
    let running = true;
    const loop = async () => {
      while (running) {
        for (const f of readdirSync(dir).filter((x) => x.startsWith('request-'))) {
          const ip = f.slice('request-'.length);
          rmSync(path.join(dir, f), { force: true });
          const h = this.topo.hosts.find((x) => x.ifaces.some((i) => i.address === ip));
          let ok = false;
          if (h) {
            const r = await this.exec(h.name, [
              'sh',
              '-c',
              h.ifaces.map((i) => `ip link set ${i.name} down`).join('; '),
            ]);
            ok = r.code === 0;
            if (ok) fenced.push(h.name);
          }
          writeFileSyncFs(path.join(dir, `done-${ip}`), ok ? 'ok' : 'failed');
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    void loop();
    return { dir, fenced, stop: () => (running = false) };
  }

  /** Stop or (re)start a real server's HTTP service (the one the lab started, by PID). */
  async httpService(name: string, on: boolean): Promise<void> {
    const h = this.host(name);
    if (!h.http) throw new Error(`lab: ${name} runs no HTTP service`);
    const st = await this.readState();
    const hs = st?.hosts[name];
    if (!st || !hs) throw new Error('lab: the lab is not up');
    if (hs.http && isAlive(hs.http)) {
      if (on) return;
      process.kill(hs.http, 'SIGTERM');
      await waitFor(`http on ${name} to stop`, () => !isAlive(hs.http!), 5000);
      delete hs.http;
    } else if (on) {
      hs.http = this.spawnHttp(name, hs.holder);
      await waitFor(`http on ${name}`, () => this.listening(h, 80), 5000);
    }
    await this.writeState(st);
  }

  /** Is something listening on TCP `port` inside the host's namespace? */
  private async listening(h: LabHost, port: number): Promise<boolean> {
    const r = await run('ip', ['netns', 'exec', h.ns, 'ss', '-Hltn', `sport = :${port}`]);
    return r.code === 0 && r.stdout.trim().length > 0;
  }

  private async writeSshFiles(state: LabState) {
    const known: string[] = [];
    const cfg: string[] = [];
    for (const h of this.topo.hosts) {
      const key = (await readFile(state.hosts[h.name].hostKey!, 'utf8'))
        .trim()
        .split(/\s+/)
        .slice(0, 2)
        .join(' ');
      known.push(`${[h.name, ...h.ifaces.map((i) => i.address)].join(',')} ${key}`);
      cfg.push(
        `Host ${h.name}`,
        `  HostName ${h.ifaces[0].address}`,
        '  User root',
        `  IdentityFile ${this.clientKey}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${this.knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  HostKeyAlias ' + h.name,
        '  BatchMode yes',
        '  ConnectTimeout 5',
        '',
      );
    }
    await writeFile(this.knownHosts, known.join('\n') + '\n');
    await writeFile(this.sshConfig, cfg.join('\n'));
  }

  /** Names of lab namespaces that exist now (from the state file and from `ip netns`). */
  private async existingNamespaces(): Promise<string[]> {
    return this.existingNamespacesSync();
  }

  private existingNamespacesSync(): string[] {
    const st = this.readStateSync();
    const mine = new Set([
      this.topo.switchNs,
      this.topo.opsNs,
      ...this.topo.hosts.map((h) => h.ns),
      ...(st?.namespaces ?? []),
    ]);
    // rs hosts of a lab that was brought up with more real servers than now configured
    const rs = new RegExp(`^${this.topo.prefix}-rs\\d+$`);
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter(Boolean);
    return list.filter((n) => mine.has(n) || rs.test(n));
  }

  private readStateSync(): LabState | undefined {
    try {
      return JSON.parse(readFileSyncFs(this.statePath, 'utf8')) as LabState;
    } catch {
      return undefined;
    }
  }

  /** Remove every namespace, process and file of this lab. Safe to run at any time. */
  async down(): Promise<{ seconds: number; removed: string[] }> {
    return this.downSync();
  }

  /**
   * The same, synchronously: also usable from a process 'exit' handler, so a
   * test run that dies (EPIPE, uncaught error) still leaves nothing behind.
   */
  downSync(): { seconds: number; removed: string[] } {
    const t0 = process.hrtime.bigint();
    const namespaces = this.existingNamespacesSync();
    const st = this.readStateSync();
    const pids = new Set<number>();
    for (const h of Object.values(st?.hosts ?? {}))
      for (const p of [h.holder, h.sshd, h.http]) if (p) pids.add(p);
    for (const ns of namespaces) {
      const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const l of out.split('\n')) if (l.trim()) pids.add(Number(l));
    }
    const ours = [...pids].filter(isAlive);
    const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (const p of ours) tryKill(p, 'SIGTERM');
    const until = Date.now() + 2000;
    while (ours.some(isAlive) && Date.now() < until) pause(20);
    for (const p of ours) if (isAlive(p)) tryKill(p, 'SIGKILL');
    while (ours.some(isAlive) && Date.now() < until + 2000) pause(20);
    for (const ns of namespaces) execFileSync('ip', ['netns', 'del', ns]);
    // `ip netns add` bind-mounts /run/netns onto itself; undo that once no namespace is left.
    if (execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).trim() === '')
      spawnSync('umount', ['/run/netns']);
    rmSync(this.dir, { recursive: true, force: true });
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, removed: namespaces };
  }

  async status(): Promise<LabStatus> {
    const st = await this.readState();
    const existing = new Set(await this.existingNamespaces());
    const hosts: HostStatus[] = [];
    for (const h of this.topo.hosts) {
      const hs = st?.hosts[h.name];
      let addresses: string[] = [];
      if (existing.has(h.ns)) {
        const r = await run('ip', ['-n', h.ns, '-j', '-4', 'addr', 'show']);
        if (r.code === 0) {
          addresses = (
            JSON.parse(r.stdout) as {
              ifname: string;
              addr_info: { local: string; prefixlen: number }[];
            }[]
          )
            .filter(
              (l) => l.ifname !== 'lo' || l.addr_info.some((a) => !a.local.startsWith('127.')),
            )
            .flatMap((l) =>
              l.addr_info
                .filter((a) => !a.local.startsWith('127.'))
                .map((a) => `${a.local}/${a.prefixlen} ${l.ifname}`),
            );
        }
      }
      const alive = (pid?: number) => pid !== undefined && isAlive(pid) && existing.has(h.ns);
      hosts.push({
        name: h.name,
        role: h.role,
        ns: h.ns,
        addresses,
        holder: alive(hs?.holder),
        sshd: alive(hs?.sshd),
        http: h.http ? alive(hs?.http) : null,
      });
    }
    const cuts = existing.has(this.topo.switchNs)
      ? [...new Set((await this.cutRules()).map((r) => r.comment))]
      : [];
    const up =
      existing.has(this.topo.switchNs) &&
      existing.has(this.topo.opsNs) &&
      hosts.every((h) => h.holder && h.sshd && h.http !== false);
    return { prefix: this.topo.prefix, dir: this.dir, up, hosts, cuts };
  }

  /** argv that runs `cmd` inside a host (its netns, mount and UTS namespaces) or in the ops namespace. */
  async hostArgv(name: string, cmd: string[]): Promise<string[]> {
    if (cmd.length === 0) throw new Error('lab exec: no command given');
    if (name === 'ops') {
      if (!(await this.existingNamespaces()).includes(this.topo.opsNs))
        throw new Error('lab: the lab is not up');
      return ['ip', 'netns', 'exec', this.topo.opsNs, ...cmd];
    }
    const h = this.host(name);
    const st = await this.readState();
    const pid = st?.hosts[name]?.holder;
    if (!pid || !isAlive(pid))
      throw new Error(`lab: host ${name} is not running (run: npm run lab -- up)`);
    // Guard: never let a lab command run in the root namespace by mistake.
    const id = (await run('ip', ['netns', 'identify', String(pid)])).stdout.trim();
    if (id !== h.ns)
      throw new Error(`lab: process ${pid} is not in namespace ${h.ns} (found "${id}"); refusing`);
    return ['nsenter', '-t', String(pid), '-m', '-u', '-n', '--', ...cmd];
  }

  /** Run a command inside a host and collect its output. */
  async exec(name: string, cmd: string[], opts: { input?: string; timeoutMs?: number } = {}) {
    const [bin, ...args] = await this.hostArgv(name, cmd);
    return run(bin, args, opts);
  }

  /** Run a command inside a host with our stdio (the CLI's `exec`). */
  async execInteractive(name: string, cmd: string[]): Promise<number> {
    const [bin, ...args] = await this.hostArgv(name, cmd);
    return new Promise((resolve, reject) => {
      const c = spawn(bin, args, { stdio: 'inherit' });
      c.on('error', reject);
      c.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
    });
  }

  private portsOf(name: string, segment?: number): string[] {
    const h = this.host(name);
    return h.ifaces
      .filter((i) => segment === undefined || i.segment === segment)
      .map((i) => i.port);
  }

  private async cutRules(): Promise<{ handle: number; comment: string }[]> {
    const r = await run('ip', [
      'netns',
      'exec',
      this.topo.switchNs,
      'nft',
      '-j',
      '-a',
      'list',
      'table',
      'bridge',
      CUT_TABLE,
    ]);
    if (r.code !== 0) return [];
    const items = (
      JSON.parse(r.stdout) as { nftables: { rule?: { handle: number; comment?: string } }[] }
    ).nftables;
    return items
      .filter((i) => i.rule?.comment)
      .map((i) => ({ handle: i.rule!.handle, comment: i.rule!.comment! }));
  }

  /**
   * Drop all traffic between host A and host B at the switch (both directions),
   * or between A and everyone when B is omitted. `segment` limits it to one
   * segment (0 = 198.51.100.0/24, 1 = 203.0.113.0/24).
   */
  async cut(a: string, b?: string, segment?: number): Promise<void> {
    const pa = this.portsOf(a, segment);
    const pb = b ? this.portsOf(b, segment) : undefined;
    const name = `cut ${a} ${b ?? '*'}${segment === undefined ? '' : ` seg${segment}`}`;
    if ((await this.cutRules()).some((r) => r.comment === name)) return;
    const set = (ports: string[]) => `{ ${ports.map((p) => `"${p}"`).join(', ')} }`;
    const rules = pb
      ? [`iifname ${set(pa)} oifname ${set(pb)}`, `iifname ${set(pb)} oifname ${set(pa)}`]
      : [`iifname ${set(pa)}`, `oifname ${set(pa)}`];
    const text = [
      `table bridge ${CUT_TABLE} {`,
      '  chain forward { type filter hook forward priority 0; policy accept; }',
      '}',
      ...rules.map((r) => `add rule bridge ${CUT_TABLE} forward ${r} drop comment "${name}"`),
      '',
    ].join('\n');
    await must('ip', ['netns', 'exec', this.topo.switchNs, 'nft', '-f', '-'], { input: text });
  }

  /** Undo cuts: those naming A (and B), or all of them. */
  async heal(a?: string, b?: string): Promise<number> {
    const rules = await this.cutRules();
    const hit = rules.filter((r) => {
      const [, x, y] = r.comment.split(' ');
      if (!a) return true;
      const pair = new Set([x, y]);
      return pair.has(a) && (!b || pair.has(b));
    });
    for (const r of hit) {
      await must('ip', [
        'netns',
        'exec',
        this.topo.switchNs,
        'nft',
        'delete',
        'rule',
        'bridge',
        CUT_TABLE,
        'forward',
        'handle',
        String(r.handle),
      ]);
    }
    return new Set(hit.map((r) => r.comment)).size;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A fresh ed25519 key pair without passphrase. */
const keygen = (comment: string, file: string) =>
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);

function tryKill(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export function formatStatus(s: LabStatus): string {
  const yes = (b: boolean | null) => (b === null ? '-' : b ? 'up' : 'DOWN');
  const rows = [
    ['HOST', 'ROLE', 'NAMESPACE', 'SSHD', 'HTTP', 'ADDRESSES'],
    ...s.hosts.map((h) => [
      h.name,
      h.role,
      h.ns,
      h.holder ? yes(h.sshd) : 'DOWN',
      yes(h.http),
      h.addresses.join(', '),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
  return [
    `lab "${s.prefix}" is ${s.up ? 'UP' : 'DOWN'} (${s.dir})`,
    ...lines,
    s.cuts.length ? `cuts: ${s.cuts.join('; ')}` : 'cuts: none',
  ].join('\n');
}
