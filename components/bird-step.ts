// BIRD 2 on a host (active-active): on every director (it announces the VIP,
// keepalive-ts toggles the announcement through its control socket) and on
// the upstream router when the suite manages it (bgp.router.ssh). Pure: steps
// as data, like plan.ts. What the step found is recorded once, before its first
// change, so delete puts the host back exactly: Debian's bird2 purged only if
// the suite installed it, the previous bird.conf restored (or removed when
// there was none), a BIRD that ran before left running (on its old config),
// one the suite started stopped.
import * as path from 'node:path';
import { shellQuote as q } from '../daemon/core/argv';
import { closeLockFd, takeLock, writeVerified } from './host-script';
import { DIRS, installed, recordPrior, removeIfOurs, type HostDirs } from './package-step';
import { sha256, type HostFile } from './render';
import { renderBgp } from './render-bgp';
import { managedRouter, type ClusterSpec } from './spec';
import { HAS_SYSTEMD, sysctlStep, type Step } from './step';

/** Debian's BIRD 2 package, and the paths its systemd unit uses. */
export const BIRD_PACKAGE = 'bird2';
const DEBIAN_CONF = '/etc/bird/bird.conf';
const DEBIAN_SOCKET = '/run/bird/bird.ctl';

/** Where BIRD runs from on a host: its config file and control socket. */
export interface BirdPaths {
  config: string;
  socket: string;
}

/** The pid file of a BIRD the suite starts itself (no systemd, or non-Debian paths). */
export const birdPidFile = (socket: string) => `${path.posix.dirname(socket)}/bird.pid`;

/** systemd drop-in of keepalive-ts on an active-active director. */
export const BIRD_DROPIN = '/etc/systemd/system/keepalive-ts.service.d/10-bgp.conf';

/**
 * What keepalive-ts's unit needs on an active-active director, as a drop-in:
 * - BIRD's socket group: Debian's BIRD makes bird.ctl bird:bird 0660 and the
 *   unit keeps no CAP_DAC_OVERRIDE, so root alone cannot connect;
 * - the VIP withdrawn whenever the daemon is gone (crash, kill, stop): BIRD
 *   would otherwise go on announcing for a director nobody checks. A
 *   restarted daemon announces again once it can serve.
 * Written only when it changes; a running daemon is restarted then (groups
 * are fixed at exec).
 */
export function daemonDropIn(socket: string, protocol: string, dropIn = BIRD_DROPIN) {
  const d = q(dropIn);
  return {
    create: [
      `g=$(stat -c %G ${q(socket)} 2>/dev/null || echo root)`,
      'groups=; if [ "$g" != root ]; then groups="SupplementaryGroups=$g"; fi',
      'birdc=$(command -v birdc || echo /usr/sbin/birdc)',
      `want=$(printf '[Service]\\n# BIRD control socket %s: its group may connect\\n%s\\n# the daemon gone: withdraw the VIP\\nExecStopPost=-%s -s %s disable %s\\n' ${q(socket)} "$groups" "$birdc" ${q(socket)} ${q(protocol)})`,
      `if [ "$(cat ${d} 2>/dev/null)" != "$want" ]; then`,
      `  mkdir -p ${q(path.posix.dirname(dropIn))} && printf '%s\\n' "$want" > ${d}`,
      '  systemctl daemon-reload && systemctl try-restart keepalive-ts',
      'fi',
    ].join('\n'),
    delete: `if [ -f ${d} ]; then rm -f ${d}; rmdir ${q(path.posix.dirname(dropIn))} 2>/dev/null; systemctl daemon-reload; fi`,
  };
}

/**
 * The create and delete scripts of the BIRD step on `host`; `director`: the
 * protocol keepalive-ts toggles there (its unit gets daemonDropIn).
 */
