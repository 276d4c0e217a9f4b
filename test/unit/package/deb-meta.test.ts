// The Debian package's metadata and packaging files (pure checks; the
// end-to-end install test is test/package/deb.test.ts).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsHost } from '../../../daemon/config/fs-host';
import { parseFile } from '../../../daemon/config/index';
import {
  CONFFILES,
  CONFIG_PATH,
  EXECUTABLE_PATH,
  PAYLOAD,
  changelogFor,
  changelogTopVersion,
  checkVersion,
  controlText,
  debFileName,
  parseShlibs,
  rfc2822,
} from '../../../scripts/package/deb-meta';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const unitLines = (key: string) =>
  read('packaging/deb/keepalive-ts.service')
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe('Debian package metadata', () => {
  it('control: version, shared-library depends plus procps, Conflicts: keepalived', () => {
    const c = controlText({
      version: '1.2.3',
      shlibsDepends: 'libc6 (>= 2.34), libstdc++6 (>= 5.2)',
      installedSizeKiB: 85480,
    });
    assert.match(c, /^Package: keepalive-ts\nVersion: 1\.2\.3\nArchitecture: amd64\n/);
    assert.match(c, /^Depends: libc6 \(>= 2\.34\), libstdc\+\+6 \(>= 5\.2\), procps$/m);
    assert.match(c, /^Conflicts: keepalived$/m);
    assert.match(c, /^Installed-Size: 85480$/m);
    // the description's continuation lines start with a space; an empty one is " ."
    const desc = c.slice(c.indexOf('Description:')).trimEnd().split('\n').slice(1);
    assert.ok(desc.every((l) => l.startsWith(' ') && l.length <= 80));
  });

  it('rejects versions Debian would not accept for a native package', () => {
    assert.equal(checkVersion('0.1.0+upgrade1'), '0.1.0+upgrade1');
    assert.throws(() => checkVersion('v0.1.0'), /not a Debian native version/);
    assert.throws(() => checkVersion('0.1.0-1'), /not a Debian native version/);
    assert.equal(debFileName('0.1.0'), 'keepalive-ts_0.1.0_amd64.deb');
  });

  it('changelog: the maintained file for its own version, a local entry on top otherwise', () => {
    const file = read('packaging/deb/changelog');
    const pkgVersion = (JSON.parse(read('package.json')) as { version: string }).version;
    assert.equal(
      changelogTopVersion(file),
      pkgVersion,
      'packaging/deb/changelog follows package.json',
    );
    assert.equal(changelogFor(file, pkgVersion, new Date(0)), file);
    const local = changelogFor(file, '9.9.9', new Date(Date.UTC(2026, 11, 3, 7, 5, 9)));
    assert.equal(changelogTopVersion(local), '9.9.9');
    assert.match(local, / -- .*> {2}Thu, 03 Dec 2026 07:05:09 \+0000\n\nkeepalive-ts \(/);
    assert.throws(
      () => changelogTopVersion('garbage'),
      /changelog:1: not a Debian changelog entry/,
    );
    assert.equal(
      rfc2822(new Date(Date.UTC(2027, 0, 1, 0, 0, 0))),
      'Fri, 01 Jan 2027 00:00:00 +0000',
    );
  });

  it('parses dpkg-shlibdeps output, and says so when it has none', () => {
    assert.equal(parseShlibs('shlibs:Depends=libc6 (>= 2.34)\n'), 'libc6 (>= 2.34)');
    assert.throws(() => parseShlibs('dpkg-shlibdeps: error: x'), /printed no shlibs:Depends/);
  });

  it('payload: every source exists; conffiles are shipped under /etc', () => {
    for (const f of PAYLOAD)
      if (!['EXECUTABLE', 'CHANGELOG'].includes(f.from))
        assert.ok(fs.existsSync(path.join(ROOT, f.from)), f.from);
    for (const c of CONFFILES) {
      assert.ok(c.startsWith('/etc/'));
      assert.ok(
        PAYLOAD.some((f) => f.to === c),
        c,
      );
    }
  });

  it('unit: notify + watchdog, config test before start and before the HUP of a reload', () => {
    assert.deepEqual(unitLines('Type'), ['notify']);
    assert.equal(unitLines('WatchdogSec').length, 1);
    assert.deepEqual(unitLines('ExecStartPre'), [`${EXECUTABLE_PATH} -t -f ${CONFIG_PATH}`]);
    assert.deepEqual(unitLines('ExecReload'), [
      `${EXECUTABLE_PATH} -t -f ${CONFIG_PATH}`,
      '/bin/kill -HUP $MAINPID',
    ]);
    assert.ok(unitLines('ExecStart')[0].startsWith(`${EXECUTABLE_PATH} -f ${CONFIG_PATH} -n`));
    assert.match(unitLines('CapabilityBoundingSet')[0], /CAP_NET_ADMIN CAP_NET_RAW/);
  });

  it('maintainer scripts never restart the service; stop only on remove', () => {
    for (const s of ['postinst', 'prerm', 'postrm'])
      assert.doesNotMatch(
        read(`packaging/deb/${s}`).replace(/^\s*#.*$/gm, ''),
        /restart/,
        `${s} must not restart`,
      );
    assert.match(read('packaging/deb/postinst'), /deb-systemd-invoke reload "\$unit"/);
    assert.match(
      read('packaging/deb/prerm'),
      /\[ "\$1" = remove \][^\n]*\n\s*deb-systemd-invoke stop/,
    );
  });

  it('the default configuration passes the strict config test and declares no instance', () => {
    const r = parseFile(path.join(ROOT, 'packaging/deb/keepalived.conf'), fsHost, {
      configId: 'x',
    });
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.ok);
    assert.equal(r.config.vrrp_instance.length, 0);
    assert.equal(r.config.virtual_server.length, 0);
  });
});
