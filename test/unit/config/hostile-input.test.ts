// Hostile config files: deep and exploding includes, huge files and lines,
// binary and non-UTF-8 bytes. Each gives a clear FILE:LINE error, quickly,
// never an exception (keepalived 2.2.7 for comparison: no include depth
// limit, 1023-byte lines split silently, a NUL cuts the line).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fsHost, readBounded } from '../../../daemon/config/fs-host';
import { parseFile } from '../../../daemon/config/index';
import { parse } from './helpers';

const timed = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
};

describe('config reader on hostile input', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kts-hostile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops includes nested more than 32 deep at the include line', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`n${i}.conf`] = `global_defs {\n}\ninclude n${i + 1}.conf\n`;
    const r = parse('include n0.conf\n', files);
    assert.equal(r.ok, false);
    const e = r.diagnostics.filter((d) => d.level === 'error');
    assert.equal(e.length, 1, r.diags.join('\n'));
    assert.equal(e[0].file, '/cfg/n30.conf');
    assert.equal(e[0].line, 3);
    assert.equal(e[0].message, 'include: nested more than 32 deep');
  });

  it('bounds an include fan-out (each level includes the next 100 times) by file reads', () => {
    const fan = (next: string) => `include ${next}\n`.repeat(100);
    const [r, ms] = timed(() =>
      parse('include a.conf\n', {
        'a.conf': fan('b.conf'),
        'b.conf': fan('c.conf'),
        'c.conf': fan('d.conf'),
        'd.conf': 'global_defs {\n}\n',
      }),
    );
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.level === 'error').map((d) => d.message),
      ['include: more than 10000 file reads or 32 MiB of configuration in all'],
    );
    assert.ok(ms < 5000, `${ms} ms`);
  });

  it('reports a NUL byte (binary data) at its line and reads no further', () => {
    const r = parse('global_defs {\n router_id a\0b\n bogus 1\n}\n');
    assert.equal(r.ok, false);
    assert.ok(
      r.diags.includes(
        '2 error NUL byte: binary data, not a config file; rest of the file ignored',
      ),
      r.diags.join('\n'),
    );
    assert.ok(!r.diags.some((d) => d.includes('bogus')), 'nothing after the NUL was read');
  });

  it('refuses a binary file with one error, not thousands', () => {
    const bytes = Buffer.alloc(256 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + (i >> 8)) & 0xff;
    const f = path.join(dir, 'bin.conf');
    writeFileSync(f, bytes);
    const [r, ms] = timed(() => parseFile(f, fsHost));
    assert.equal(r.ok, false);
    assert.ok(r.diagnostics.length <= 3, r.diagnostics.map((d) => d.message).join('\n'));
    assert.match(r.diagnostics.find((d) => d.level === 'error')!.message, /NUL byte/);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('accepts bytes that are not UTF-8 in comments, refuses them in values (FILE:LINE)', () => {
    const f = path.join(dir, 'latin1.conf');
    writeFileSync(
      f,
      Buffer.concat([
        Buffer.from('# r\xe9glage du routeur\nglobal_defs {\n router_id ', 'latin1'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('\n}\n'),
      ]),
    );
    const r = parseFile(f, fsHost);
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`),
      [`${f}:3: bytes that are not UTF-8 (shown as U+FFFD) outside a comment`],
    );
    // valid UTF-8 and a byte-order mark are fine
    writeFileSync(f, '\ufeffglobal_defs {\n router_id \u8def\u7531\n}\n');
    assert.deepEqual(parseFile(f, fsHost).diagnostics, []);
  });

  it('refuses a line longer than 64 KiB quickly, before decommenting it', () => {
    const [r, ms] = timed(() => parse(`global_defs {\n router_id ${'a'.repeat(4 << 20)}\n}\n`));
    assert.deepEqual(
      r.diags.filter((d) => d.includes('error')),
      ['2 error line longer than 65536 characters'],
    );
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('reads at most 8 MiB of a file: a bigger file and /dev/zero are refused with the file named', () => {
    const f = path.join(dir, 'huge.conf');
    writeFileSync(f, Buffer.alloc(9 << 20, '# padding padding padding\n'));
    const [r, ms] = timed(() => parseFile(f, fsHost));
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`),
      [`${f}:0: cannot read '${f}': larger than 8388608 bytes, the limit for one config file`],
    );
    assert.ok(ms < 2000, `${ms} ms`);
    const main = path.join(dir, 'main.conf');
    writeFileSync(main, 'global_defs {\n}\ninclude huge.conf\n');
    const inc = parseFile(main, fsHost);
    assert.equal(inc.ok, false);
    assert.equal(inc.diagnostics[0].file, main);
    assert.equal(inc.diagnostics[0].line, 3);
    assert.throws(() => readBounded('/dev/zero', 1 << 20), /larger than 1048576 bytes/);
    assert.equal(readBounded(f, 16 << 20).length, 9 << 20);
  });

  it('keepalive-ts -t on hostile files: FILE:LINE errors and exit 1, never a stack trace', () => {
    const bin = path.resolve(__dirname, '../../../../bin/keepalive-ts');
    const bin1 = path.join(dir, 'binary.conf');
    writeFileSync(bin1, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x0a]));
    const self = path.join(dir, 'self.conf');
    writeFileSync(self, 'include self.conf\n');
    for (const f of [bin1, self, '/dev/zero']) {
      const r = spawnSync(process.execPath, [bin, '-t', '-f', f], { encoding: 'utf8' });
      assert.equal(r.status, 1, `${f}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^${f}:\\d+: error: `, 'm'), r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${f}: a stack trace`);
    }
  });
});
