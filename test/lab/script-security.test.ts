// Script security for real: a script runs as a throwaway user created for
// this test (its uid in its output), and a world-writable script run as root
// is refused with enable_script_security and runs (with a warning) without.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ScriptGate, REFUSED } from '../../daemon/system/script-gate';
import { must, run } from '../../scripts/lab/sys';

const user = `kts-sec${process.pid % 100000}`;

describe('script security (real processes, a throwaway user)', () => {
  let dir: string;
  const logs: string[] = [];
  const log = (level: string, msg: string) => void logs.push(`${level} ${msg}`);

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    await must('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    // under /root-owned 0755 directories: /tmp is sticky, our folder root-owned
    dir = mkdtempSync('/tmp/kts-sec-');
    chmodSync(dir, 0o755);
  });
  after(async () => {
    await run('userdel', [user]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const script = (name: string, mode: number, out: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, `#!/bin/sh\nid -u > ${out}\n`);
    chmodSync(p, mode);
    return p;
  };

  it('script_user: the script runs with that uid', async () => {
    const outDir = path.join(dir, 'out');
    await must('install', ['-d', '-m', '0777', outDir]);
    const out = path.join(outDir, 'uid');
    const p = script('as-user.sh', 0o755, out);
    const gate = new ScriptGate({ scriptUser: { user }, secure: true, log });
    assert.equal(await gate.run([p], 5000), 0, logs.join('\n'));
    const uid = (await must('id', ['-u', user])).trim();
    assert.equal(readFileSync(out, 'utf8').trim(), uid);
    assert.notEqual(uid, '0');
  });

  it('enable_script_security refuses a world-writable script run as root; without it, it runs', async () => {
    const out = path.join(dir, 'insecure-ran');
    const p = script('insecure.sh', 0o777, out);
    const strict = new ScriptGate({ scriptUser: { user: 'root' }, secure: true, log });
    assert.equal(await strict.run([p], 5000), REFUSED);
    assert.equal(existsSync(out), false, 'it did not run');
    assert.ok(
      logs.some((l) => l.includes(`${p}: unsafe permissions (${p}: writable by everyone)`)),
      logs.join('\n'),
    );
    const lax = new ScriptGate({ scriptUser: { user: 'root' }, secure: false, log });
    assert.equal(await lax.run([p], 5000), 0);
    assert.equal(readFileSync(out, 'utf8').trim(), '0');
    assert.ok(logs.some((l) => l.startsWith('warn SECURITY VIOLATION')));
  });
});
