import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { parseFile } from '../../../daemon/config/index';
import type { SourceHost } from '../../../daemon/config/reader';
import { applyIncludeCheck } from '../../../daemon/config/include-check';
import { GlibcRandom } from '../../../daemon/config/random';
import { short } from './helpers';

type Entry = string | { dir: true } | { text: string; executable?: true; unreadable?: true };

/** an in-memory file system with directories, executables and unreadable files */
function host(files: Record<string, Entry>): SourceHost {
  const at = (f: string) => files[f];
  return {
    readFile: (f) => {
      const e = at(f);
      if (e === undefined) throw new Error('ENOENT: no such file');
      if (typeof e === 'string') return e;
      if ('dir' in e) throw new Error('EISDIR');
      if (e.unreadable) throw new Error('EACCES: permission denied');
      return e.text;
    },
    glob: (pattern) => {
      const re = new RegExp(
        '^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$',
      );
      return Object.keys(files)
        .filter(
          (k) => re.test(k) && !(typeof files[k] === 'object' && 'dir' in (files[k] as object)),
        )
        .sort();
    },
    stat: (f) => {
      const e = at(f);
      if (e === undefined) return undefined;
      if (typeof e === 'string') return { dir: false, regular: true, executable: false };
      if ('dir' in e) return { dir: true, regular: false, executable: false };
      return { dir: false, regular: true, executable: !!e.executable };
    },
  };
}

const MAIN = '/etc/k/keepalived.conf';
const run = (main: string, files: Record<string, Entry> = {}, seed?: number) => {
  const r = parseFile(
    MAIN,
    host({ '/etc/k': { dir: true }, '/etc/k/conf.d': { dir: true }, [MAIN]: main, ...files }),
    seed === undefined ? {} : { randomSeed: seed },
  );
  return { ...r, diags: r.diagnostics.map((d) => `${path.basename(d.file)}:${short(d)}`) };
};

describe('include_check and the include variants (keepalived lib/parser.c)', () => {
  it('computes the flags as include_check_set: all, read+X, +X, -X', () => {
    assert.equal(applyIncludeCheck(0, []), 15);
    assert.equal(applyIncludeCheck(0, ['match']), 1 | 2);
    assert.equal(applyIncludeCheck(15, ['wildcard_match']), 1 | 4);
    assert.equal(applyIncludeCheck(1, ['+match', '+wildcard_match']), 7);
    assert.equal(applyIncludeCheck(15, ['-read']), 14);
    assert.equal(applyIncludeCheck(0, ['match', 'read']), 3); // a second plain word is ignored
  });

  it('without include_check, a missing file, a directory, an unreadable file are warnings', () => {
    const r = run(
      'include missing.conf\ninclude conf.d\ninclude secret.conf\ninclude conf.d/*.conf\n',
      {
        '/etc/k/secret.conf': { text: '', unreadable: true },
      },
    );
    assert.equal(r.ok, true, r.diags.join('\n'));
    assert.deepEqual(r.diags, [
      "keepalived.conf:1 warning include: config file missing '/etc/k/missing.conf'",
      "keepalived.conf:2 warning include: '/etc/k/conf.d' is a directory - skipping",
      "keepalived.conf:3 warning cannot read '/etc/k/secret.conf': EACCES: permission denied",
      "keepalived.conf:4 warning include: no files match 'conf.d/*.conf'",
    ]);
  });

  it('include_check makes them errors from its line on; read / match / wildcard_match separately', () => {
    const files: Record<string, Entry> = { '/etc/k/run.conf': { text: '', executable: true } };
    const all = run(
      'include a.conf\nglobal_defs {\n include_check\n}\ninclude b.conf\ninclude run.conf\ninclude conf.d/*.x\ninclude nodir/*.conf\n',
      files,
    );
    assert.equal(all.ok, false);
    assert.deepEqual(all.diags, [
      "keepalived.conf:1 warning include: config file missing '/etc/k/a.conf'",
      "keepalived.conf:5 error include: config file missing '/etc/k/b.conf'",
      "keepalived.conf:6 error include: '/etc/k/run.conf' is not a regular non-executable file - skipping",
      "keepalived.conf:7 error include: no files match 'conf.d/*.x'",
      "keepalived.conf:8 error include: config files missing 'nodir/*.conf'",
    ]);
    const read = run(
      'global_defs {\n include_check read\n}\ninclude b.conf\ninclude run.conf\n',
      files,
    );
    assert.deepEqual(read.diags, [
      "keepalived.conf:4 warning include: config file missing '/etc/k/b.conf'",
      "keepalived.conf:5 error include: '/etc/k/run.conf' is not a regular non-executable file - skipping",
    ]);
    const minus = run(
      'global_defs {\n include_check\n include_check -wildcard_match\n}\ninclude b.conf\ninclude conf.d/*.x\n',
    );
    assert.deepEqual(minus.diags, [
      "keepalived.conf:5 error include: config file missing '/etc/k/b.conf'",
      "keepalived.conf:6 warning include: no files match 'conf.d/*.x'",
    ]);
  });

  it('an include_check inside an included file ends with that file', () => {
    const r = run('include inner.conf\ninclude b.conf\n', {
      '/etc/k/inner.conf': 'global_defs {\n include_check\n}\ninclude c.conf\n',
    });
    assert.deepEqual(r.diags, [
      "inner.conf:4 error include: config file missing '/etc/k/c.conf'",
      "keepalived.conf:2 warning include: config file missing '/etc/k/b.conf'",
    ]);
  });

  it('includer, includem, includew, includea check one include', () => {
    const r = run(
      'includem m.conf\nincluder r.conf\nincludew conf.d/*.x\nincludea a.conf\ninclude z.conf\n',
    );
    assert.deepEqual(r.diags, [
      "keepalived.conf:1 error include: config file missing '/etc/k/m.conf'",
      "keepalived.conf:2 warning include: config file missing '/etc/k/r.conf'",
      "keepalived.conf:3 error include: no files match 'conf.d/*.x'",
      "keepalived.conf:4 error include: config file missing '/etc/k/a.conf'",
      "keepalived.conf:5 warning include: config file missing '/etc/k/z.conf'",
    ]);
  });

  it('rejects an unknown include_check type', () => {
    const r = run('global_defs {\n include_check reads\n}\n');
    assert.deepEqual(r.diags, ["keepalived.conf:2 error include_check: unknown type 'reads'"]);
  });
});

