// Running the suite's host steps (components/plan.ts) directly over SSH,
// exactly as remote.Command runs them: the script as the remote command,
// contents on stdin, host keys pinned, from the lab's ops namespace. Used by
// the e2e tests and by `npm run lab` when the Pulumi engine is unavailable.
import { readFileSync } from 'node:fs';
import { shellQuote as q } from '../../daemon/core/argv';
import type { Step } from '../../components/plan';
import type { Lab } from './lab';

export interface SshRunOptions {
  /** aborting kills the ssh client (with `killSignal`), as an operator's ^C or a crash would */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
}

export async function sshRun(
  lab: Lab,
  host: string,
  script: string,
  stdin = '',
  opts: SshRunOptions = {},
): Promise<string> {
  const r = await lab.exec('ops', ['ssh', '-F', lab.sshConfig, host, script], {
    input: stdin,
    timeoutMs: 120_000,
    ...opts,
  });
  if (r.code !== 0) throw new Error(`${host}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Create: each host's steps in order; delete: in reverse. `onStep` hears each step as it starts. */
export async function applySteps(
  lab: Lab,
  steps: Step[][],
  which: 'create' | 'delete',
  opts: SshRunOptions & { onStep?: (s: Step) => void } = {},
) {
  const { onStep, ...ssh } = opts;
  for (const hostSteps of steps) {
    const ordered = which === 'create' ? hostSteps : [...hostSteps].reverse();
    for (const s of ordered) {
      onStep?.(s);
      // what remote.CopyToRemote does under the engine (SFTP): the file, before the step
      if (s.upload && which === 'create') {
        const dir = s.upload.remotePath.replace(/\/[^/]+$/, '');
        await sshRun(
          lab,
          s.host,
          `mkdir -p ${q(dir)} && base64 -d > ${q(s.upload.remotePath)}`,
          readFileSync(s.upload.file).toString('base64'),
          ssh,
        );
      }
      await sshRun(lab, s.host, s[which], s.stdin ?? '', ssh);
    }
  }
}
