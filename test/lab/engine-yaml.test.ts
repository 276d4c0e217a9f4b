// The same lab deployed from Pulumi YAML (stacks/yaml) through the keepalive
// component package (provider/): the engine runs the YAML program, which
// declares one keepalive:lvs:Cluster with the stack's declaration; the
// provider validates it with the zod ClusterSpec and creates the same host
// steps as the TypeScript program. Up, the failover verification inside it,
// a no-op second up, secrets kept secret, destroy leaving the hosts as before.
// Skipped with the reason when no engine or no YAML language host can be had
// (scripts/pulumi-engine.sh --yaml).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { PULUMI_COMMANDS } from '../../components/gitops';
import type { Lab } from '../../scripts/lab/lab';
import { servedThroughVip } from './deploy-trials';
import { testLab } from './fixture';
import { hostState } from './host-state';
import {
  assertVerificationPassed,
  findEngine,
  PulumiCli,
  remoteSteps,
  resourceName,
} from './pulumi-cli';
import { labHostSteps } from '../pulumi/lab-steps';

const HOSTS = ['d1', 'd2', 'rs1', 'rs2'];

describe('the lab from a Pulumi YAML program (keepalive component package)', function () {
  this.timeout(900_000);
  let lab: Lab;
  let cli: PulumiCli;
  const stack = `yaml-${process.pid}`;
  const ok = (args: readonly string[], input?: string) => cli.ok(args, input);
  const password = `y${process.pid % 10000}z`.slice(0, 8);
  const clean: Record<string, string> = {};

  before(async function () {
    const engine = findEngine({ yaml: true });
    if ('reason' in engine) {
      console.log(`      skipped: ${engine.reason}`);
      this.skip();
    }
    lab = testLab('y');
    await lab.up();
    cli = new PulumiCli(lab, stack, engine.bin, 'stacks/yaml');
    // secrets set as an operator would; they reach the component as secrets
    cli.initWithSecrets(password);
    for (const h of HOSTS) clean[h] = await hostState(lab, h);
  });
  after(() => {
    try {
      cli?.dispose();
    } finally {
      lab?.down();
    }
  });

  it('an invalid declaration is refused before anything runs, each problem at its property path', () => {
    cli.edit((c) => {
      (c.directors as { priority?: number }[])[1].priority = 999;
      c.vip = '198.51.100.10';
    });
    try {
      const r = cli.run([...PULUMI_COMMANDS.preview]);
      assert.notEqual(r.code, 0, 'preview of an invalid declaration must fail');
      const out = r.out + r.err;
      assert.match(out, /property cluster\.directors\[1\]\.priority .*has a problem: .*254/, out);
      assert.match(out, /property cluster\.vip .*has a problem: must be ADDRESS\/PREFIX/, out);
      assert.doesNotMatch(out, /\n\s+at .*\.js:\d+/, 'no stack trace');
    } finally {
      cli.edit((c) => {
        delete (c.directors as { priority?: number }[])[1].priority;
        c.vip = '198.51.100.10/24';
      });
    }
  });

  it('preview: one Cluster component holding the same host steps as the TypeScript program', () => {
    const c = cli.changes();
    assert.ok(
      c.every((s) => s.op === 'create'),
      JSON.stringify(c.map((s) => s.op)),
    );
    assert.deepEqual(
      c.filter((s) => s.urn.includes('::keepalive:lvs:Cluster::')).map(resourceName),
      ['lvs'],
    );
    assert.deepEqual(remoteSteps(c), labHostSteps('lvs'));
    // every step is the component's descendant
    for (const s of c.filter((x) => x.urn.includes('command:')))
      assert.match(s.urn, /::keepalive:lvs:Cluster\$/, s.urn);
  });

  it('up converges: VIP on d1, clients served by both real servers', async () => {
    ok([...PULUMI_COMMANDS.up]);
    await servedThroughVip(lab);
  });

  it("the failover verification passed inside up; it is the YAML program's output", () => {
    assertVerificationPassed(ok([...PULUMI_COMMANDS.verdict]), [
      /^VIP on exactly one/,
      /^VIP moves to d2/,
      /preempts back/,
    ]);
    const out = JSON.parse(ok(['stack', 'output', '--json'])) as Record<string, unknown>;
    assert.equal(out.vip, '198.51.100.10/24');
    assert.equal(out.master, 'd1');
    assert.deepEqual(out.realServers, ['rs1', 'rs2']);
  });

  it('a second up is a no-op (0 changes)', () => {
    assert.deepEqual(cli.changes().map(resourceName), []);
    ok(['up', '--yes', '--skip-preview', '--expect-no-changes']);
  });

  it('neither the VRRP password nor the SSH key is in plaintext in the state or the output', async () => {
    const key = cli.keyBody().slice(20, 60);
    const files = spawnSync('grep', ['-rlF', '-e', password, '-e', key, cli.home], {
      encoding: 'utf8',
    });
    assert.equal(files.stdout.trim(), '', `plaintext secret in ${files.stdout}`);
    const text = cli.transcript.join('\n');
    assert.ok(text.length > 1000, 'the updates printed something');
    assert.ok(!text.includes(password), 'password in the engine output');
    assert.ok(!text.includes(key), 'private key in the engine output');
    // and it was used: the directors' configs have it
    assert.match(
      (await lab.exec('d1', ['cat', '/etc/keepalived/keepalived.conf'])).stdout,
      new RegExp(`auth_pass ${password}\\n`),
    );
  });

  it('destroy leaves every host as before (sysctls, addresses, files, processes, nft)', async () => {
    ok(['destroy', '--yes', '--skip-preview']);
    for (const h of HOSTS) assert.equal(await hostState(lab, h), clean[h], `${h} differs`);
  });
});
