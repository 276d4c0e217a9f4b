// The Debian package (npm run package:deb), end to end: built from the single
// executable, lintian clean, then installed into a throwaway Debian 12 root
// (debootstrap minbase, no Node.js) inside a network namespace: the daemon
// starts, becomes MASTER, survives an upgrade with a user-modified conffile by
// a reload (same PID, new config applied), stops on remove; purge leaves no
// file of ours. Service management in the chroot is test/package/fake-systemctl.sh
// (systemd cannot be init there); it runs the package's own unit lines.
// Namespaces: flock /tmp/keepalive-test.lock.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vrrpConf } from '../../scripts/lab/daemons';
import { buildDeb } from '../../scripts/package/build-deb';
import { CONFIG_PATH, debFileName } from '../../scripts/package/deb-meta';
import { ensureSeaBuilt, seaUnsupported } from '../../scripts/sea/ensure';
import { checkoutRoot, seaLayout } from '../../scripts/sea/layout';
import {
  PRISTINE_ROOT,
  createSandbox,
  destroySandbox,
  inSandbox,
  lan0Addresses,
  listFiles,
  mustRun,
  type Sandbox,
} from './sandbox';

const ROOT = checkoutRoot();
const VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const UPGRADE_VERSION = `${VERSION}+upgrade1`;

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why this machine cannot run the package test, or undefined. */
function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, chroot, dpkg in a chroot)';
  for (const tool of ['dpkg-deb', 'dpkg-shlibdeps', 'lintian', 'unshare', 'ip', 'chroot'])
    if (!has(tool)) return `${tool} is not installed (apt-get install dpkg-dev lintian)`;
  if (!fs.existsSync(path.join(PRISTINE_ROOT, 'usr/bin/dpkg')) && !has('debootstrap'))
    return `no Debian root at ${PRISTINE_ROOT} and no debootstrap to build it (apt-get install debootstrap)`;
  return seaUnsupported();
}

