// The lab's front: one object per lab (prefix and folder) that brings it up,
// reports on it, runs commands in its hosts and tears it down. The work is in
// network.ts (namespaces and links), hosts.ts (each host's namespaces, sshd
// and HTTP), ssh-files.ts, partition.ts (cut/heal), fence-agent.ts and
// deps.ts; state.ts is the file that lets another process find it all.
import { projectRoot } from '../../components/stack-file';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { ensureDebianDeps } from './deps';
import { startFenceAgent, type FenceAgent } from './fence-agent';
import { argvInHost, listening, spawnHttp, spawnSshd, startHost } from './hosts';
import {
  checkOverlap,
  createNetwork,
  deleteNamespaces,
  existingNamespaces,
  namespaceAddresses,
  namespacePids,
} from './network';
import * as partition from './partition';
import { keygen, writeSshFiles } from './ssh-files';
import { readState, readStateSync, statePids, writeState, type LabState } from './state';
import { parseVipRoute, type HostStatus, type LabStatus, type RouterRoute } from './status';
import { isAlive, run, stopProcessesSync, waitFor, type RunOptions } from './sys';
import {
  buildTopology,
  DEFAULTS,
  hostNamed,
  vipOf,
  type LabHost,
  type LabOptions,
  type Topology,
} from './topology';

export type { HostState, LabState } from './state';
export type { HostStatus, LabStatus } from './status';

export class Lab {
  readonly topo: Topology;
  readonly dir: string;
  readonly options: LabOptions;
  private readonly log: (s: string) => void;

  constructor(opts: Partial<LabOptions> & { dir?: string; log?: (s: string) => void } = {}) {
    const { dir, log, ...rest } = opts;
    const prefix = rest.prefix ?? DEFAULTS.prefix;
    this.dir = path.resolve(dir ?? path.join(projectRoot(), '.lab', prefix));
    // a lab that is up keeps its mode: `lab status` alone shows the active-active lab as it is
    const mode = rest.mode ?? readStateSync(path.join(this.dir, 'state.json'))?.options.mode;
    this.options = { ...DEFAULTS, ...definedOnly({ ...rest, mode }) };
    this.topo = buildTopology(this.options);
    this.log = log ?? ((s) => console.error(s));
  }

  /** The lab's Pulumi stack: `lab`, or `lab-aa` for the active-active lab (stacks/Pulumi.lab-aa.yaml). */
  get stack(): string {
    return this.options.mode === 'active-active' ? 'lab-aa' : 'lab';
  }

  /** active-active: real servers run the line-echo service (long-lived connections) on port 80 */
  get echoService(): boolean {
    return this.options.mode === 'active-active';
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
    return hostNamed(this.topo, name);
  }

  readState(): Promise<LabState | undefined> {
    return readState(this.statePath);
  }

  /** Refuse when a lab segment overlaps anything the root namespace has. */
  checkOverlap(): Promise<void> {
    return checkOverlap(this.topo);
  }

  async up(): Promise<{ seconds: number; already: boolean }> {
    const t0 = process.hrtime.bigint();
    await this.checkOverlap();
    if ((await this.status()).up) return { seconds: 0, already: true };
    this.down();
    await ensureDebianDeps(this.log);

    const state: LabState = { options: this.options, namespaces: [], hosts: {} };
    const save = () => writeState(this.statePath, state);
    await save();
    try {
      await createNetwork(this.topo, (ns) => state.namespaces.push(ns), save);
      await keygen('lab-client', this.clientKey);
      await Promise.all(
        this.topo.hosts.map((h) =>
          startHost(
            h,
            this.hostDir(h.name),
            this.clientKey,
            (hs) => (state.hosts[h.name] = hs),
            this.echoService,
          ),
        ),
      );
      await save();
      await writeSshFiles(this, this.topo.hosts, (name) => state.hosts[name].hostKey!);
      // sshd listening and HTTP answering on every host before we say "up"
      await Promise.all(
        this.topo.hosts.map(async (h) => {
          await waitFor(`sshd on ${h.name}`, () => listening(h, 22), 10_000);
          if (h.http) await waitFor(`http on ${h.name}`, () => listening(h, 80), 10_000);
        }),
      );
    } catch (e) {
      await save();
      throw e;
    }
    state.upSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await save();
    return { seconds: state.upSeconds, already: false };
  }

  /** The state file's record of a host, for changing its processes. */
  private async hostState(name: string) {
    const st = await this.readState();
    const hs = st?.hosts[name];
    if (!st || !hs) throw new Error('lab: the lab is not up');
    return { st, hs };
  }

  /** Start a host's sshd again (after a test stopped it). */
  async restartSshd(name: string): Promise<void> {
    const h = this.host(name);
    const { st, hs } = await this.hostState(name);
    if (hs.sshd && isAlive(hs.sshd)) return;
    hs.sshd = spawnSshd(this.hostDir(name), hs.holder);
    await waitFor(`sshd on ${name}`, () => listening(h, 22), 10_000);
    await writeState(this.statePath, st);
  }

