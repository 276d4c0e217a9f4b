// `npm run lab` after `up`: the real Pulumi engine deploys stack `lab` from
// the ops namespace (never the root namespace), then a short summary.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Lab } from './lab';

export const REPO = path.resolve(__dirname, '../../..');

/** The engine's bin folder (built once from Go modules by scripts/pulumi-engine.sh). */
export function engineBin(): string {
  const r = spawnSync('bash', [path.join(REPO, 'scripts/pulumi-engine.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0)
    throw new Error('the Pulumi engine is not available (see the messages above)');
  return r.stdout.trim();
}

export function pulumiEnv(bin: string): NodeJS.ProcessEnv {
  const state = path.join(REPO, '.pulumi-state');
  mkdirSync(state, { recursive: true });
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${state}`,
    // the lab's state is local and throwaway; real stacks set their own passphrase or a KMS
    PULUMI_CONFIG_PASSPHRASE:
      process.env.PULUMI_CONFIG_PASSPHRASE ??
      process.env.KEEPALIVE_LAB_PASSPHRASE ??
      'keepalive-lab',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_HOME: path.join(REPO, '.pulumi-state', 'home'),
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

export async function deploy(lab: Lab, log: (s: string) => void = console.log) {
  const bin = engineBin();
  const env = pulumiEnv(bin);
  pulumi(lab, env, ['stack', 'select', 'lab', '--create', '--non-interactive'], { capture: true });
  log('pulumi up --stack lab');
  const t0 = Date.now();
  pulumi(lab, env, ['up', '--stack', 'lab', '--yes', '--non-interactive', '--skip-preview']);
  log(`deployed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const out = JSON.parse(
    pulumi(lab, env, ['stack', 'output', '--json', '--stack', 'lab'], { capture: true }),
  ) as {
    vip: string;
    master: string;
    realServers: string[];
  };
  const status = await lab.exec(out.master, [
    'sh',
    '-c',
    'node /etc/keepalive-ts/app/bin/keepalive-ts status --control /run/keepalive-ts.sock',
  ]);
  log(`VIP ${out.vip}, master ${out.master}, real servers ${out.realServers.join(', ')}`);
  log(status.stdout.trim());
}

export function destroy(lab: Lab) {
  const env = pulumiEnv(engineBin());
  pulumi(lab, env, ['destroy', '--stack', 'lab', '--yes', '--non-interactive', '--skip-preview']);
}
