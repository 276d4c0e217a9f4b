// install: package end to end: the suite's host steps (as remote.Command and
// CopyToRemote run them) put our .deb on a lab whose d2 has no Node.js (a
// stock Debian 12 director: Debian's own nodejs is 18), the pair fails over
// like any other (the post-deploy verification), and destroy takes off
// exactly what install added.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildBundle, daemonArtifact } from '../../components/bundle';
import { directorSteps, realServerSteps } from '../../components/plan';
import type { ClusterSpec } from '../../components/spec';
import { verifyFailover, withoutKeepalived, writeLabStack } from '../../scripts/lab/deploy';
import { applySteps, sshRun } from '../../scripts/lab/direct';
import type { Lab } from '../../scripts/lab/lab';
import { VIP } from '../../scripts/lab/daemons';
import { waitFor } from '../../scripts/lab/sys';
import { ensurePackage } from '../../scripts/package/ensure';
import { testLab } from './fixture';

/** What install may add to a director: packages, the suite's records and uploads, the binary. */
const footprint = (lab: Lab, host: string) =>
  sshRun(
    lab,
    host,
    "dpkg-query -W -f '${Package} ${Status}\\n' keepalive-ts 2>&1; ls -d /usr/sbin/keepalive-ts /var/lib/keepalive-suite /var/cache/keepalive-suite /lib/systemd/system/keepalive-ts.service /usr/share/man/man8/keepalive-ts.8.gz 2>&1; true",
  );

describe('install: package on a director without Node.js (lab)', function () {
  this.timeout(600_000);
  let lab: Lab;
  let dir: string;
  let spec: ClusterSpec;
  let pkg: (cluster: Record<string, unknown>) => void;
  const before0: Record<string, string> = {};

  before(async function () {
    const deb = await ensurePackage();
    if (typeof deb !== 'string') {
      console.log(`      skipping: no keepalive-ts .deb: ${deb.reason}`);
      this.skip();
    }
    lab = testLab('p', { nodeless: ['d2'] });
    await lab.up();
    // stock directors: Debian's keepalived conflicts with our package
    await withoutKeepalived(lab);
    dir = mkdtempSync(path.join(tmpdir(), 'kts-pkgstack-'));
    pkg = (c) => {
      c.install = 'package';
      c.packageFile = deb;
    };
    spec = writeLabStack(lab, dir, pkg);
    for (const h of ['d1', 'd2']) before0[h] = await footprint(lab, h);
  });
  after(async () => {
    lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("d2 has no node (d1 has); a director's /usr is its own, not the machine's", async () => {
    await assert.rejects(sshRun(lab, 'd2', 'command -v node'));
    assert.match(await sshRun(lab, 'd1', 'command -v node'), /node/);
    await sshRun(lab, 'd1', 'touch /usr/lib/kts-lab-private-probe');
    await assert.rejects(sshRun(lab, 'd2', 'ls /usr/lib/kts-lab-private-probe'));
    await sshRun(lab, 'd1', 'rm /usr/lib/kts-lab-private-probe');
  });

  it('install: bundle on d2 fails with the reason (no Node.js) before changing anything', async () => {
    const bundleSpec = writeLabStack(lab, dir, () => {});
    const install = directorSteps(bundleSpec, 'lab', buildBundle())[1][0];
    await assert.rejects(
      sshRun(lab, 'd2', install.create, install.stdin),
      /keepalive-ts needs Node\.js >= 20 on d2: node not found/,
    );
    spec = writeLabStack(lab, dir, pkg);
  });

  it('install: package deploys both directors; the pair serves and fails over (verification)', async () => {
    await applySteps(lab, realServerSteps(spec, 'lab'), 'create');
    await applySteps(lab, directorSteps(spec, 'lab', daemonArtifact(spec)), 'create');
    for (const h of ['d1', 'd2']) {
      const cmd = await sshRun(
        lab,
        h,
        'cat /proc/$(cat /run/keepalive-ts.pid)/cmdline | tr "\\0" " "',
      );
      assert.match(cmd, /^\/usr\/sbin\/keepalive-ts -f \/etc\/keepalived\/keepalived\.conf/);
    }
    await waitFor(
      'VIP on d1',
      async () => (await sshRun(lab, 'd1', 'ip -o addr show dev lan0')).includes(VIP),
      15_000,
      100,
    );
    assert.equal(verifyFailover(lab, [], dir), 0, 'the failover verification failed (table above)');
  });

  it('destroy removes exactly what install added', async () => {
    await applySteps(lab, directorSteps(spec, 'lab', daemonArtifact(spec)), 'delete');
    await applySteps(lab, realServerSteps(spec, 'lab'), 'delete');
    for (const h of ['d1', 'd2']) assert.equal(await footprint(lab, h), before0[h], h);
    assert.match(before0.d1, /no packages found matching keepalive-ts/);
  });
});
