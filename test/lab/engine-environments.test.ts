// Per environment: two stacks of one project deployed side by side into two
// labs (two prefixes, each stack with its own state backend), with the real
// engine. Each lab ends with its own pair serving the VIP with its own
// settings, neither stack's state knows the other's resources, and each
// destroy cleans only its own lab. Skipped with the reason when no engine can be had.
import { strict as assert } from 'node:assert';
import type { Lab } from '../../scripts/lab/lab';
import { VIP } from '../../scripts/lab/daemons';
import { waitFor } from '../../scripts/lab/sys';
import { testLab } from './fixture';
import { findEngine, PulumiCli } from './pulumi-cli';

describe('two environments of one project, side by side (real engine)', function () {
  this.timeout(600_000);
  const envs: { lab: Lab; cli: PulumiCli; vrid: number }[] = [];

  before(async function () {
    const engine = findEngine();
    if ('reason' in engine) {
      console.log(`      skipped: ${engine.reason}`);
      this.skip();
    }
    for (const [suffix, vrid] of [
      ['s', 61],
      ['p', 62],
    ] as const) {
      const lab = testLab(suffix);
      await lab.up();
      const cli = new PulumiCli(lab, `env-${suffix}-${process.pid}`, engine.bin);
      envs.push({ lab, cli, vrid });
      cli.init((c) => {
        c.virtualRouterId = vrid;
        // the verification of each environment is covered by the engine tier
        c.failoverCheck = { enabled: false };
      });
    }
  });
  after(() => {
    for (const e of envs) {
      try {
        e.cli.dispose();
      } finally {
        e.lab.down();
      }
    }
  });

  it('each stack deploys into its own lab with its own settings', async () => {
    for (const e of envs) e.cli.ok(['up', '--yes', '--skip-preview']);
    for (const e of envs) {
      await waitFor(
        `VIP on d1 of ${e.lab.topo.prefix}`,
        async () =>
          (await e.lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(
            VIP,
          ),
        15_000,
      );
      const conf = (await e.lab.exec('d2', ['cat', '/etc/keepalived/keepalived.conf'])).stdout;
      assert.match(conf, new RegExp(`virtual_router_id ${e.vrid}\\n`));
      assert.match(conf, new RegExp(`stack "${e.cli.stack}"`));
    }
  });

  it('each state holds its own resources only (separate backends)', () => {
    for (const e of envs) {
      const state = e.cli.ok(['stack', 'export']);
      const other = envs.find((o) => o !== e)!;
      assert.ok(state.includes(`urn:pulumi:${e.cli.stack}::keepalive::`), 'its own resources');
      assert.ok(!state.includes(other.cli.stack), `no trace of ${other.cli.stack}`);
      assert.ok(e.cli.ok(['stack', 'ls', '--json']).includes(e.cli.stack));
      assert.ok(!e.cli.ok(['stack', 'ls', '--json']).includes(other.cli.stack));
    }
  });

  it('destroying one environment leaves the other serving', async () => {
    const [a, b] = envs;
    a.cli.ok(['destroy', '--yes', '--skip-preview']);
    const aAddr = (await a.lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout;
    assert.ok(!aAddr.includes(VIP), `${a.lab.topo.prefix} still has the VIP`);
    const bAddr = (await b.lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout;
    assert.ok(bAddr.includes(VIP), `${b.lab.topo.prefix} lost the VIP`);
    const served = await b.lab.exec('cl', ['curl', '-s', '--max-time', '2', `http://${VIP}/`]);
    assert.match(served.stdout.trim(), /^rs\d$/);
  });
});
