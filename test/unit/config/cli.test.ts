// The -t / --dump-config command line, run as a process like operators run it.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'bin/keepalive-ts');
const fixtures = path.join(root, 'test/fixtures');

function run(args: string[], cwd = fixtures) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('keepalive-ts -t (config test)', () => {
  it('prints the golden diagnostics for a broken config and exits 1', () => {
    const r = run(['-t', '-f', 'bad.conf'], path.join(fixtures, 'diagnostics'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, readFileSync(path.join(fixtures, 'diagnostics/bad.expected'), 'utf8'));
  });

  it('exits 0 for the seed configs (warnings allowed) and 1 with --strict', () => {
    const ok = run(['-t', '-f', 'seed-master.conf']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /seed-master\.conf:26: warning: unknown keyword 'net_mask'/);
    assert.equal(run(['-t', '--strict', '-f', 'seed-master.conf']).code, 1);
  });

  it('checks several peer configs together', () => {
    const r = run(['-t', '-f', 'seed-master.conf', '-f', 'seed-backup.conf']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /seed-backup\.conf:8: warning: state: unknown state 'SLAVE'/);
    assert.match(r.stderr, /valid \(0 error\(s\), 3 warning\(s\)\)/);
  });

  it('gives machine-readable diagnostics with --json', () => {
    const r = run(['-t', '--json', '-f', 'bad.conf'], path.join(fixtures, 'diagnostics'));
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as {
      valid: boolean;
      diagnostics: { line: number; level: string; message: string }[];
    };
    assert.equal(j.valid, false);
    assert.deepEqual(
      j.diagnostics.filter((d) => d.level === 'error').map((d) => d.line),
      [11, 22, 33, 35],
    );
  });

  it('fails clearly for a missing file', () => {
    const r = run(['-t', '-f', 'nope.conf']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.conf:0: error: cannot read/);
  });
});

describe('keepalive-ts --dump-config', () => {
  it('prints the normalised model as JSON without source positions', () => {
    const out = execFileSync(process.execPath, [bin, '--dump-config', '-f', 'seed-master.conf'], {
      cwd: fixtures,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = JSON.parse(out);
    assert.equal(m.vrrp_instance[0].priority, 100);
    assert.equal(m.virtual_server[0].real_server[1].checkers[0].retry, 3);
    assert.ok(!out.includes('"at"'));
  });
});
