// Running the suite's host steps (components/plan.ts) directly over SSH,
// exactly as remote.Command runs them: the script as the remote command,
// contents on stdin, host keys pinned, from the lab's ops namespace. Used by
// the e2e tests and by `npm run lab` when the Pulumi engine is unavailable.
import type { Step } from '../../components/plan';
import type { Lab } from './lab';

export async function sshRun(lab: Lab, host: string, script: string, stdin = ''): Promise<string> {
  const r = await lab.exec('ops', ['ssh', '-F', lab.sshConfig, host, script], {
    input: stdin,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`${host}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Create: each host's steps in order; delete: in reverse. */
export async function applySteps(lab: Lab, steps: Step[][], which: 'create' | 'delete') {
  for (const hostSteps of steps) {
    const ordered = which === 'create' ? hostSteps : [...hostSteps].reverse();
    for (const s of ordered) await sshRun(lab, s.host, s[which], s.stdin ?? '');
  }
}
