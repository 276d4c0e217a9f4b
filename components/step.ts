// A host step as data, and the building blocks shared by the hosts' plans
// (plan.ts: directors and real servers; bird-step.ts: BIRD and the upstream
// router): kernel settings with the previous values kept, and the VIP on lo.
import { shellQuote as q } from '../daemon/core/argv';
import { takeLock, writeInline, writeVerified } from './host-script';
import type { PackageUpload } from './package-step';
import { sha256, type HostFile } from './render';

/**
 * What a step does; unique per host, and the last part of its resource name.
 * - install: the daemon onto a director (its own DaemonInstall component)
 * - sysctl: kernel settings, with the previous values kept for delete
 * - config: the director's keepalived.conf, tested, then a reload (its hash
 *   is the deployment's fingerprint: a change re-runs the failover check)
 * - vip: the VIP on a real server's loopback (active-active: on every director's too)
 * - bird: BIRD 2 (active-active: on every director and on the upstream router)
 */
export type StepKind = 'install' | 'sysctl' | 'config' | 'vip' | 'bird';

export interface Step {
  kind: StepKind;
  host: string;
  /** SSH address */
  ssh: string;
  create: string;
  /** runs when inputs change; defaults to create */
  update?: string;
  delete: string;
  /** piped to the scripts (file contents, the daemon bundle, secret values) */
  stdin?: string;
  /**
   * stdin stays out of plaintext state and diffs: secret values, and the
   * multi-megabyte bundle (whose hash the script names, so diffs show it)
   */
  stdinSecret?: boolean;
  /** a file copied to the host before the step runs (our .deb) */
  upload?: PackageUpload;
  /** steps on the same host that must finish first */
  after: StepKind[];
  /** changes to these values re-run the step */
  hash: string;
}

export const HAS_SYSTEMD = '[ -d /run/systemd/system ] && command -v systemctl >/dev/null';

/**
 * Apply a sysctl file, saving the previous values of exactly its keys once,
 * so delete can put them back. Never `sysctl --system` (non-net keys are global).
 */
export function sysctlStep(host: string, ssh: string, f: HostFile, prev: string): Step {
  const create = [
    'set -eu',
    takeLock(host),
    writeVerified(host, f, sha256(f.content)),
    `mkdir -p "$(dirname ${q(prev)})"`,
    // saved once, before anything is applied, and renamed in only when complete: an
    // interrupted save is redone; a complete one is never overwritten by applied values
    `if [ ! -f ${q(prev)} ]; then`,
    `  for k in $(grep -v '^#' ${q(f.path + '.new')} | cut -d= -f1 | tr -d ' '); do echo "$k=$(sysctl -n "$k")"; done > ${q(prev + '.new')}`,
    `  mv ${q(prev + '.new')} ${q(prev)}`,
    'fi',
    `mv ${q(f.path + '.new')} ${q(f.path)}`,
    `sysctl -q -p ${q(f.path)}`,
  ].join('\n');
  const del = [
    'set -eu',
    takeLock(host),
    `rm -f ${q(prev + '.new')} ${q(f.path + '.new')}`,
    `if [ -f ${q(prev)} ]; then while IFS= read -r kv; do [ -n "$kv" ] && sysctl -q -w "$kv"; done < ${q(prev)}; rm -f ${q(prev)}; fi`,
    `rm -f ${q(f.path)}`,
    // the folder of the saved values, when nothing else is left in it
    `rmdir "$(dirname ${q(prev)})" 2>/dev/null || true`,
  ].join('\n');
  return {
    kind: 'sysctl',
    host,
    ssh,
    create,
    delete: del,
    stdin: f.content,
    after: [],
    hash: sha256(f.content),
  };
}

/** The VIP on a host's loopback (LVS-DR), persisted for boot by a unit where systemd runs. */
export function vipStep(
  h: { name: string; ssh: string },
  f: { script: HostFile; unit: HostFile },
  configDir: string,
  after: StepKind[],
): Step {
  return {
    kind: 'vip',
    host: h.name,
    ssh: h.ssh,
    create: [
      'set -eu',
      takeLock(h.name),
      writeVerified(h.name, f.script, sha256(f.script.content)),
      `mv ${q(f.script.path + '.new')} ${q(f.script.path)}`,
      `${q(f.script.path)} up`,
      `if ${HAS_SYSTEMD}; then ${writeInline(f.unit)}; systemctl daemon-reload; systemctl enable -q keepalive-vip-lo; fi`,
    ].join('\n'),
    delete: [
      'set -u',
      takeLock(h.name),
      `if ${HAS_SYSTEMD} && [ -f ${q(f.unit.path)} ]; then systemctl disable -q keepalive-vip-lo; rm -f ${q(f.unit.path)}; systemctl daemon-reload; fi`,
      `if [ -x ${q(f.script.path)} ]; then ${q(f.script.path)} down; fi`,
      `rm -f ${q(f.script.path)} ${q(f.script.path + '.new')} ${q(f.unit.path + '.new')}`,
      `rmdir ${q(configDir)} 2>/dev/null || true`,
    ].join('\n'),
    stdin: f.script.content,
    after,
    hash: sha256(f.script.content + f.unit.content),
  };
}
