// What the suite does on each host, as data: steps with create/update/delete
// shell scripts (POSIX sh, idempotent) and the order between them. Pure, so
// the steps are unit-tested, run as they are over SSH by the lab e2e test,
// and mapped one-to-one to @pulumi/command remote.Command resources by the
// components.
import { shellQuote as q } from '../daemon/core/argv';
import { directorBirdSteps, routerSteps } from './bird-step';
import { closeLockFd, takeLock, writeInline } from './host-script';
import { installScripts } from './install-step';
import {
  debInstallScripts,
  keepalivedInstallScripts,
  PACKAGE_BIN,
  uploadPath,
} from './package-step';
import { paths, renderCluster, sha256, type HostFile } from './render';
import { HAS_SYSTEMD, sysctlStep, vipStep, type Step } from './step';
import { installMode, type ClusterSpec } from './spec';

/** What the install step ships: the bundle (on stdin) or our .deb (uploaded first). */
export type { Step, StepKind } from './step';

export type DaemonArtifact = { base64: string; sha256: string } | { deb: string; sha256: string };

/**
 * Write a config whose text is in the script itself (so a preview's diff shows
 * it) with its secrets as placeholders; the values come on stdin, one per
 * line, and are put back in on the host.
 */
export function writeMaskedFile(f: HostFile, masked: string, placeholders: string[]) {
  const eof = 'KEEPALIVE_CONF_EOF';
  if (masked.includes(eof)) throw new Error(`${f.path}: the rendered file contains ${eof}`);
  // each value ends with a newline: a line cut short (the client died while sending) fails the read
  const reads = placeholders.map(
    (_, i) =>
      `IFS= read -r KEEPALIVE_SECRET_${i} || { echo "${f.path}: secret ${i + 1} of ${placeholders.length} missing on stdin" >&2; exit 1; }`,
  );
  // awk index/substr, not gsub/sed: a secret's characters are never special
  const subst = placeholders
    .map(
      (ph, i) =>
        `while ((i = index($0, ${JSON.stringify(ph)})) > 0) $0 = substr($0, 1, i - 1) ENVIRON["KEEPALIVE_SECRET_${i}"] substr($0, i + ${ph.length});`,
    )
    .join(' ');
  const env = placeholders
    .map((_, i) => `KEEPALIVE_SECRET_${i}="$KEEPALIVE_SECRET_${i}"`)
    .join(' ');
  return [
    ...reads,
    `mkdir -p "$(dirname ${q(f.path)})" && umask 077`,
    `${env ? `${env} ` : ''}awk '{ ${subst} print }' > ${q(f.path + '.new')} <<'${eof}'`,
    masked.endsWith('\n') ? masked.slice(0, -1) : masked,
    eof,
    `chmod ${f.mode.toString(8)} ${q(f.path + '.new')}`,
  ].join('\n');
}

/** The daemon's command line on a director, as the suite installed it. */
export function daemonCommand(c: ClusterSpec) {
  if (c.daemon !== 'keepalive-ts') return 'keepalived';
  return installMode(c) === 'package' ? PACKAGE_BIN : `node ${q(c.installDir)}/bin/keepalive-ts`;
}

/**
 * Shell snippets that run, stop and inspect the director daemon the way the
 * suite started it (shared by the config step, the failover verification and
 * the failover benchmark).
 */