  /** Stop or (re)start a real server's HTTP service (the one the lab started, by PID). */
  async httpService(name: string, on: boolean): Promise<void> {
    const h = this.host(name);
    if (!h.http) throw new Error(`lab: ${name} runs no HTTP service`);
    const { st, hs } = await this.hostState(name);
    if (hs.http && isAlive(hs.http)) {
      if (on) return;
      process.kill(hs.http, 'SIGTERM');
      await waitFor(`http on ${name} to stop`, () => !isAlive(hs.http!), 5000);
      delete hs.http;
    } else if (on) {
      hs.http = spawnHttp(this.hostDir(name), hs.holder, this.echoService ? name : undefined);
      await waitFor(`http on ${name}`, () => listening(h, 80), 5000);
    }
    await writeState(this.statePath, st);
  }

  /**
   * The lab's fencing device: answers scripts/lab/fence.sh requests (files in
   * `<dir>/fence`) by taking every link of the target host down.
   */
  startFenceAgent(): FenceAgent {
    return startFenceAgent(path.join(this.dir, 'fence'), this.topo.hosts, (h, cmd) =>
      this.exec(h, cmd),
    );
  }

  /**
   * Remove every namespace, process and file of this lab. Safe to run at any
   * time. Synchronous, so that a process 'exit' handler can run it too and a
   * test run that dies (EPIPE, uncaught error) still leaves nothing behind.
   */
  down(): { seconds: number; removed: string[] } {
    const t0 = process.hrtime.bigint();
    const st = readStateSync(this.statePath);
    const namespaces = existingNamespaces(this.topo, st?.namespaces);
    const pids = new Set([...statePids(st), ...namespaces.flatMap(namespacePids)]);
    stopProcessesSync([...pids].filter(isAlive));
    deleteNamespaces(namespaces);
    rmSync(this.dir, { recursive: true, force: true });
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, removed: namespaces };
  }

  async status(): Promise<LabStatus> {
    const st = await this.readState();
    const existing = new Set(existingNamespaces(this.topo, st?.namespaces));
    const hosts: HostStatus[] = [];
    for (const h of this.topo.hosts) {
      const hs = st?.hosts[h.name];
      const alive = (pid?: number) => pid !== undefined && isAlive(pid) && existing.has(h.ns);
      hosts.push({
        name: h.name,
        role: h.role,
        ns: h.ns,
        addresses: existing.has(h.ns) ? await namespaceAddresses(h.ns) : [],
        holder: alive(hs?.holder),
        sshd: alive(hs?.sshd),
        http: h.http ? alive(hs?.http) : null,
      });
    }
    const switchUp = existing.has(this.topo.switchNs);
    const up =
      switchUp &&
      existing.has(this.topo.opsNs) &&
      hosts.every((h) => h.holder && h.sshd && h.http !== false);
    const cuts = switchUp ? await partition.cuts(this.topo) : [];
    const router = this.topo.mode === 'active-active' ? await this.routerRoute() : undefined;
    return {
      prefix: this.topo.prefix,
      dir: this.dir,
      up,
      hosts,
      cuts,
      ...(router ? { router } : {}),
    };
  }

  /** active-active: gw's kernel route to the VIP (ECMP over the announcing directors). */
  async routerRoute(): Promise<RouterRoute | undefined> {
    const gw = this.host('gw');
    if (!existingNamespaces(this.topo).includes(gw.ns)) return undefined;
    const vip = vipOf(this.topo);
    const r = await run('ip', ['-n', gw.ns, '-j', 'route', 'show', vip]);
    return r.code === 0 ? parseVipRoute('gw', vip, r.stdout) : undefined;
  }

  /** argv that runs `cmd` inside a host (its netns, mount and UTS namespaces) or in the ops namespace. */
  async hostArgv(name: string, cmd: string[]): Promise<string[]> {
    if (cmd.length === 0) throw new Error('lab exec: no command given');
    if (name === 'ops') {
      if (!existingNamespaces(this.topo).includes(this.topo.opsNs))
        throw new Error('lab: the lab is not up');
      return ['ip', 'netns', 'exec', this.topo.opsNs, ...cmd];
    }
    const h = this.host(name);
    const pid = (await this.readState())?.hosts[name]?.holder;
    if (!pid || !isAlive(pid))
      throw new Error(`lab: host ${name} is not running (run: npm run lab -- up)`);
    return argvInHost(h, pid, cmd);
  }

  /** Run a command inside a host and collect its output. */
  async exec(name: string, cmd: string[], opts: RunOptions = {}) {
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

  /**
   * Drop all traffic between host A and host B at the switch (both directions),
   * or between A and everyone when B is omitted. `segment` limits it to one
   * segment (0 = 198.51.100.0/24, 1 = 203.0.113.0/24).
   */
  cut(a: string, b?: string, segment?: number): Promise<void> {
    return partition.cut(this.topo, a, b, segment);
  }

  /** Undo cuts: those naming A (and B), or all of them. Returns how many. */
  heal(a?: string, b?: string): Promise<number> {
    return partition.heal(this.topo, a, b);
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
