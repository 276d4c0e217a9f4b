// The pulumi commands of the GitOps flow, defined once: the engine tier
// (test/lab/engine.test.ts) runs exactly these against the lab, and the
// example workflow (examples/github-workflow.yml) runs exactly these per
// environment (a unit test checks that it does).
export const PULUMI_COMMANDS = {
  /** pull request: what would change, with each host file's text diff (secrets masked) */
  preview: ['preview', '--diff'],
  /** merge: apply, ending with the failover verification (FailoverCheck) */
  up: ['up', '--yes', '--skip-preview'],
  /** after merge: the verification's verdict */
  verdict: ['stack', 'output', 'failover', '--json'],
  /** scheduled: the hosts still match the state */
  drift: ['refresh', '--yes', '--skip-preview', '--expect-no-changes'],
} as const;

/** As a command line for a workflow step (the stack and --non-interactive appended). */
export const commandLine = (args: readonly string[], stack = '${{ matrix.stack }}') =>
  `pulumi ${args.join(' ')} --stack ${stack} --non-interactive`;