export function daemonControl(c: ClusterSpec) {
  const ks = c.daemon === 'keepalive-ts';
  const p = paths(c);
  const pidfile = ks ? '/run/keepalive-ts.pid' : '/run/keepalived.pid';
  // keepalived forks a VRRP and a checker child; a crash takes all three (a child
  // left alive gets SIGTERM when the parent dies and leaves cleanly, with priority 0)
  const pidfiles = ks
    ? [pidfile]
    : [pidfile, '/run/keepalived-vrrp.pid', '/run/keepalived-checkers.pid'];
  // where the suite's start sends the daemon's log (keepalived logs to syslog)
  const logFile = ks ? '/run/keepalive-ts.log' : undefined;
  const start = ks
    ? `setsid ${daemonCommand(c)} -f ${q(p.config)} -n -l -p ${pidfile} > ${logFile} 2>&1 < /dev/null ${closeLockFd} &`
    : // without IPVS keepalived's checker cannot start and would take the daemon down: VRRP only
      `{ [ -e /proc/net/ip_vs ] || modprobe -q ip_vs 2>/dev/null || true; [ -e /proc/net/ip_vs ] && only= || only=--vrrp; keepalived $only -f ${q(p.config)} -p ${pidfile} -r /run/keepalived-vrrp.pid -c /run/keepalived-checkers.pid ${closeLockFd}; }`;
  const running = `[ -f ${pidfile} ] && kill -0 "$(cat ${pidfile})" 2>/dev/null`;
  return {
    pidfile,
    logFile,
    start,
    running,
    /** SIGTERM (a clean stop: priority-0 advert, VIPs released), waiting up to 10 s */
    stop: `if ${running}; then pid=$(cat ${pidfile}); kill -TERM "$pid"; i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; fi`,
    /** SIGTERM without waiting: the verifier times from this moment */
    signalStop: `kill -TERM "$(cat ${pidfile})"`,
    /** SIGKILL of every daemon process, as a crash would (VIPs stay configured) */
    // stopped first, so no process can react (respawn a child, leave cleanly) before the kill
    crash: `pids=$(cat ${pidfiles.join(' ')} 2>/dev/null); kill -STOP $pids 2>/dev/null; kill -KILL $pids 2>/dev/null; true`,
    /** the daemon's event backlog as JSON lines, each with its wallTime (keepalive-ts only) */
    events: ks ? `${daemonCommand(c)} events --control /run/keepalive-ts.sock` : undefined,
    /** machine-readable status (keepalive-ts only) */
    status: ks ? `${daemonCommand(c)} status --json --control /run/keepalive-ts.sock` : undefined,
    /** active-active: withdraw the director's VIP route (persisted) and announce it again */
    drain: ks
      ? `${daemonCommand(c)} drain --reason verify --control /run/keepalive-ts.sock`
      : undefined,
    undrain: ks ? `${daemonCommand(c)} undrain --control /run/keepalive-ts.sock` : undefined,
  };
}

/** The install step of one director, by daemon and install mode. */
function installStep(
  c: ClusterSpec,
  d: { name: string; ssh: string },
  artifact: DaemonArtifact | undefined,
): Step {
  const base = { kind: 'install' as const, host: d.name, ssh: d.ssh, after: [] };
  if (c.daemon !== 'keepalive-ts')
    return { ...base, ...keepalivedInstallScripts(d.name), hash: 'keepalived' };
  if (installMode(c) === 'package') {
    if (!artifact || !('deb' in artifact))
      throw new Error('keepalive: install: package needs the .deb (npm run package:deb)');
    return {
      ...base,
      ...debInstallScripts(d.name, artifact.sha256),
      upload: {
        file: artifact.deb,
        remotePath: uploadPath(artifact.sha256),
        sha256: artifact.sha256,
      },
      hash: artifact.sha256,
    };
  }
  if (artifact && !('base64' in artifact))
    throw new Error('keepalive: install: bundle needs the bundle, not a package');
  return {
    ...base,
    ...installScripts(d.name, c.installDir, artifact?.sha256 ?? ''),
    stdin: artifact?.base64 ?? '',
    stdinSecret: true,
    hash: artifact?.sha256 ?? '',
  };
}

