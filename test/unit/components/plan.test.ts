import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { directorSteps, realServerSteps, writeMaskedFile } from '../../../components/plan';
import { readStackSpec } from '../../../components/stack-file';

describe('host plans (what runs on each host)', () => {
  const spec = readStackSpec('lab');
  const d = directorSteps(spec, 'lab', { base64: 'QUJD', sha256: 'x' });
  const r = realServerSteps(spec, 'lab');

  it('directors: install, sysctl, then config (after both)', () => {
    assert.deepEqual(
      d.map((s) => s.map((x) => `${x.host}:${x.kind}<${x.after.join(',')}`)),
      [
        ['d1:install<', 'd1:sysctl<', 'd1:config<install,sysctl'],
        ['d2:install<', 'd2:sysctl<', 'd2:config<install,sysctl'],
      ],
    );
  });

  it('real servers: sysctl before the VIP on lo', () => {
    assert.deepEqual(
      r.map((s) => s.map((x) => `${x.host}:${x.kind}<${x.after.join(',')}`)),
      [
        ['rs1:sysctl<', 'rs1:vip<sysctl'],
        ['rs2:sysctl<', 'rs2:vip<sysctl'],
      ],
    );
  });

  it('config: tests the new file before activating it, reloads with SIGHUP rather than restarting', () => {
    const c = d[0][2].create;
    const iTest = c.indexOf('keepalive-ts -t -f');
    const iMv = c.indexOf("mv '/etc/keepalived/keepalived.conf.new'");
    assert.ok(iTest > 0 && iMv > iTest, 'config test before mv');
    assert.match(c, /kill -HUP/);
    assert.match(c, /chmod 600/);
    assert.match(d[0][2].delete, /kill -TERM/);
  });

  it('sysctl: saves the previous values of its keys once, applies only its file, restores on delete', () => {
    const s = d[0][1];
    assert.match(s.create, /sysctl -n "\$k"/);
    assert.match(s.create, /sysctl -q -p '\/etc\/sysctl\.d\/60-keepalive-director\.conf'/);
    assert.ok(!/--system/.test(s.create));
    assert.match(s.delete, /sysctl -q -w "\$kv"/);
    // an interrupted save leaves only the .new (redone next time), never a short baseline
    const save = s.create.indexOf("> '/etc/keepalived/.sysctl-before-director.new'");
    const rename = s.create.indexOf(
      "mv '/etc/keepalived/.sysctl-before-director.new' '/etc/keepalived/.sysctl-before-director'",
    );
    const apply = s.create.indexOf('sysctl -q -p');
    assert.ok(save > 0 && rename > save && apply > rename, s.create);
  });

  it('every step takes the host deploy lock; every started daemon gives up its fd', () => {
    for (const x of [...d.flat(), ...r.flat()]) {
      assert.match(x.create, /flock -w \d+ 9/, `${x.host}:${x.kind} create`);
      assert.match(x.delete, /flock -w \d+ 9/, `${x.host}:${x.kind} delete`);
    }
    assert.match(d[0][2].create, /keepalive-ts -f .* 9>&- &/);
    assert.match(d[0][2].create, /until \[ -f \/run\/keepalive-ts\.pid \]/);
  });

  it('install: checks the Node.js version and unpacks the bundle from stdin', () => {
    assert.match(d[0][0].create, /needs Node\.js >= 20/);
    assert.match(d[0][0].create, /base64 -d < "\$s\/bundle.b64" \| tar -xz/);
    assert.equal(d[0][0].stdin, 'QUJD');
  });

  it("a changed weight changes only the directors' config steps", () => {
    const changed = {
      ...spec,
      realServers: spec.realServers.map((x, i) => (i === 0 ? { ...x, weight: 5 } : x)),
    };
    const d2 = directorSteps(changed, 'lab', { base64: 'QUJD', sha256: 'x' });
    const r2 = realServerSteps(changed, 'lab');
    const diff = (a: typeof d, b: typeof d) =>
      a
        .flat()
        .filter((x, i) => x.hash !== b.flat()[i].hash)
        .map((x) => `${x.host}:${x.kind}`);
    assert.deepEqual(diff(d, d2), ['d1:config', 'd2:config']);
    assert.deepEqual(diff(r, r2), []);
  });

  it('config: the script carries the text with the password masked; the password comes on stdin', () => {
    const cfg = d[0][2];
    assert.ok(!cfg.create.includes('lab1234'), 'no password in the script (it is shown in diffs)');
    assert.match(cfg.create, /auth_pass <secret:authPass>/);
    assert.equal(cfg.stdin, 'lab1234\n');
    assert.equal(cfg.stdinSecret, true);
    assert.match(cfg.create, /virtual_router_id 51/);
  });

  it('masked file: the host writes exactly the real content, whatever characters the secret has', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kts-masked-'));
    try {
      for (const secret of ['lab1234', `a&\\/'$x"`, 'p%s\\1 b']) {
        const file = { path: path.join(dir, 'sub', 'k.conf'), content: '', mode: 0o600 };
        const masked =
          'a {\n  auth_pass <secret:authPass>\n  x <secret:authPass><secret:authPass>\n}\n';
        const script = `set -eu\n${writeMaskedFile(file, masked, ['<secret:authPass>'])}`;
        const r = spawnSync('sh', ['-c', script], { input: `${secret}\n`, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
          readFileSync(`${file.path}.new`, 'utf8'),
          masked.replaceAll('<secret:authPass>', secret),
        );
        assert.equal(statSync(`${file.path}.new`).mode & 0o777, 0o600);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('install: the script names the bundle hash (diffs show it), the bundle itself stays out of diffs', () => {
    assert.match(d[0][0].create, /# bundle sha256 x/);
    assert.equal(d[0][0].stdinSecret, true);
  });

  it('install: package uploads the .deb, runs the package binary, keeps its own unit; bundle and keepalived refuse the wrong artifact', () => {
    const pkg = { ...spec, install: 'package' as const };
    const sha = 'a'.repeat(64);
    const [install, , config] = directorSteps(pkg, 'lab', { deb: '/tmp/k.deb', sha256: sha })[0];
    assert.deepEqual(install.upload, {
      file: '/tmp/k.deb',
      remotePath: `/var/cache/keepalive-suite/keepalive-ts_${'a'.repeat(16)}.deb`,
      sha256: sha,
    });
    assert.equal(
      install.stdin,
      undefined,
      'the package does not travel on stdin (nor into the state)',
    );
    assert.match(install.create, /dpkg --force-confold -i/);
    assert.doesNotMatch(install.create, /node/);
    assert.match(
      config.create,
      /\/usr\/sbin\/keepalive-ts -t -f '\/etc\/keepalived\/keepalived\.conf\.new'/,
    );
    assert.match(config.create, /setsid \/usr\/sbin\/keepalive-ts -f/);
    assert.doesNotMatch(
      config.create,
      /keepalive-ts\.service\.new|node /,
      'no suite unit, no node',
    );
    assert.match(config.delete, /systemctl disable -q --now keepalive-ts/);
    assert.throws(
      () => directorSteps(pkg, 'lab', { base64: 'QUJD', sha256: 'x' }),
      /needs the \.deb/,
    );
    assert.throws(
      () => directorSteps(spec, 'lab', { deb: '/tmp/k.deb', sha256: sha }),
      /not a package/,
    );
    const kd = directorSteps({ ...spec, daemon: 'keepalived' }, 'lab')[0][0];
    assert.match(kd.create, /apt-get install -y -qq keepalived/);
    assert.match(kd.delete, /dpkg --purge keepalived/);
  });
});