describe('${_RANDOM} and random_seed', () => {
  it("is glibc's random(): the values keepalived's srandom(SEED) gives", () => {
    // python3 -c "import ctypes;l=ctypes.CDLL('libc.so.6');l.srandom(42);print([l.random() for _ in range(5)])"
    const g = new GlibcRandom(42);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => g.next()),
      [71876166, 708592740, 1483128881, 907283241, 442951012],
    );
    const z = new GlibcRandom(0); // glibc treats 0 as 1
    assert.deepEqual([z.next(), z.next()], [1804289383, 846930886]);
    const big = new GlibcRandom(4294967295);
    assert.ok(big.next() >= 0);
  });

  const conf = (seedLine: string) =>
    `global_defs {\n router_id r\${_RANDOM}\n${seedLine}}\nvrrp_instance V {\n interface eth0\n virtual_router_id \${_RANDOM 1 255}\n priority \${_RANDOM 100 150}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`;

  it('random_seed makes a config repeatable, with keepalived values; MIN and MAX bound them', () => {
    const a = run(conf(' random_seed 42\n'));
    const b = run(conf(' random_seed 42\n'), {}, undefined);
    assert.deepEqual(a.diags, []);
    // 71876166 % 32768, 708592740 % 255 + 1, 1483128881 % 51 + 100
    assert.equal(a.config.global_defs.router_id, `r${71876166 % 32768}`);
    assert.equal(a.config.vrrp_instance[0].virtual_router_id, (708592740 % 255) + 1);
    assert.equal(a.config.vrrp_instance[0].priority, (1483128881 % 51) + 100);
    assert.equal(a.config.global_defs.random_seed, 42);
    assert.deepEqual(b.config.vrrp_instance[0], a.config.vrrp_instance[0]);
    const other = run(conf(' random_seed 7\n'));
    assert.notEqual(other.config.global_defs.router_id, a.config.global_defs.router_id);
  });

  it('without random_seed the values parse and stay in range', () => {
    for (let seed = 1; seed < 20; seed++) {
      const r = run(conf(''), {}, seed);
      assert.deepEqual(r.diags, []);
      const vi = r.config.vrrp_instance[0];
      assert.ok(vi.virtual_router_id! >= 1 && vi.virtual_router_id! <= 255);
      assert.ok(vi.priority >= 100 && vi.priority <= 150);
    }
  });
});
