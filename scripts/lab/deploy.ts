// `npm run lab` after `up`: the real Pulumi engine deploys stack `lab` from
// the ops namespace (never the root namespace), then a short summary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { daemonArtifact } from '../../components/bundle';
import { installed } from '../../components/package-step';
import { daemonCommand, hostSteps } from '../../components/plan';
import { directorViews, installMode, type ClusterSpec } from '../../components/spec';
import { projectRoot, readStackSpec } from '../../components/stack-file';
import { renderTable, type Report } from '../../verify/report';
import { activeActiveSummary, waitForEcmp } from './deploy-aa';
import { applySteps } from './direct';
import { recoverStack } from './engine-recovery';
import type { Lab } from './lab';
import { auditLabSecrets } from './secret-audit';
import { waitFor } from './sys';

export const REPO = projectRoot();

/**
 * The engine's bin folder (scripts/pulumi-engine.sh: a Pulumi v3 CLI with its
 * nodejs language host and the command provider). Throws with the script's
 * one-line reason when there is none.
 */
export function engineBin(opts: { yaml?: boolean } = {}): string {
  const flags = opts.yaml ? ['--yaml'] : [];
  const r = spawnSync('bash', [path.join(REPO, 'scripts/pulumi-engine.sh'), ...flags], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // progress (a first-time build of the CLI) is worth showing; the refusal is the last line
  const lines = (r.stderr ?? '').trim().split('\n').filter(Boolean);
  if (r.status !== 0)
    throw new Error(
      `no Pulumi engine: ${(lines.pop() ?? `exit ${r.status}`).replace(/^pulumi-engine: /, '')}`,
    );
  for (const l of lines) console.error(l);
  return r.stdout.trim();
}

/** How the lab's stack was last deployed (so destroy undoes it the same way). */
const deployedBy = (lab: Lab) => path.join(lab.dir, 'deployed-by');

/**
 * The engine's environment: its bin folder first on PATH, a local file backend
 * (default the lab's `.pulumi-state/`) and its passphrase.
 */
export function pulumiEnv(
  bin: string,
  state = path.join(REPO, '.pulumi-state'),
  // the lab's state is local and throwaway; real stacks set their own passphrase or a KMS
  passphrase = process.env.PULUMI_CONFIG_PASSPHRASE ??
    process.env.KEEPALIVE_LAB_PASSPHRASE ??
    'keepalive-lab',
): NodeJS.ProcessEnv {
  mkdirSync(state, { recursive: true });
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    // the command provider is in the plugin cache (scripts/pulumi-engine.sh put it there)
    PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
  };
}

