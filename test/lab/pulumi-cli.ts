// The real Pulumi CLI for the engine tier: one stack, its own file backend,
// run from a lab's ops namespace like an operator's workstation. Finds the
// engine with scripts/pulumi-engine.sh (tests skip with its one-line reason).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { engineBin, pulumiEnv, REPO } from '../../scripts/lab/deploy';
import { recoverStack, type RecoveryStep } from '../../scripts/lab/engine-recovery';
import type { Lab } from '../../scripts/lab/lab';

/** The engine's bin folder, or the reason there is none (scripts/pulumi-engine.sh's one line). */
export function findEngine(opts: { yaml?: boolean } = {}): { bin: string } | { reason: string } {
  try {
    return { bin: engineBin(opts) };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

export interface PreviewStep {
  op: string;
  urn: string;
}

type Doc = { config: Record<string, Record<string, unknown>>; encryptionsalt?: string };

export class PulumiCli {
  /** the stack's own state backend and nothing else */
  readonly home = mkdtempSync(path.join(tmpdir(), 'kts-pulumi-'));
  readonly stackFile: string;
  /** everything the engine printed (searched for secrets) */
  readonly transcript: string[] = [];

  constructor(
    readonly lab: Lab,
    readonly stack: string,
    private readonly bin: string,
    /** the Pulumi project's folder under the repository (stacks/yaml: the YAML program) */
    readonly project = '.',
  ) {
    this.stackFile = path.join(REPO, 'stacks', `Pulumi.${stack}.yaml`);
  }

  get env(): NodeJS.ProcessEnv {
    return pulumiEnv(this.bin, path.join(this.home, 'state'), 'e2e');
  }

  run(args: readonly string[], input?: string) {
    const r = spawnSync(
      'ip',
      [
        ...['netns', 'exec', this.lab.topo.opsNs, 'pulumi'],
        ...args,
        ...['--stack', this.stack, '--non-interactive'],
      ],
      {
        cwd: path.join(REPO, this.project),
        env: this.env,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        timeout: 600_000,
        input,
      },
    );
    this.transcript.push(r.stdout ?? '', r.stderr ?? '');
    return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
  }

  ok(args: readonly string[], input?: string): string {
    const r = this.run(args, input);
    if (r.code !== 0) {
      // the engine's own summary of what failed, not the tail of the outputs
      const diag = /\nDiagnostics:\n[\s\S]*?(?=\n(?:Outputs|Resources):|$)/.exec(r.out)?.[0];
      throw new Error(
        `pulumi ${args.join(' ')}: exit ${r.code}\n${(diag ?? r.out).slice(-6000)}\n${r.err.slice(-3000)}`,
      );
    }
    return r.out;
  }

  /** clear what a killed run left (stale lock, pending operations), as the lab tooling does */
  recover(): RecoveryStep[] {
    return recoverStack(path.join(this.home, 'state'), 'keepalive', this.stack, (args) =>
      this.ok(args.filter((a, i) => a !== '--stack' && args[i - 1] !== '--stack')),
    );
  }

  /** what a preview would change (steps other than `same`) */
  changes(): PreviewStep[] {
    const j = JSON.parse(this.ok(['preview', '--json', '--diff'])) as { steps?: PreviewStep[] };
    return (j.steps ?? []).filter((s) => s.op !== 'same');
  }

  /**
   * `stack init`, then the lab stack's declaration for this lab (its key
   * files), changed by `edit`; the encryption salt init wrote is kept.
   */
  init(edit: (c: Record<string, unknown>) => void = () => {}) {
    this.ok(['stack', 'init']);
    const doc = parse(readFileSync(path.join(REPO, 'stacks/Pulumi.lab.yaml'), 'utf8')) as Doc;
    doc.encryptionsalt = (parse(readFileSync(this.stackFile, 'utf8')) as Doc).encryptionsalt;
    const c = doc.config['keepalive:cluster'];
    c.ssh = { privateKeyFile: this.lab.clientKey, knownHostsFile: this.lab.knownHosts };
    edit(c);
    writeFileSync(this.stackFile, stringify(doc));
  }

  /**
   * init with the declaration's secrets set as an operator would: the VRRP
   * password and the lab's SSH key as Pulumi secrets (no key file, known_hosts kept)
   */
  initWithSecrets(password: string) {
    this.init((c) => {
      delete c.authPass;
      c.ssh = { knownHostsFile: this.lab.knownHosts };
    });
    this.ok(['config', 'set', '--secret', '--path', 'keepalive:cluster.authPass', password]);
    this.ok(
      ['config', 'set', '--secret', '--path', 'keepalive:cluster.ssh.privateKey'],
      readFileSync(this.lab.clientKey, 'utf8'),
    );
  }

  /** the base64 body of the lab's SSH key (searched for in state and output) */
  keyBody(): string {
    return readFileSync(this.lab.clientKey, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
  }

  /** change the declaration in place (encrypted secrets stay as they are) */
  edit(mutate: (c: Record<string, unknown>) => void) {
    const doc = parse(readFileSync(this.stackFile, 'utf8')) as Doc;
    mutate(doc.config['keepalive:cluster']);
    writeFileSync(this.stackFile, stringify(doc));
  }

  /** destroy what is left, remove the stack file and the backend */
  dispose() {
    try {
      this.run(['destroy', '--yes', '--skip-preview']);
    } finally {
      rmSync(this.stackFile, { force: true });
      rmSync(this.home, { recursive: true, force: true });
    }
  }
}

/** a resource's name from its URN */
export const resourceName = (s: PreviewStep) => s.urn.split('::').pop()!;

/** the remote host steps a preview would change, by name, sorted */
export const remoteSteps = (changes: PreviewStep[]) =>
  changes
    .filter((s) => s.urn.includes('command:remote:Command'))
    .map(resourceName)
    .sort();

/** `stack output failover`: the verification passed and ran the steps matching `expected` */
export function assertVerificationPassed(json: string, expected: RegExp[]) {
  const failover = JSON.parse(json) as { verdict: string; steps: { name: string }[] };
  if (failover.verdict !== 'pass') throw new Error(`verdict ${JSON.stringify(failover)}`);
  const names = failover.steps.map((s) => s.name);
  for (const n of expected)
    if (!names.some((x) => n.test(x))) throw new Error(`no step ${n} in ${names.join(' | ')}`);
}
