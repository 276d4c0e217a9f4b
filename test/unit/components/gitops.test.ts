// The example GitOps workflow is valid YAML with the shape it promises.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { commandLine, PULUMI_COMMANDS } from '../../../components/gitops';

describe('example GitOps workflow', () => {
  const wf = parse(
    readFileSync(path.resolve(__dirname, '../../../../examples/github-workflow.yml'), 'utf8'),
  ) as {
    on: { pull_request: unknown; push: { branches: string[] } };
    jobs: Record<
      string,
      {
        if: string;
        strategy: { matrix: { stack: string[] } };
        steps: { run?: string; with?: Record<string, string> }[];
      }
    >;
  };

  it('previews on pull requests with the rendered config diff, per environment', () => {
    assert.ok(wf.on.pull_request);
    const p = wf.jobs.preview;
    assert.match(p.if, /pull_request/);
    assert.deepEqual(p.strategy.matrix.stack, ['staging', 'production']);
    assert.ok(
      p.steps.some((s) => s.run?.includes('npm run render -- --stack ${{ matrix.stack }}')),
    );
    assert.ok(p.steps.some((s) => s.run?.startsWith(commandLine(PULUMI_COMMANDS.preview))));
  });

  it('runs up on merge to main, one environment at a time', () => {
    assert.deepEqual(wf.on.push.branches, ['main']);
    const u = wf.jobs.up as unknown as {
      if: string;
      strategy: { 'max-parallel': number };
      steps: { with?: Record<string, string> }[];
    };
    assert.match(u.if, /push/);
    assert.equal(u.strategy['max-parallel'], 1);
    assert.ok(
      (u.steps as { run?: string }[]).some((s) => s.run === commandLine(PULUMI_COMMANDS.up)),
    );
  });

  it('runs exactly the pulumi commands the engine tier proves, each of them', () => {
    const runs = Object.values(wf.jobs)
      .flatMap((j) => j.steps)
      .flatMap((s) => (s.run ?? '').split('\n'))
      .filter((l) => /^\s*pulumi /.test(l))
      .map((l) => l.trim().replace(/\s*\|.*$/, ''));
    const proven = Object.values(PULUMI_COMMANDS).map((c) => commandLine(c));
    assert.ok(runs.length >= 4, runs.join('\n'));
    for (const r of runs) assert.ok(proven.includes(r), `${r} is not one of the proven commands`);
    for (const p of proven) assert.ok(runs.includes(p), `${p} is not in the workflow`);
  });
});