export function birdScripts(
  host: string,
  conf: HostFile,
  socket: string,
  dirs: HostDirs = DIRS,
  director?: { protocol: string },
) {
  const access = director ? daemonDropIn(socket, director.protocol) : undefined;
  const file = q(conf.path);
  const fresh = q(conf.path + '.new');
  const sock = q(socket);
  const pidfile = q(birdPidFile(socket));
  const rec = (n: string) => q(`${dirs.state}/bird.${n}`);
  const up = `birdc -s ${sock} show status >/dev/null 2>&1`;
  // Debian's unit reads /etc/bird/bird.conf and listens on /run/bird/bird.ctl: only then is it ours to use
  const unit =
    conf.path === DEBIAN_CONF && socket === DEBIAN_SOCKET
      ? `${HAS_SYSTEMD} && systemctl cat bird >/dev/null 2>&1`
      : 'false';
  const create = [
    'set -eu',
    `# bird.conf sha256 ${sha256(conf.content)}`,
    takeLock(host),
    recordPrior(BIRD_PACKAGE, dirs),
    // the host as found, once: was BIRD running, was there a config (kept for delete)
    `if [ ! -f ${rec('recorded')} ]; then`,
    `  rm -f ${rec('was-running')} ${rec('conf-before')} ${rec('conf-absent')}`,
    `  if ${up}; then touch ${rec('was-running')}; fi`,
    `  if [ -f ${file} ]; then cp -p ${file} ${rec('conf-before')}; else touch ${rec('conf-absent')}; fi`,
    `  touch ${rec('recorded')}`,
    'fi',
    `${installed(BIRD_PACKAGE)} || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${BIRD_PACKAGE} >/dev/null || { echo "${host}: apt-get install ${BIRD_PACKAGE} failed" >&2; exit 1; }`,
    writeVerified(host, conf, sha256(conf.content)),
    // never activate a config BIRD would reject
    `bird -p -c ${fresh} || { echo "${host}: ${conf.path}: rejected by bird -p" >&2; rm -f ${fresh}; exit 1; }`,
    // Debian's unit runs BIRD as user bird: it must read the file
    `if getent group bird >/dev/null; then chgrp bird ${fresh}; fi`,
    `mv ${fresh} ${file}`,
    `mkdir -p ${q(path.posix.dirname(socket))}`,
    // running: a reconfigure (sessions stay up); else start it, under systemd when there is one
    `if ${up}; then`,
    `  out=$(birdc -s ${sock} configure ${q(`"${conf.path}"`)})`,
    `  case "$out" in *Reconfigur*) ;; *) echo "${host}: birdc configure: $out" >&2; exit 1;; esac`,
    `elif ${unit}; then`,
    '  systemctl enable -q bird && systemctl restart bird',
    'else',
    `  bird -c ${file} -s ${sock} -P ${pidfile} ${closeLockFd}`,
    'fi',
    `i=0; until ${up}; do [ $i -lt 100 ] || { echo "${host}: BIRD not answering on ${socket} within 10 s" >&2; exit 1; }; sleep 0.1; i=$((i+1)); done`,
    ...(access ? [`if ${HAS_SYSTEMD}; then`, access.create, 'fi'] : []),
  ].join('\n');
  const restoreConf = [
    `if [ -f ${rec('conf-before')} ]; then mv ${rec('conf-before')} ${file}; elif [ -f ${rec('conf-absent')} ]; then rm -f ${file}; fi`,
    `rm -f ${fresh}`,
  ];
  const del = [
    'set -u',
    takeLock(host),
    `if [ -f ${rec('was-running')} ]; then`,
    // it ran before the suite: it goes on, with the config it had
    ...restoreConf.map((l) => `  ${l}`),
    `  if ${up}; then birdc -s ${sock} configure >/dev/null; fi`,
    'else',
    `  if ${unit} && systemctl is-active -q bird; then systemctl disable -q --now bird; fi`,
    `  if [ -f ${pidfile} ]; then pid=$(cat ${pidfile}); kill -TERM "$pid" 2>/dev/null; i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; rm -f ${pidfile}; fi`,
    ...restoreConf.map((l) => `  ${l}`),
    'fi',
    `rm -f ${rec('was-running')} ${rec('conf-absent')} ${rec('recorded')}`,
    ...(access ? [`if ${HAS_SYSTEMD}; then ${access.delete}; fi`] : []),
    removeIfOurs(BIRD_PACKAGE, dirs),
  ].join('\n');
  return { create, delete: del };
}

/** The BIRD step of one host. */
export function birdStep(
  h: { name: string; ssh: string },
  conf: HostFile,
  socket: string,
  after: Step['after'] = [],
  director?: { protocol: string },
): Step {
  return {
    kind: 'bird',
    host: h.name,
    ssh: h.ssh,
    ...birdScripts(h.name, conf, socket, DIRS, director),
    stdin: conf.content,
    after,
    hash: sha256(conf.content),
  };
}

/**
 * The upstream router's steps, when the suite manages it (bgp.router.ssh):
 * ECMP sysctls first (forwarding, L4 hashing), then BIRD with a session per director.
 */
export function routerSteps(c: ClusterSpec, stack: string): Step[][] {
  const router = managedRouter(c);
  const bgp = renderBgp(c, stack);
  if (!router || !bgp || !c.bgp) return [];
  const sysctl = sysctlStep(
    router.name,
    router.ssh,
    bgp.router.sysctl,
    `${DIRS.state}/sysctl-before-router`,
  );
  return [[sysctl, birdStep(router, bgp.router.bird, c.bgp.controlSocket, ['sysctl'])]];
}

/** Each director's BIRD step by name (active-active; none for a pair). */
export function directorBirdSteps(c: ClusterSpec, stack: string): Map<string, Step> {
  const bgp = renderBgp(c, stack);
  const out = new Map<string, Step>();
  if (!bgp || !c.bgp) return out;
  for (const d of bgp.directors)
    out.set(
      d.name,
      birdStep(d, d.bird, c.bgp.controlSocket, [], { protocol: c.bgp.announceProtocol }),
    );
  return out;
}
