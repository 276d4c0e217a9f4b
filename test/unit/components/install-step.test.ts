// The install step run for real in a temporary folder: a bundle made here
// (bin/keepalive-ts that prints its version), the script cut short after
// every line as an interrupted run would leave it, then the full script. A
// stand-in `node` on PATH (runs the bundle's shell script) keeps it fast.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { installScripts, releaseName, releasesDir } from '../../../components/install-step';

function bundle(dir: string, version: string) {
  const src = path.join(dir, `src-${version}`);
  mkdirSync(path.join(src, 'bin'), { recursive: true });
  writeFileSync(path.join(src, 'bin/keepalive-ts'), `echo ${version}\n`, { mode: 0o755 });
  const base64 = execFileSync('tar', ['-C', src, '-cz', 'bin']).toString('base64');
  return { base64, sha256: createHash('sha256').update(base64).digest('hex') };
}

/** The installed version, or absent; throws when the install dir is there but broken. */
function installed(installDir: string): string {
  if (!existsSync(installDir)) {
    assert.ok(!lstatSync(path.dirname(installDir)).isSymbolicLink());
    return 'absent';
  }
  return execFileSync('sh', [path.join(installDir, 'bin/keepalive-ts')], {
    encoding: 'utf8',
  }).trim();
}

let fakeBin = '';
const sh = (script: string, input: string) =>
  spawnSync('sh', ['-c', script], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` },
  });

describe('install step (versioned releases, one atomic symlink swap)', function () {
  this.timeout(20_000);
  let dir: string;
  let installDir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-install-'));
    installDir = path.join(dir, 'opt', 'app');
    fakeBin = path.join(dir, 'bin');
    mkdirSync(fakeBin);
    writeFileSync(
      path.join(fakeBin, 'node'),
      '#!/bin/sh\n[ "$1" = -p ] && { echo 22.0.0; exit 0; }\nexec sh "$@"\n',
      { mode: 0o755 },
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('installs, and an upgrade interrupted after any line leaves the old or the new release, never none', () => {
    const v1 = bundle(dir, '1.0.0');
    const v2 = bundle(dir, '2.0.0');
    const s1 = installScripts('d1', installDir, v1.sha256);
    const s2 = installScripts('d1', installDir, v2.sha256);
    assert.equal(sh(s1.create, v1.base64).status, 0);
    assert.equal(installed(installDir), '1.0.0');
    assert.ok(lstatSync(installDir).isSymbolicLink());
    // each round moves between the two releases: cut short, checked, then the full run
    let [from, to] = [
      { v: '1.0.0', b: v1, s: s1 },
      { v: '2.0.0', b: v2, s: s2 },
    ];
    const n = s2.create.split('\n').length;
    for (let k = 1; k < n; k++) {
      const lines = to.s.create.split('\n');
      // a multi-line if/for cut short is a syntax error: the shell then ran the lines before it
      sh(lines.slice(0, k).join('\n'), to.b.base64);
      assert.ok(
        [from.v, to.v].includes(installed(installDir)),
        `cut after line ${k}: ${lines[k - 1]}`,
      );
      const r = sh(to.s.create, to.b.base64);
      assert.equal(r.status, 0, `re-run after line ${k}: ${r.stderr}`);
      assert.equal(installed(installDir), to.v);
      [from, to] = [to, from];
    }
    // both releases kept (the running daemon's code may be the older one); no staging left
    assert.deepEqual(
      readdirSync(releasesDir(installDir)).sort(),
      [releaseName(v1.sha256), releaseName(v2.sha256)].sort(),
    );
    // a third and a fourth release: the oldest goes, the current and the two before it stay
    for (const v of ['3.0.0', '4.0.0']) {
      const b = bundle(dir, v);
      assert.equal(sh(installScripts('d1', installDir, b.sha256).create, b.base64).status, 0);
    }
    assert.equal(readdirSync(releasesDir(installDir)).length, 3);
    assert.equal(installed(installDir), '4.0.0');
  });

  it('refuses a bundle cut short on stdin (the client died while sending) and keeps the running release', () => {
    const v1 = bundle(dir, '1.0.0');
    const v2 = bundle(dir, '2.0.0');
    assert.equal(sh(installScripts('d1', installDir, v1.sha256).create, v1.base64).status, 0);
    const r = sh(
      installScripts('d1', installDir, v2.sha256).create,
      v2.base64.slice(0, v2.base64.length >> 1),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /d1: the daemon bundle arrived incomplete/);
    assert.equal(installed(installDir), '1.0.0');
    assert.ok(!existsSync(path.join(releasesDir(installDir), releaseName(v2.sha256))));
  });

  it('moves an install dir from before releases aside, and delete removes everything', () => {
    mkdirSync(path.join(installDir, 'bin'), { recursive: true });
    writeFileSync(path.join(installDir, 'bin/keepalive-ts'), 'echo 0.9\n');
    const v1 = bundle(dir, '1.0.0');
    const s = installScripts('d1', installDir, v1.sha256);
    assert.equal(sh(s.create, v1.base64).status, 0);
    assert.equal(installed(installDir), '1.0.0');
    assert.equal(
      execFileSync('sh', [path.join(releasesDir(installDir), 'legacy/bin/keepalive-ts')], {
        encoding: 'utf8',
      }),
      '0.9\n',
      'kept: the running daemon came from it',
    );
    assert.equal(sh(s.delete, '').status, 0);
    assert.ok(!existsSync(path.dirname(installDir)), 'the install dir and its parent are gone');
  });
});
