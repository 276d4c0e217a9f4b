// keepalived's script security as a pure decision over a fake file system.
import { strict as assert } from 'node:assert';
import {
  checkScript,
  pathPrefixes,
  type FileInfo,
  type FsView,
} from '../../../daemon/system/script-security';
import { parseAccounts, scriptIdentity } from '../../../daemon/system/script-user';

const dir = (mode = 0o755, uid = 0, gid = 0): FileInfo => ({ kind: 'dir', mode, uid, gid });
const file = (mode = 0o755, uid = 0, gid = 0): FileInfo => ({ kind: 'file', mode, uid, gid });

function fakeFs(tree: Record<string, FileInfo>, links: Record<string, string> = {}): FsView {
  return {
    lstat: (p) => (links[p] ? { kind: 'link', mode: 0o777, uid: 0, gid: 0 } : tree[p]),
    stat: (p) => tree[links[p] ?? p],
    realpath: (p) => links[p] ?? (tree[p] ? p : undefined),
    which: (n) => (tree[`/usr/bin/${n}`] ? `/usr/bin/${n}` : undefined),
  };
}
const base = { '/': dir(), '/etc': dir(), '/etc/keepalived': dir(), '/tmp': dir(0o1777) };
const root = { uid: 0, gid: 0 };

describe('script security (keepalived check_script_secure)', () => {
  it('walks every directory from / to the file', () => {
    assert.deepEqual(pathPrefixes('/etc/keepalived/chk.sh'), [
      '/',
      '/etc',
      '/etc/keepalived',
      '/etc/keepalived/chk.sh',
    ]);
  });

  it('a root-owned script in root-owned directories runs as root', () => {
    const fs = fakeFs({ ...base, '/etc/keepalived/chk.sh': file() });
    assert.deepEqual(checkScript('/etc/keepalived/chk.sh', root, true, fs), {
      run: true,
      path: '/etc/keepalived/chk.sh',
      insecure: false,
    });
  });

  for (const [what, tree, why] of [
    ['a world-writable script', { '/etc/keepalived/chk.sh': file(0o777) }, 'writable by everyone'],
    [
      'a group-writable script (non-root group)',
      { '/etc/keepalived/chk.sh': file(0o775, 0, 100) },
      'writable by group 100',
    ],
    [
      'a script owned by another user',
      { '/etc/keepalived/chk.sh': file(0o755, 1000) },
      'owned by uid 1000',
    ],
    [
      'a world-writable directory without the sticky bit',
      { '/etc/keepalived': dir(0o777), '/etc/keepalived/chk.sh': file() },
      '/etc/keepalived: writable by everyone',
    ],
  ] as const) {
    it(`${what}: refused with enable_script_security, run with a warning without`, () => {
      const fs = fakeFs({ ...base, ...tree });
      const on = checkScript('/etc/keepalived/chk.sh', root, true, fs);
      assert.equal(on.run, false);
      assert.equal(on.insecure, true);
      assert.match((on as { reason: string }).reason, new RegExp(why));
      const off = checkScript('/etc/keepalived/chk.sh', root, false, fs);
      assert.deepEqual([off.run, off.insecure], [true, true]);
    });
  }

  it('a sticky world-writable directory (/tmp) is fine; a group-writable root group is fine', () => {
    const fs = fakeFs({ ...base, '/tmp/x.sh': file(0o775) });
    assert.equal(checkScript('/tmp/x.sh', root, true, fs).run, true);
  });

  it('scripts run by an unprivileged user are not checked (nothing to escalate)', () => {
    const fs = fakeFs({ ...base, '/etc/keepalived/chk.sh': file(0o777) });
    assert.deepEqual(checkScript('/etc/keepalived/chk.sh', { uid: 1000, gid: 1000 }, true, fs), {
      run: true,
      path: '/etc/keepalived/chk.sh',
      insecure: false,
    });
  });

  it('a symlink: the link path and its target are both checked', () => {
    const fs = fakeFs(
      { ...base, '/home': dir(0o755, 1000), '/home/chk.sh': file(0o755, 0) },
      { '/etc/keepalived/chk.sh': '/home/chk.sh' },
    );
    const v = checkScript('/etc/keepalived/chk.sh', root, true, fs);
    assert.equal(v.run, false);
    assert.match((v as { reason: string }).reason, /\/home: owned by uid 1000/);
  });

  it('missing, not executable for the user, bare names from PATH', () => {
    const fs = fakeFs({
      ...base,
      '/usr': dir(),
      '/usr/bin': dir(),
      '/usr/bin/pidof': file(),
      '/etc/keepalived/x': file(0o700, 0),
    });
    assert.equal(checkScript('/nope', root, false, fs).run, false);
    assert.equal(checkScript('pidof', root, true, fs).path, '/usr/bin/pidof');
    assert.equal(checkScript('pidof', root, true, fs).run, true);
    const v = checkScript('/etc/keepalived/x', { uid: 1000, gid: 1000 }, false, fs);
    assert.equal(v.run, false);
    assert.match((v as { reason: string }).reason, /not executable for uid:gid 1000:1000/);
  });
});

describe('script user (keepalived script_user)', () => {
  const a = parseAccounts(
    'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\nkeepalived_script:x:990:990::/:/bin/false\n',
    'root:x:0:\nnogroup:x:65534:\nadm:x:4:\n',
  );
  const self = { uid: 0, gid: 0 };
  it("a script's own user wins, then script_user, then keepalived_script, then ourselves", () => {
    assert.deepEqual(scriptIdentity({ user: 'nobody', group: 'adm' }, { user: 'root' }, a, self), {
      uid: 65534,
      gid: 4,
    });
    assert.deepEqual(scriptIdentity(undefined, { user: 'nobody' }, a, self), {
      uid: 65534,
      gid: 65534,
    });
    assert.deepEqual(scriptIdentity(undefined, undefined, a, self), { uid: 990, gid: 990 });
    const none = parseAccounts('root:x:0:0::/:/bin/sh\n', '');
    assert.deepEqual(scriptIdentity(undefined, undefined, none, self), self);
  });
  it('an unknown user or group is named', () => {
    assert.equal(
      scriptIdentity({ user: 'ghost' }, undefined, a, self),
      "script user 'ghost' does not exist",
    );
    assert.equal(
      scriptIdentity({ user: 'nobody', group: 'ghosts' }, undefined, a, self),
      "script group 'ghosts' does not exist",
    );
  });
});
