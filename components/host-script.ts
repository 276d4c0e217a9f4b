// Building blocks of the host steps' shell scripts that make an interrupted
// deploy harmless (see plan.ts). A step's client (ssh, or the command provider
// under `pulumi up`) may die at any moment. Without a pty sshd sends the
// remote shell no signal when its client goes away: the script runs on with
// closed pipes, so it only notices at a read of stdin (EOF) or a write to
// stdout/stderr (SIGPIPE). Hence three rules:
// - every input is read completely and verified before anything changes;
// - every change is one rename (or a re-runnable command), so the host is in
//   a valid state at every line and a re-run picks up where a run stopped;
// - runs on one host are serialized by a lock, so a run still going on the
//   host after its client died never interleaves with the re-run.
import { shellQuote as q } from '../daemon/core/argv';
import type { HostFile } from './render';

/** The per-host lock every step takes (tmpfs: a reboot drops it, as it drops every run). */
export const DEPLOY_LOCK = '/run/keepalive-deploy.lock';
/** How long a step waits for an earlier run on the host to finish. */
export const LOCK_WAIT_S = 120;

/**
 * Take the host's deploy lock on fd 9 (held until the script exits). A
 * daemon started by the script must not inherit fd 9 (it would hold the lock
 * for its lifetime): see `closeLockFd`.
 */
export const takeLock = (host: string) =>
  `exec 9>${DEPLOY_LOCK}; flock -w ${LOCK_WAIT_S} 9 || { echo "${host}: another deploy step has held ${DEPLOY_LOCK} for ${LOCK_WAIT_S} s" >&2; exit 1; }`;

/** Redirection for a long-lived process started under the lock. */
export const closeLockFd = '9>&-';

/**
 * Write stdin to `path.new` with `mode` and check it is complete (its sha256
 * is `sha`): a client killed while sending leaves a short file, which is
 * removed instead of activated. Rename into place separately.
 */
export function writeVerified(host: string, f: HostFile, sha: string) {
  const tmp = q(f.path + '.new');
  return [
    `mkdir -p "$(dirname ${q(f.path)})" && umask 077 && cat > ${tmp} && chmod ${f.mode.toString(8)} ${tmp}`,
    `echo "${sha}  ${f.path}.new" | sha256sum -c --status - || { rm -f ${tmp}; echo "${host}: ${f.path}: incomplete input on stdin" >&2; exit 1; }`,
  ].join('\n');
}

/** Write `content` (in the script itself) to `path` atomically: `.new`, then a rename. */
export const writeInline = (f: HostFile) =>
  `printf '%s' ${q(f.content)} > ${q(f.path + '.new')} && chmod ${f.mode.toString(8)} ${q(f.path + '.new')} && mv ${q(f.path + '.new')} ${q(f.path)}`;