/** Run pulumi inside the lab's ops namespace; throws with its output on failure. */
export function pulumi(
  lab: Lab,
  env: NodeJS.ProcessEnv,
  args: string[],
  opts: { capture?: boolean } = {},
): string {
  const r = spawnSync('ip', ['netns', 'exec', lab.topo.opsNs, 'pulumi', ...args], {
    cwd: REPO,
    env,
    encoding: 'utf8',
    stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(
      `pulumi ${args.join(' ')} failed (exit ${r.status})${opts.capture ? `:\n${r.stdout}\n${r.stderr}` : ''}`,
    );
  return r.stdout ?? '';
}

/** A killed earlier run's stale lock and pending operations, cleared (engine-recovery.ts). */
function recoverLabStack(lab: Lab, env: NodeJS.ProcessEnv, log: (s: string) => void) {
  const state = (env.PULUMI_BACKEND_URL ?? '').replace(/^file:\/\//, '');
  const did = recoverStack(state, 'keepalive', lab.stack, (args) =>
    pulumi(lab, env, [...args, '--non-interactive'], { capture: true }),
  );
  if (did.length) log(`recovered from an interrupted run: ${did.join(', ')}`);
}

export interface DeployOptions {
  /** the lab stack's declaration with this install mode (a copy in the lab folder) */
  install?: 'bundle' | 'package';
}

/** The lab stack's declaration as deployed: the repo's, or a copy with `install` set. */
function labStackFor(lab: Lab, o: DeployOptions): { spec: ClusterSpec; dir?: string } {
  if (!o.install) return { spec: readStackSpec(lab.stack) };
  const dir = path.join(lab.dir, 'stack');
  mkdirSync(dir, { recursive: true });
  return { spec: writeLabStack(lab, dir, (c) => (c.install = o.install)), dir };
}

/**
 * The lab's directors share the build machine's packages, Debian's keepalived
 * among them, which our package conflicts with (as it would on a real host).
 * A stock director has none: purge it from each director's private /usr and
 * /var (hosts.ts: privateRoot), never from the machine.
 */
export async function withoutKeepalived(lab: Lab) {
  for (const h of lab.topo.hosts.filter((x) => x.privateRoot)) {
    const r = await lab.exec(h.name, [
      'sh',
      '-c',
      `if ${installed('keepalived')}; then DEBIAN_FRONTEND=noninteractive dpkg --purge keepalived >/dev/null; fi`,
    ]);
    if (r.code !== 0) throw new Error(`lab: ${h.name}: removing keepalived: ${r.stderr.trim()}`);
  }
}

export async function deploy(
  lab: Lab,
  log: (s: string) => void = console.log,
  o: DeployOptions = {},
) {
  const { spec, dir } = labStackFor(lab, o);
  if (spec.daemon === 'keepalive-ts' && installMode(spec) === 'package')
    await withoutKeepalived(lab);
  let bin: string;
  try {
    bin = engineBin();
  } catch (e) {
    log(
      `${(e as Error).message}; deploying the same host steps directly over SSH instead (no Pulumi state)`,
    );
    writeFileSync(deployedBy(lab), 'ssh\n');
    return deployDirect(lab, log, spec, dir);
  }
  const env = pulumiEnv(bin);
  const stack = lab.stack;
  pulumi(lab, env, ['stack', 'select', stack, '--create', '--non-interactive'], { capture: true });
  recoverLabStack(lab, env, log);
  writeFileSync(deployedBy(lab), 'pulumi\n');
  log(`pulumi up --stack ${stack}`);
  const t0 = Date.now();
  pulumi(lab, env, [
    ...['up', '--stack', stack, '--yes', '--non-interactive', '--skip-preview'],
    ...(dir ? ['--config-file', path.join(dir, `Pulumi.${stack}.yaml`)] : []),
  ]);
  log(`pulumi up took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const out = JSON.parse(
    pulumi(lab, env, ['stack', 'output', '--json', '--stack', stack], { capture: true }),
  ) as {
    vip: string;
    master: string;
    backups: string[];
    realServers: string[];
    failover?: Pick<Report, 'verdict' | 'steps'>;
  };
  if (spec.mode === 'active-active') {
    log(
      `gw routes the VIP over every director ${(await waitForEcmp(lab, spec)).toFixed(1)} s later`,
    );
    log(`VIP ${out.vip}, real servers ${out.realServers.join(', ')}`);
    log(await activeActiveSummary(lab, spec, ktsCommand(spec)));
    if (out.failover) log(`failover check: ${out.failover.verdict}`);
    return;
  }
  const status = await lab.exec(out.master, ['sh', '-c', `${ktsCommand(spec)} status`]);
  log(`VIP ${out.vip}, master ${out.master}, real servers ${out.realServers.join(', ')}`);
  log(status.stdout.trim());
  await logSecretAudit(lab, log, spec);
  // the FailoverCheck component's result (stack output `failover`)
  if (out.failover?.steps.length)
    log(
      renderTable({
        ...out.failover,
        stack: 'lab',
        daemon: 'keepalive-ts',
        startedAt: 'pulumi up',
        bounds: {},
      }),
    );
}

/** keepalive-ts's command line on the lab's directors, talking to the suite's control socket */
const ktsCommand = (spec: ClusterSpec) => `${daemonCommand(spec)} --control /run/keepalive-ts.sock`;
const hasVip = async (lab: Lab, host: string, vip: string) =>
  (await lab.exec(host, ['ip', '-o', '-4', 'addr'])).stdout.includes(` ${vip}/`);

/**
 * The post-deploy failover verification (verify) from the
 * lab's ops namespace, printing its table; returns its exit status.
 */
export function verifyFailover(lab: Lab, args: string[] = [], stacksDir?: string): number {
  const r = spawnSync(process.execPath, verifierArgv(lab, args, stacksDir), {
    cwd: REPO,
    stdio: 'inherit',
    timeout: 300_000,
  });
  return r.status ?? 2;
}

/**
 * The verifier CLI's arguments (after node) for the lab stack, from this lab's
 * ops namespace; with `stacksDir`, the declaration and the report live there.
 */
export function verifierArgv(lab: Lab, args: string[], stacksDir?: string): string[] {
  return [
    path.join(REPO, 'dist/verify/main.js'),
    ...['--stack', lab.stack, '--netns', lab.topo.opsNs],
    ...(stacksDir ? ['--stacks-dir', stacksDir, '--out', path.join(stacksDir, 'out')] : []),
    ...args,
  ];
}

/**
 * A copy of the lab stack's declaration in `dir` (as Pulumi.lab.yaml) with
 * this lab's client key and pinned host keys, changed by `edit`; returns its spec.
 */
export function writeLabStack(
  lab: Lab,
  dir: string,
  edit: (cluster: Record<string, any>) => void = () => {}, // eslint-disable-line @typescript-eslint/no-explicit-any
): ClusterSpec {
  const doc = parse(readFileSync(path.join(REPO, `stacks/Pulumi.${lab.stack}.yaml`), 'utf8'));
  const cluster = doc.config['keepalive:cluster'];
  cluster.ssh = { privateKeyFile: lab.clientKey, knownHostsFile: lab.knownHosts };
  edit(cluster);
  writeFileSync(path.join(dir, `Pulumi.${lab.stack}.yaml`), stringify(doc));
  return readStackSpec(lab.stack, dir);
}

/** Without the engine: the stack's host steps over SSH, then the same summary. */
export async function deployDirect(
  lab: Lab,
  log: (s: string) => void,
  spec = readStackSpec(lab.stack),
  stacksDir?: string,
) {
  const t0 = Date.now();
  await applySteps(lab, hostSteps(spec, lab.stack, daemonArtifact(spec)), 'create');
  log(`deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (spec.mode === 'active-active') {
    log(
      `gw routes the VIP over every director ${(await waitForEcmp(lab, spec)).toFixed(1)} s later`,
    );
    log(await activeActiveSummary(lab, spec, ktsCommand(spec)));
    // the verifier's active-active scenario: kill, drain and add a director
    if (spec.failoverCheck.enabled && verifyFailover(lab, [], stacksDir) !== 0)
      throw new Error('the active-active verification failed (table above)');
    return;
  }
  const views = directorViews(spec);
  const master = views.find((v) => v.state === 'MASTER')!.director.name;
  const vip = spec.vip.split('/')[0];
  await waitFor(`VIP on ${master}`, () => hasVip(lab, master, vip), 15_000, 50);
  await waitFor(
    'real servers in service',
    async () => {
      const st = JSON.parse(
        (await lab.exec(master, ['sh', '-c', `${ktsCommand(spec)} status --json`])).stdout || '{}',
      );
      return (st.virtualServers ?? []).every((v: { servers: { inService: boolean }[] }) =>
        v.servers.every((s) => s.inService),
      );
    },
    20_000,
    250,
  );
  const status = await lab.exec(master, ['sh', '-c', `${ktsCommand(spec)} status`]);
  log(
    `VIP ${spec.vip}, master ${master}, real servers ${spec.realServers.map((r) => r.name).join(', ')}`,
  );
  log(status.stdout.trim());
  if (spec.failoverCheck.enabled && verifyFailover(lab, [], stacksDir) !== 0)
    throw new Error('the failover verification failed (table above)');
  await logSecretAudit(lab, log, spec);
}

/** The deploy's last word: no secret readable where operators and monitoring look. */
async function logSecretAudit(lab: Lab, log: (s: string) => void, spec: ClusterSpec) {
  const { searched, exposures } = await auditLabSecrets(lab, spec);
  if (exposures.length)
    throw new Error(
      `secrets exposed: ${exposures.map((e) => `${e.secret} in ${e.where}`).join('; ')}`,
    );
  log(
    `secrets: the VRRP password and the private keys are in none of ${searched.length} places searched (daemon logs, events, status, metrics, command lines, lab logs)`,
  );
}

/**
 * Undo the last deploy the way it was made: `pulumi destroy` after a
 * deploy with the engine, the steps' delete scripts over SSH after one
 * without. Nothing deployed: nothing to do.
 */
export async function destroy(lab: Lab, log: (s: string) => void = console.log) {
  const how = existsSync(deployedBy(lab)) ? readFileSync(deployedBy(lab), 'utf8').trim() : '';
  if (how === 'pulumi') {
    const env = pulumiEnv(engineBin());
    const stacks = JSON.parse(
      pulumi(lab, env, ['stack', 'ls', '--json'], { capture: true }) || '[]',
    ) as { name: string }[];
    if (stacks.some((s) => s.name === lab.stack)) {
      recoverLabStack(lab, env, log);
      log(`pulumi destroy --stack ${lab.stack}`);
      const t0 = Date.now();
      pulumi(lab, env, [
        'destroy',
        '--stack',
        lab.stack,
        '--yes',
        '--non-interactive',
        '--skip-preview',
      ]);
      log(`pulumi destroy took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else log(`stack ${lab.stack} is not in the state backend: nothing to destroy`);
  } else if (how === 'ssh') {
    log('removing what the direct deploy made (delete scripts over SSH)');
    const spec = readStackSpec(lab.stack);
    await applySteps(lab, hostSteps(spec, lab.stack).reverse(), 'delete');
  } else log('nothing deployed to this lab');
  rmSync(deployedBy(lab), { force: true });
}
