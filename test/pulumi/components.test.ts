// The components under Pulumi's mock runtime (offline): which resources they
// register, with which inputs, under which parent; secrets stay secret.
import { strict as assert } from 'node:assert';
import * as pulumi from '@pulumi/pulumi';
import { DirectorPair, FailoverCheck, RealServerPool } from '../../components/index';
import { readStackSpec } from '../../components/stack-file';
import { labHostSteps } from './lab-steps';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const VERIFIER_STDOUT = JSON.stringify({
  verdict: 'pass',
  steps: [
    {
      name: 'VIP moves to d2 (clean stop)',
      measured_s: 0.7,
      bound_s: 0.86,
      pass: true,
      detail: '',
    },
  ],
});
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const isSecret = (v: unknown) =>
  typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SECRET_SIG] !== undefined;

describe('Pulumi components (mocks)', function () {
  this.timeout(30_000);
  const registered: Registered[] = [];
  const urns: string[] = [];
  let check: FailoverCheck;

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.push({ type: a.type, name: a.name, inputs: a.inputs });
          // the verifier's JSON, as local.Command would capture it
          if (a.type === 'command:local:Command')
            return { id: `${a.name}-id`, state: { ...a.inputs, stdout: VERIFIER_STDOUT } };
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
      },
      'keepalive',
      'lab',
      false,
    );
    const spec = readStackSpec('lab');
    const ssh = {
      user: 'root',
      port: 22,
      privateKey: pulumi.secret('PRIVATE'),
      hostKeys: Object.fromEntries(
        ['d1', 'd2', 'rs1', 'rs2'].map((h) => [h, `ssh-ed25519 KEY${h}`]),
      ),
    };
    const pool = new RealServerPool('pool', { spec, stack: 'lab', ssh });
    const pair = new DirectorPair(
      'pair',
      { spec, stack: 'lab', ssh, artifact: { base64: 'QUJD', sha256: 'h' } },
      { dependsOn: [pool] },
    );
    check = new FailoverCheck(
      'failover',
      { spec, stack: 'lab', configHashes: pair.configHashes, realServers: pool.servers, ssh },
      { dependsOn: [pair, pool] },
    );
    for (const r of [
      pool,
      pair,
      check,
      check.command,
      ...pair.installs,
      ...pair.commands,
      ...pool.commands,
      ...pair.installs.map((i) => i.command),
    ]) {
      urns.push(await new Promise<string>((res) => r.urn.apply(res)));
      if (process.env.DEBUG_URNS) console.log(urns.at(-1));
    }
    assert.equal(await new Promise((res) => pair.master.apply(res)), 'd1');
    assert.deepEqual(await new Promise((res) => pair.metricsEndpoints.apply(res)), {
      d1: 'http://198.51.100.11:9650/metrics',
      d2: 'http://198.51.100.12:9650/metrics',
    });
  });

  it('registers the typed components and one command per host step', () => {
    const types = registered.map((r) => r.type);
    assert.equal(types.filter((t) => t === 'keepalive:lvs:DirectorPair').length, 1);
    assert.equal(types.filter((t) => t === 'keepalive:lvs:RealServerPool').length, 1);
    assert.equal(types.filter((t) => t === 'keepalive:lvs:DaemonInstall').length, 2);
    assert.deepEqual(
      registered
        .filter((r) => r.type === 'command:remote:Command')
        .map((r) => r.name)
        .sort(),
      labHostSteps(),
    );
  });

  it('parents every command to its component (URN type chain)', () => {
    assert.ok(
      urns.some((u) =>
        u.endsWith('keepalive:lvs:DirectorPair$command:remote:Command::pair-d1-config'),
      ),
    );
    const has = (suffix: string) =>
      assert.ok(
        urns.some((u) => u.endsWith(suffix)),
        suffix,
      );
    has('keepalive:lvs:DirectorPair$keepalive:lvs:DaemonInstall::pair-d1-install');
    has('keepalive:lvs:DaemonInstall$command:remote:Command::pair-d1-install-cmd');
    assert.ok(
      urns.some((u) =>
        u.endsWith('keepalive:lvs:RealServerPool$command:remote:Command::pool-rs2-vip'),
      ),
    );
  });

  it('pins host keys, keeps the private key and config contents secret, deletes before replacing', () => {
    const cfg = registered.find((r) => r.name === 'pair-d1-config')!;
    // the private key makes the whole connection a secret
    assert.ok(isSecret(cfg.inputs.connection), 'connection (with the private key) is a secret');
    const conn = (cfg.inputs.connection as Record<string, Record<string, unknown>>).value;
    assert.equal(conn.hostKey, 'ssh-ed25519 KEYd1');
    assert.equal(conn.host, '198.51.100.11');
    assert.ok(isSecret(cfg.inputs.stdin), 'the VRRP password (stdin) is a secret');
    assert.match(String(cfg.inputs.create), /auth_pass <secret:authPass>/);
    assert.equal(cfg.inputs.triggers, undefined, 'content changes update, never replace');
    assert.match(String(cfg.inputs.create), /keepalive-ts -t -f/);
    const vip = registered.find((r) => r.name === 'pool-rs1-vip')!;
    assert.match(String(vip.inputs.create), /vip-lo\.sh' up/);
    assert.ok(!isSecret(vip.inputs.stdin));
  });

  it('FailoverCheck runs the verifier for the stack after the pair and pool, its JSON becomes outputs', async () => {
    const cmd = registered.find((r) => r.type === 'command:local:Command');
    assert.ok(cmd, 'one local command');
    assert.match(String(cmd.inputs.create), /verify\/main\.js" --stack lab --json --spec-stdin$/);
    // the declaration and the key reach the verifier as a secret, never in the command line
    assert.ok(isSecret(cmd.inputs.stdin), 'the verifier stdin (with the SSH key) is a secret');
    assert.ok(!String(cmd.inputs.create).includes('PRIVATE'));
    assert.ok(
      urns.some((u) =>
        u.endsWith('keepalive:lvs:FailoverCheck$command:local:Command::failover-verify'),
      ),
      'parented to the FailoverCheck component',
    );
    // re-runs when the deployment changes: the config hashes are among its triggers
    assert.match(JSON.stringify(cmd.inputs.triggers), /"d1":/);
    assert.equal(await new Promise((res) => check.verdict.apply(res)), 'pass');
    const steps = (await new Promise((res) => check.steps.apply(res))) as { name: string }[];
    assert.deepEqual(
      steps.map((s) => s.name),
      ['VIP moves to d2 (clean stop)'],
    );
  });
});