/** a lone VRRPv3 instance on lan0; the upgrade's user edit adds a second address */
const config = (vips: string[]) =>
  vrrpConf({
    priority: 150,
    version: 3,
    advertInt: 1,
    vip: `${vips[0]}/24`,
    extra: vips[1] ? `  virtual_ipaddress_excluded {\n    ${vips[1]}/24\n  }\n` : '',
  });

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Debian package (npm run package:deb)', function () {
  this.timeout(900_000);
  let work: string;
  let debs: { v1: string; v2: string };
  let box: Sandbox | undefined;
  let daemonPid: number;
  const readIn = (p: string) => fs.readFileSync(path.join(box!.root, p), 'utf8');
  const calls = () => readIn('run/fake-systemd/calls.log').trim().split('\n');
  const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);

  before(async function () {
    const why = missingPrerequisite();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const root = spawnSync(path.join(ROOT, 'scripts/package/debian-root.sh'), [PRISTINE_ROOT], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    if (root.status !== 0) {
      console.log(`      skipped: no Debian 12 root (debootstrap failed): ${root.stderr.trim()}`);
      this.skip();
    }
    const sea = seaLayout(ROOT);
    await ensureSeaBuilt(sea);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-deb-test-'));
    // a run that dies (SIGINT: the lab fixture exits) still removes namespaces and the copy
    process.once('exit', cleanup);
    // gzip -1 (--fast): the test builds two packages; the release uses xz
    const build = (version: string) =>
      buildDeb({ root: ROOT, version, executable: sea.executable, outDir: work, fast: true });
    debs = { v1: build(VERSION), v2: build(UPGRADE_VERSION) };
  });

  function cleanup() {
    if (box) destroySandbox(box);
    box = undefined;
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
  after(() => {
    cleanup();
    process.removeListener('exit', cleanup);
  });

  it('holds the executable, the unit, the conffiles and Conflicts: keepalived', () => {
    assert.equal(path.basename(debs.v1), debFileName(VERSION));
    const info = execFileSync('dpkg-deb', ['-f', debs.v1], { encoding: 'utf8' });
    assert.match(info, /^Conflicts: keepalived$/m);
    assert.match(info, /^Depends: libc6 \(>= [0-9.]+\).*procps/m);
    const conffiles = execFileSync('dpkg-deb', ['--info', debs.v1, 'conffiles'], {
      encoding: 'utf8',
    });
    assert.deepEqual(conffiles.trim().split('\n'), [CONFIG_PATH, '/etc/default/keepalive-ts']);
    const listing = execFileSync('dpkg-deb', ['-c', debs.v1], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(/\s+/));
    const entry = (p: string) => listing.find((cols) => cols[5] === `.${p}`);
    assert.deepEqual(entry('/usr/sbin/keepalive-ts')?.slice(0, 2), ['-rwxr-xr-x', 'root/root']);
    for (const p of [
      '/lib/systemd/system/keepalive-ts.service',
      CONFIG_PATH,
      '/etc/default/keepalive-ts',
      '/usr/share/man/man8/keepalive-ts.8.gz',
      '/usr/share/man/man5/keepalive-ts.conf.5.gz',
      '/usr/share/doc/keepalive-ts/copyright',
      '/usr/share/doc/keepalive-ts/changelog.gz',
    ])
      assert.ok(entry(p), p);
  });

  it('is lintian clean (errors, warnings, info and pedantic tags)', () => {
    const r = spawnSync('nice', ['-n', '10', 'lintian', '--pedantic', '--display-info', debs.v1], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const tags = r.stdout.split('\n').filter((l) => /^[EWIPX]: /.test(l));
    assert.deepEqual(tags, [], r.stdout + r.stderr);
    assert.equal(r.status, 0, r.stderr);
  });

  it('installs into a Debian 12 root without Node.js, enabled and started', async () => {
    box = createSandbox(path.join(work, 'box'), `ktsdeb${process.pid % 100000}`);
    assert.notEqual(
      inSandbox(box, 'command -v node nodejs').status,
      0,
      'the root must have no node',
    );
    fs.copyFileSync(debs.v1, path.join(box.root, 'tmp/v1.deb'));
    const before = listFiles(box);
    mustRun(box, 'dpkg -i /tmp/v1.deb', 120_000);
    fs.writeFileSync(path.join(work, 'before.json'), JSON.stringify([...before]));
    const wants = path.join(
      box.root,
      'etc/systemd/system/multi-user.target.wants/keepalive-ts.service',
    );
    assert.equal(fs.readlinkSync(wants), '/lib/systemd/system/keepalive-ts.service', 'enabled');
    assert.ok(calls().includes('--quiet --system start keepalive-ts.service'), calls().join('\n'));
    daemonPid = Number(readIn('run/fake-systemd/keepalive-ts.service.pid'));
    await until('the daemon to start', () =>
      readIn('run/fake-systemd/keepalive-ts.service.log').includes(
        `keepalive-ts started (pid ${daemonPid}`,
      ),
    );
    assert.equal(mustRun(box, 'keepalive-ts --version').trim(), VERSION);
  });

  it('passes the config test on the seed configs it ships', () => {
    for (const seed of ['seed-master.conf', 'seed-backup.conf']) {
      const r = inSandbox(box!, `keepalive-ts -t -f /usr/share/doc/keepalive-ts/examples/${seed}`);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stderr, /valid \(0 error\(s\)/);
    }
    const bad = inSandbox(
      box!,
      "printf 'vrrp_instance X {\\n  priority 999\\n}\\n' > /tmp/bad.conf && keepalive-ts -t -f /tmp/bad.conf",
    );
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    // names the file (relative to the working directory, here /) and the line
    assert.match(bad.stdout + bad.stderr, /^\/?tmp\/bad\.conf:2: error: priority/m);
  });

  it('runs in its network namespace and becomes MASTER after a reload', async () => {
    fs.writeFileSync(path.join(box!.root, CONFIG_PATH), config(['198.51.100.10']));
    mustRun(box!, 'systemctl reload keepalive-ts');
    await until('VIP 198.51.100.10 on lan0', () => lan0Addresses(box!).includes('198.51.100.10'));
    assert.equal(Number(readIn('run/fake-systemd/keepalive-ts.service.pid')), daemonPid);
    assert.ok(alive(daemonPid));
  });

  it('upgrade keeps the modified conffile and reloads the daemon, never restarts it', async () => {
    const modified = config(['198.51.100.10', '198.51.100.11']);
    fs.writeFileSync(path.join(box!.root, CONFIG_PATH), modified);
    fs.copyFileSync(debs.v2, path.join(box!.root, 'tmp/v2.deb'));
    const callsBefore = calls().length;
    // stdin is /dev/null: a conffile prompt would fail the upgrade, not hang it
    mustRun(box!, 'dpkg -i /tmp/v2.deb', 120_000);
    assert.match(
      mustRun(box!, "dpkg-query -W -f '${Version}' keepalive-ts"),
      new RegExp(UPGRADE_VERSION.replace('+', '\\+')),
    );
    assert.equal(readIn(CONFIG_PATH), modified, "the administrator's config is kept");
    const upgradeCalls = calls().slice(callsBefore);
    assert.ok(upgradeCalls.includes('reload keepalive-ts.service'), upgradeCalls.join('\n'));
    assert.ok(
      !upgradeCalls.some((c) => /\b(start|stop|restart)\b/.test(c)),
      upgradeCalls.join('\n'),
    );
    // the reload applied the kept config: the second VIP comes up in the same process
    await until('VIP 198.51.100.11 on lan0', () => lan0Addresses(box!).includes('198.51.100.11'));
    assert.ok(alive(daemonPid), 'same PID after the upgrade');
    assert.match(
      fs.readlinkSync(`/proc/${daemonPid}/exe`),
      /\(deleted\)$/,
      'the old executable still runs',
    );
  });

  it('an upgrade whose config test fails keeps the daemon on its previous configuration', () => {
    fs.writeFileSync(
      path.join(box!.root, CONFIG_PATH),
      'vrrp_instance broken {\n  priority 999\n}\n',
    );
    const callsBefore = calls().length;
    // reinstalling the same version runs postinst's upgrade path again
    const r = inSandbox(box!, 'dpkg -i /tmp/v2.deb', 120_000);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /reload failed; the daemon keeps its previous configuration/);
    assert.ok(calls().slice(callsBefore).includes('reload keepalive-ts.service'));
    assert.ok(alive(daemonPid));
    assert.ok(lan0Addresses(box!).includes('198.51.100.11'), 'VIPs untouched');
  });

  it('remove stops the daemon (VIPs released) and keeps the config', async () => {
    mustRun(box!, 'dpkg -r keepalive-ts', 120_000);
    await until('the daemon to exit', () => !alive(daemonPid));
    assert.deepEqual(
      lan0Addresses(box!).filter((a) => a.startsWith('198.51.100.1')),
      [],
      'VIPs released',
    );
    assert.ok(fs.existsSync(path.join(box!.root, CONFIG_PATH)));
    assert.ok(!fs.existsSync(path.join(box!.root, 'usr/sbin/keepalive-ts')));
  });

  it('purge leaves no file of ours', () => {
    mustRun(box!, 'dpkg -P keepalive-ts', 120_000);
    const before = new Set(
      JSON.parse(fs.readFileSync(path.join(work, 'before.json'), 'utf8')) as string[],
    );
    // dpkg's own database and log change with every package operation
    const ours = [...listFiles(box!)].filter(
      (p) =>
        !before.has(p) &&
        !/^\/var\/(lib\/dpkg|log\/dpkg\.log|log\/apt)/.test(p) &&
        !p.startsWith('/run/fake-systemd'),
    );
    assert.deepEqual(ours, []);
    assert.deepEqual(
      [...listFiles(box!)].filter(
        (p) => /keepalive|keepalived/.test(p) && !p.startsWith('/run/fake-systemd'),
      ),
      [],
    );
  });
});
