// What "no host is left half-configured" means, stated as checks over two
// snapshots of a host (before a deploy, and after it was interrupted or
// finished). Pure: the snapshot comes from `snapshotScript`'s output, taken
// on the host under its deploy lock (so no step is running at that moment).
//
// After an interruption, a host is whole when:
// - config: present, passing the daemon's config test, and either the one it
//   had or the one deployed; or absent, as it was before;
// - install: the install dir is complete (its daemon answers --version) and is
//   the release it had or the one deployed; or absent, as before;
// - daemon: at most one; running if it was running before (a deploy never
//   leaves it stopped), and newly running only with the deployed config and a
//   complete install (the deploy got past starting it);
// - sysctls: of the keys the deploy changes, all as before or all applied; once
//   any is applied, the values before are saved (delete puts them back);
// - VIP on a real server's lo only with its ARP sysctls applied;
// - leftovers: only inert temporaries (*.new, the link being made, staging),
//   which nothing reads and the next run removes.
// After a run that finished, everything is the deployed state and no leftovers.
import { shellQuote as q } from '../daemon/core/argv';
import { DEPLOY_LOCK, LOCK_WAIT_S } from './host-script';

export interface HostSnapshot {
  /** config file: absent, or its sha256 and whether the daemon's config test accepts it */
  config?: { sha256: string; testOk: boolean };
  /** install dir: absent, or the release it points at and whether it works */
  install?: { release: string; complete: boolean };
  /** daemon processes */
  daemons: number;
  /** current values of the deploy's sysctl keys */
  sysctl: Record<string, string>;
  /** the values before the deploy are saved on the host */
  sysctlSaved: boolean;
  /** the VIP is on lo (real servers) */
  vipOnLo: boolean;
  /** temporaries and other files outside the deployed set, by path */
  leftovers: string[];
}

/** What the deploy puts on the host. */
export interface HostTarget {
  role: 'director' | 'realserver';
  sysctl: Record<string, string>;
  /** directors: sha256 of the deployed config, and the deployed release's name */
  configSha256?: string;
  release?: string;
}

/** Paths and commands the snapshot script needs (from the plan's spec). */
export interface SnapshotPaths {
  config: string;
  configTest: string;
  installDir: string;
  /** what the daemon's command line contains (counted in the host's network namespace) */
  daemonMatch: string;
  sysctlSaved: string;
  vip: string;
  /** folders searched for leftovers */
  folders: string[];
}

/** Inert temporaries: nothing reads them, the next run removes them. */
const INERT = /(\.new|\.link-new|\/\.staging-[^/]*)$/;