/** Steps for one director: install, sysctls, config (test before activate, reload not restart). */
export function directorSteps(c: ClusterSpec, stack: string, artifact?: DaemonArtifact): Step[][] {
  const r = renderCluster(c, stack);
  const ks = c.daemon === 'keepalive-ts';
  const ctl = daemonControl(c);
  const pidfile = ctl.pidfile;
  const test = (file: string) => `${daemonCommand(c)} -t -f ${q(file)}`;
  const { start, running } = ctl;
  const birds = directorBirdSteps(c, stack);
  return r.directors.map((d) => {
    // still under the lock until the daemon has written its pid file: a re-run
    // waiting for the lock then reloads it instead of starting a second one
    const started = `i=0; until ${running}; do [ $i -lt 150 ] || { echo "${d.name}: the daemon did not start within 15 s" >&2; exit 1; }; sleep 0.1; i=$((i+1)); done`;
    const install = installStep(c, d, artifact);
    const sysctl = {
      ...sysctlStep(d.name, d.ssh, d.sysctl, `${c.configDir}/.sysctl-before-director`),
      after: [],
    };
    // active-active: the VIP on lo (every director forwards for it) and BIRD, before the daemon
    const vip = d.vipOnLo ? vipStep(d, d.vipOnLo, c.configDir, ['sysctl']) : undefined;
    const bird = birds.get(d.name);
    // install: package brings its own unit (the suite writes one only for the bundle)
    const pkg = ks && installMode(c) === 'package';
    const unit = ks && !pkg && d.unit ? d.unit : undefined;
    const config: Step = {
      kind: 'config',
      host: d.name,
      ssh: d.ssh,
      create: [
        'set -eu',
        takeLock(d.name),
        writeMaskedFile(
          d.config,
          d.maskedConfig,
          d.secrets.map((x) => x.placeholder),
        ),
        // never activate a config the daemon would reject
        `${test(d.config.path + '.new')} || { echo "${d.name}: rendered configuration rejected by the config test" >&2; rm -f ${q(d.config.path + '.new')}; exit 1; }`,
        `mv ${q(d.config.path + '.new')} ${q(d.config.path)}`,
        ...(unit || pkg
          ? [
              `if ${HAS_SYSTEMD}; then`,
              ...(unit ? [`  ${writeInline(unit)}`, '  systemctl daemon-reload'] : []),
              `  if systemctl is-active -q keepalive-ts; then systemctl reload keepalive-ts; else systemctl enable -q --now keepalive-ts; fi`,
              'else',
              `  if ${running}; then kill -HUP "$(cat ${pidfile})"; else`,
              `    ${start}`,
              `    ${started}`,
              '  fi',
              'fi',
            ]
          : [
              `if ${running}; then kill -HUP "$(cat ${pidfile})"; else`,
              `  ${start}`,
              `  ${started}`,
              'fi',
            ]),
      ].join('\n'),
      delete: [
        'set -u',
        takeLock(d.name),
        ...(unit
          ? [
              `if ${HAS_SYSTEMD} && [ -f ${q(unit.path)} ]; then systemctl disable -q --now keepalive-ts; rm -f ${q(unit.path)}; systemctl daemon-reload; fi; rm -f ${q(unit.path + '.new')}`,
            ]
          : []),
        // the package's unit: stopped and disabled here, removed with the package
        ...(pkg ? [`if ${HAS_SYSTEMD}; then systemctl disable -q --now keepalive-ts; fi`] : []),
        // SIGTERM: priority-0 advert, VIPs released, dataplane rules removed
        ctl.stop,
        `rm -f ${q(d.config.path)} ${q(d.config.path + '.new')} ${pidfile}`,
        `rmdir ${q(c.configDir)} 2>/dev/null || true`,
      ].join('\n'),
      stdin: d.secrets.map((x) => `${x.value}\n`).join(''),
      stdinSecret: true,
      after: [
        'install',
        'sysctl',
        ...(vip ? (['vip'] as const) : []),
        ...(bird ? (['bird'] as const) : []),
      ],
      // of the masked text: a hash of a short password in a known file is no secret
      hash: sha256(d.maskedConfig),
    };
    return [install, sysctl, ...(vip ? [vip] : []), ...(bird ? [bird] : []), config];
  });
}

/**
 * Every host's steps in deploy order: real servers (the VIP hidden from ARP
 * before any traffic), the upstream router (active-active, when managed), then
 * the directors. Undo in the reverse order.
 */
export function hostSteps(c: ClusterSpec, stack: string, artifact?: DaemonArtifact): Step[][] {
  return [
    ...realServerSteps(c, stack),
    ...routerSteps(c, stack),
    ...directorSteps(c, stack, artifact),
  ];
}

/** Steps for one real server: sysctls first, then the VIP on lo (persisted for boot). */
export function realServerSteps(c: ClusterSpec, stack: string): Step[][] {
  const r = renderCluster(c, stack);
  return r.realServers.map((s) => {
    const steps: Step[] = [];
    if (s.sysctl.content)
      steps.push(sysctlStep(s.name, s.ssh, s.sysctl, `${c.configDir}/.sysctl-before-realserver`));
    steps.push(
      vipStep(
        s,
        { script: s.vipScript, unit: s.unit },
        c.configDir,
        s.sysctl.content ? ['sysctl'] : [],
      ),
    );
    return steps;
  });
}
