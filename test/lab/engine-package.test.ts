// The real Pulumi engine deploys the lab with `install: package`: our .deb
// goes to the directors by remote.CopyToRemote (its bytes never enter the
// state), d2 has no Node.js at all, the pair passes the failover verification
// inside `up`, a second up changes nothing, and destroy purges the package and
// leaves both directors' package footprint as before. Skipped with the reason
// when no engine or no package can be had here.
import { strict as assert } from 'node:assert';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PULUMI_COMMANDS } from '../../components/gitops';
import { withoutKeepalived } from '../../scripts/lab/deploy';
import type { Lab } from '../../scripts/lab/lab';
import { ensurePackage } from '../../scripts/package/ensure';
import { testLab } from './fixture';
import { servedThroughVip } from './deploy-trials';
import { assertVerificationPassed, findEngine, PulumiCli, resourceName } from './pulumi-cli';

/** What install may add to a director, and the daemon's command line. */
const footprint = async (lab: Lab, host: string) =>
  (
    await lab.exec(host, [
      'sh',
      '-c',
      "dpkg-query -W -f '${Status}\\n' keepalive-ts 2>&1; ls -d /usr/sbin/keepalive-ts /var/lib/keepalive-suite /var/cache/keepalive-suite /lib/systemd/system/keepalive-ts.service 2>&1; true",
    ])
  ).stdout;

/** every file under `dir`, with its size */
const sizes = (dir: string): number[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sizes(path.join(dir, e.name)) : [statSync(path.join(dir, e.name)).size],
  );

describe('the real Pulumi engine: install: package on a director without Node.js', function () {
  this.timeout(900_000);
  let lab: Lab;
  let cli: PulumiCli;
  let deb = '';
  const ok = (args: readonly string[]) => cli.ok(args);
  const before0: Record<string, string> = {};

  before(async function () {
    const engine = findEngine();
    if ('reason' in engine) {
      console.log(`      skipped: ${engine.reason}`);
      this.skip();
    }
    const built = await ensurePackage();
    if (typeof built !== 'string') {
      console.log(`      skipped: no keepalive-ts .deb: ${built.reason}`);
      this.skip();
    }
    deb = built;
    lab = testLab('k', { nodeless: ['d2'] });
    await lab.up();
    await withoutKeepalived(lab);
    for (const h of ['d1', 'd2']) before0[h] = await footprint(lab, h);
    cli = new PulumiCli(lab, `e2e-pkg-${process.pid}`, engine.bin);
    cli.initWithSecrets(`p${process.pid % 10000}y`.slice(0, 8));
    cli.edit((c) => {
      c.install = 'package';
      c.packageFile = deb;
    });
  });
  after(() => {
    try {
      cli?.dispose();
    } finally {
      lab?.down();
    }
  });

  it('up: the .deb is copied, installed and run on both directors; d2 has no node', async () => {
    const c = cli.changes();
    assert.deepEqual(
      c
        .filter((s) => s.urn.includes('command:remote:CopyToRemote'))
        .map(resourceName)
        .sort(),
      ['pair-d1-install-upload', 'pair-d2-install-upload'],
    );
    ok([...PULUMI_COMMANDS.up]);
    await servedThroughVip(lab);
    assert.notEqual((await lab.exec('d2', ['sh', '-c', 'command -v node'])).code, 0);
    for (const h of ['d1', 'd2']) {
      const cmd = (
        await lab.exec(h, ['sh', '-c', 'tr "\\0" " " < /proc/$(cat /run/keepalive-ts.pid)/cmdline'])
      ).stdout;
      assert.match(cmd, /^\/usr\/sbin\/keepalive-ts -f \/etc\/keepalived\/keepalived\.conf/, h);
    }
  });

  it('the failover verification passed inside up', () => {
    assertVerificationPassed(ok([...PULUMI_COMMANDS.verdict]), [
      /^VIP on exactly one/,
      /^VIP moves to d2/,
      /preempts back/,
    ]);
  });

  it('the state holds the package by path and hash, not its bytes; a second up is a no-op', () => {
    const debBytes = statSync(deb).size;
    const biggest = Math.max(...sizes(cli.home));
    assert.ok(biggest < debBytes / 4, `a state file of ${biggest} bytes (the .deb: ${debBytes})`);
    ok(['up', '--yes', '--skip-preview', '--expect-no-changes']);
  });

  it('destroy purges the package: both directors as before', async () => {
    ok(['destroy', '--yes', '--skip-preview']);
    for (const h of ['d1', 'd2']) assert.equal(await footprint(lab, h), before0[h], h);
  });
});