/** A regex for `s` that does not match its own text (this script's command line has it). */
const selfSafe = (s: string) => `[${s[0]}]${s.slice(1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;

/** The shell script that prints a host's snapshot as key=value lines (run as root on the host). */
export function snapshotScript(p: SnapshotPaths, keys: string[]): string {
  const lines = [
    `if [ -f ${q(p.config)} ]; then echo "config=$(sha256sum < ${q(p.config)} | cut -c1-64) $(${p.configTest} ${q(p.config)} >/dev/null 2>&1 && echo ok || echo bad)"; fi`,
    `if [ -e ${q(p.installDir)} ] || [ -L ${q(p.installDir)} ]; then echo "install=$(basename "$(readlink ${q(p.installDir)} || echo legacy)") $([ -x ${q(p.installDir)}/bin/keepalive-ts ] && node ${q(p.installDir)}/bin/keepalive-ts --version >/dev/null 2>&1 && echo ok || echo bad)"; fi`,
    // processes of this network namespace (lab hosts share the machine's pid namespace)
    `n=0; me=$(readlink /proc/self/ns/net); for d in $(ls -l /proc/[0-9]*/ns/net 2>/dev/null | grep -F " -> $me" | sed 's|.* \\(/proc/[0-9]*\\)/ns/net .*|\\1|'); do tr '\\0' ' ' 2>/dev/null < $d/cmdline | grep -qE -- ${q(selfSafe(p.daemonMatch))} && n=$((n+1)); done; echo "daemons=$n"`,
    ...keys.map((k) => `echo "sysctl.${k}=$(sysctl -n ${q(k)} 2>/dev/null)"`),
    `[ -f ${q(p.sysctlSaved)} ] && echo saved=1 || echo saved=0`,
    `ip -o -4 addr show dev lo | grep -qF ' ${p.vip}/' && echo vip=1 || echo vip=0`,
    `find ${p.folders.map(q).join(' ')} -maxdepth 2 \\( -name '*.new' -o -name '*.link-new' -o -name '.staging-*' \\) -printf 'leftover=%p\\n' 2>/dev/null || true`,
  ];
  // taken under the deploy lock: a step still running after its client died finishes first
  return `flock -w ${LOCK_WAIT_S} ${DEPLOY_LOCK} sh -c ${q(lines.join('\n'))}`;
}

export function parseSnapshot(text: string): HostSnapshot {
  const s: HostSnapshot = {
    daemons: 0,
    sysctl: {},
    sysctlSaved: false,
    vipOnLo: false,
    leftovers: [],
  };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const [k, v] = [line.slice(0, eq), line.slice(eq + 1)];
    if (k === 'config') {
      const [sha, ok] = v.split(' ');
      s.config = { sha256: sha, testOk: ok === 'ok' };
    } else if (k === 'install') {
      const [release, ok] = v.split(' ');
      s.install = { release, complete: ok === 'ok' };
    } else if (k === 'daemons') s.daemons = Number(v);
    else if (k.startsWith('sysctl.')) s.sysctl[k.slice(7)] = v;
    else if (k === 'saved') s.sysctlSaved = v === '1';
    else if (k === 'vip') s.vipOnLo = v === '1';
    else if (k === 'leftover') s.leftovers.push(v);
  }
  return s;
}

/** Whether the sysctls the target changes are all as before, all applied, or mixed. */
export function sysctlState(before: HostSnapshot, now: HostSnapshot, t: HostTarget) {
  const changed = Object.keys(t.sysctl).filter((k) => before.sysctl[k] !== t.sysctl[k]);
  const applied = changed.filter((k) => now.sysctl[k] === t.sysctl[k]);
  const asBefore = changed.filter((k) => now.sysctl[k] === before.sysctl[k]);
  const other = changed.filter((k) => !applied.includes(k) && !asBefore.includes(k));
  if (other.length || (applied.length && asBefore.length))
    return { state: 'mixed' as const, detail: changed.map((k) => `${k}=${now.sysctl[k]}`) };
  return { state: applied.length ? ('applied' as const) : ('before' as const), detail: [] };
}

/** Violations of the invariant after an interrupted deploy (empty: the host is whole). */
export function checkInterrupted(before: HostSnapshot, now: HostSnapshot, t: HostTarget): string[] {
  const v: string[] = [];
  if (now.config) {
    if (!now.config.testOk) v.push('config present but rejected by the config test');
    if (![before.config?.sha256, t.configSha256].includes(now.config.sha256))
      v.push('config is neither the one before nor the deployed one');
  } else if (before.config) v.push('config removed');
  if (now.install) {
    if (!now.install.complete) v.push(`install dir incomplete (release ${now.install.release})`);
    if (![before.install?.release, t.release].includes(now.install.release))
      v.push(`install dir points at ${now.install.release}, neither before nor deployed`);
  } else if (before.install) v.push('install dir removed');
  if (now.daemons > 1) v.push(`${now.daemons} daemons running`);
  if (before.daemons > 0 && now.daemons === 0) v.push('daemon left stopped');
  if (before.daemons === 0 && now.daemons > 0) {
    if (now.config?.sha256 !== t.configSha256) v.push('daemon started without the deployed config');
    if (!now.install?.complete) v.push('daemon started without a complete install');
  }
  const sc = sysctlState(before, now, t);
  if (sc.state === 'mixed') v.push(`sysctls half applied: ${sc.detail.join(' ')}`);
  if (sc.state === 'applied' && !now.sysctlSaved)
    v.push('sysctls applied, values before not saved');
  if (t.role === 'realserver' && now.vipOnLo && !before.vipOnLo && sc.state !== 'applied')
    v.push('VIP on lo before the ARP sysctls');
  const live = now.leftovers.filter((f) => !INERT.test(f));
  if (live.length) v.push(`leftovers: ${live.join(' ')}`);
  return v;
}

/** Violations of the deployed state after a deploy that finished. */
export function checkConverged(now: HostSnapshot, t: HostTarget): string[] {
  const v: string[] = [];
  if (t.role === 'director') {
    if (now.config?.sha256 !== t.configSha256 || !now.config?.testOk)
      v.push('config is not the deployed one');
    if (now.install?.release !== t.release || !now.install?.complete)
      v.push('install is not the deployed release');
    if (now.daemons !== 1) v.push(`${now.daemons} daemons running (want 1)`);
  } else if (!now.vipOnLo) v.push('VIP not on lo');
  const notApplied = Object.entries(t.sysctl).filter(([k, val]) => now.sysctl[k] !== val);
  if (notApplied.length) v.push(`sysctls not applied: ${notApplied.map(([k]) => k).join(' ')}`);
  if (Object.keys(t.sysctl).length && !now.sysctlSaved) v.push('values before not saved');
  if (now.leftovers.length) v.push(`leftovers: ${now.leftovers.join(' ')}`);
  return v;
}
