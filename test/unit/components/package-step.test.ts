// The package install step run for real in a temporary folder, with stand-in
// dpkg, dpkg-query and apt-get on PATH that keep a package database of files:
// destroy removes exactly what install added, an incomplete upload changes
// nothing, the two daemons' packages refuse each other, a re-run after an
// interruption still knows the package was the suite's.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  debInstallScripts,
  keepalivedInstallScripts,
  uploadPath,
  type HostDirs,
} from '../../../components/package-step';

const STANDINS: Record<string, string> = {
  // dpkg-query -W -f '${Status}' PKG
  'dpkg-query': '[ -f "$DB/$4" ] && printf "install ok installed" || exit 1\n',
  dpkg: [
    'echo "dpkg $*" >> "$DB/../calls"',
    'for a in "$@"; do last="$a"; done',
    'case "$*" in',
    '  *--purge*) rm -f "$DB/$last"; rm -f "$BIN";;',
    // the .deb stand-in names its package and version
    '  *-i*) cp "$last" "$DB/keepalive-ts"; printf \'#!/bin/sh\\necho ok\\n\' > "$BIN"; chmod +x "$BIN";;',
    'esac',
  ].join('\n'),
  'apt-get': 'echo "apt-get $*" >> "$DB/../calls"; touch "$DB/keepalived"\n',
  keepalived: 'exit 0\n',
};

describe('package install step (dpkg; destroy removes exactly what install added)', function () {
  this.timeout(20_000);
  let dir: string;
  let dirs: HostDirs;
  let env: NodeJS.ProcessEnv;
  const db = () => path.join(dir, 'db');
  const sh = (script: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8', env });
  const calls = () =>
    existsSync(path.join(dir, 'calls')) ? readFileSync(path.join(dir, 'calls'), 'utf8') : '';
  /** a stand-in .deb uploaded where the step expects it; returns its sha256 */
  const upload = (content: string, corrupt = false) => {
    const sha = createHash('sha256').update(content).digest('hex');
    mkdirSync(dirs.upload, { recursive: true });
    writeFileSync(uploadPath(sha, dirs.upload), corrupt ? content.slice(1) : content);
    return sha;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-pkg-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    mkdirSync(path.join(dir, 'db'));
    for (const [name, body] of Object.entries(STANDINS))
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}`, { mode: 0o755 });
    dirs = {
      state: path.join(dir, 'state'),
      upload: path.join(dir, 'cache'),
      bin: path.join(dir, 'keepalive-ts'),
    };
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, DB: db(), BIN: dirs.bin };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('installs our .deb, and destroy purges it and leaves no record or upload', () => {
    const sha = upload('keepalive-ts 1.0\n');
    const s = debInstallScripts('d1', sha, dirs);
    const r = sh(s.create);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(path.join(db(), 'keepalive-ts'), 'utf8'), 'keepalive-ts 1.0\n');
    assert.match(calls(), /dpkg --force-confold -i /);
    assert.equal(sh(s.delete).status, 0);
    assert.ok(!existsSync(path.join(db(), 'keepalive-ts')), 'not purged');
    assert.match(calls(), /dpkg --purge keepalive-ts/);
    assert.ok(!existsSync(dirs.state) && !existsSync(dirs.upload), 'records or uploads left');
  });

  it('a package installed before the suite is upgraded but stays at destroy', () => {
    writeFileSync(path.join(db(), 'keepalive-ts'), 'keepalive-ts 0.9\n');
    const sha = upload('keepalive-ts 1.0\n');
    const s = debInstallScripts('d1', sha, dirs);
    assert.equal(sh(s.create).status, 0);
    assert.equal(readFileSync(path.join(db(), 'keepalive-ts'), 'utf8'), 'keepalive-ts 1.0\n');
    assert.equal(sh(s.delete).status, 0);
    assert.ok(existsSync(path.join(db(), 'keepalive-ts')), 'a package that was there was removed');
    assert.doesNotMatch(calls(), /--purge/);
    assert.ok(!existsSync(dirs.state));
  });

  it('a re-run (after an interrupted run had installed it) still purges at destroy', () => {
    const sha = upload('keepalive-ts 1.0\n');
    const s = debInstallScripts('d1', sha, dirs);
    assert.equal(sh(s.create).status, 0);
    assert.equal(sh(s.create).status, 0, 'the re-run');
    assert.equal(sh(s.delete).status, 0);
    assert.ok(!existsSync(path.join(db(), 'keepalive-ts')));
  });

  it('an incomplete upload changes nothing and says so; a missing one too', () => {
    const sha = upload('keepalive-ts 1.0\n', true);
    const r = sh(debInstallScripts('d1', sha, dirs).create);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /d1: the package arrived incomplete/);
    assert.equal(calls(), '');
    assert.ok(!existsSync(uploadPath(sha, dirs.upload)), 'the broken upload is removed');
    const gone = sh(debInstallScripts('d1', 'f'.repeat(64), dirs).create);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /was not uploaded/);
  });

  it("refuses our package where Debian's keepalived is installed, and the reverse", () => {
    writeFileSync(path.join(db(), 'keepalived'), '');
    const sha = upload('keepalive-ts 1.0\n');
    const r = sh(debInstallScripts('d1', sha, dirs).create);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /keepalived is installed; the keepalive-ts package conflicts/);
    rmSync(path.join(db(), 'keepalived'));
    writeFileSync(path.join(db(), 'keepalive-ts'), '');
    const k = sh(keepalivedInstallScripts('d1', dirs).create);
    assert.equal(k.status, 1);
    assert.match(k.stderr, /keepalive-ts package is installed/);
  });

  it("Debian's keepalived: installed with apt-get when absent and purged at destroy; left when it was there", () => {
    const s = keepalivedInstallScripts('d1', dirs);
    assert.equal(sh(s.create).status, 0);
    assert.match(calls(), /apt-get install -y -qq keepalived/);
    assert.equal(sh(s.delete).status, 0);
    assert.ok(!existsSync(path.join(db(), 'keepalived')));
    writeFileSync(path.join(dir, 'calls'), '');
    writeFileSync(path.join(db(), 'keepalived'), '');
    assert.equal(sh(s.create).status, 0);
    assert.equal(sh(s.delete).status, 0);
    assert.equal(calls(), '', 'a keepalived that was there is neither installed nor removed');
    assert.ok(existsSync(path.join(db(), 'keepalived')));
  });
});
