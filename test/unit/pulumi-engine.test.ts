// scripts/pulumi-engine.sh: which engine it takes, and its one-line refusals,
// with stand-in programs on PATH (no real engine needed).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../../components/stack-file';

describe('pulumi-engine.sh', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kts-engine-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** a stand-in program in `bin` that prints `out` */
  const fake = (bin: string, name: string, out = '') => {
    mkdirSync(path.join(dir, bin), { recursive: true });
    const f = path.join(dir, bin, name);
    writeFileSync(f, `#!/bin/sh\n${out ? `echo ${out}\n` : ''}exit 0\n`);
    chmodSync(f, 0o755);
  };
  const run = (bins: string[]) =>
    spawnSync('bash', [path.join(projectRoot(), 'scripts/pulumi-engine.sh')], {
      encoding: 'utf8',
      env: {
        HOME: dir,
        PULUMI_HOME: path.join(dir, 'home'),
        PULUMI_ENGINE_DIR: path.join(dir, 'cache'),
        // no go: the build path must not start
        PATH: [
          ...bins.map((b) => path.join(dir, b)),
          path.dirname(process.execPath),
          '/usr/bin',
          '/bin',
        ].join(':'),
      },
    });

  it('refuses in one line when there is no CLI', () => {
    const r = run([]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /no Pulumi CLI: install Pulumi v3 >= 3\.\d+\.\d+/);
  });

  it('refuses a CLI older than the minimum, or not v3', () => {
    fake('a', 'pulumi', 'v3.99.9');
    fake('a', 'pulumi-language-nodejs');
    fake('a', 'pulumi-resource-command');
    assert.match(run(['a']).stderr, /is v3\.99\.9; this project needs Pulumi v3 >= 3\.100\.0/);
    fake('b', 'pulumi', 'v4.0.0');
    assert.equal(run(['b', 'a']).status, 1);
  });

  it('takes any newer v3 CLI with its language host and the provider on PATH', () => {
    fake('a', 'pulumi', 'v3.260.0');
    fake('a', 'pulumi-language-nodejs');
    fake('c', 'pulumi-resource-command');
    const r = run(['a', 'c']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(dir, 'a'));
  });

  it('refuses when the command provider is nowhere and cannot be installed', () => {
    fake('a', 'pulumi-language-nodejs');
    mkdirSync(path.join(dir, 'a'), { recursive: true });
    // a CLI whose `plugin install` fails (no plugin source reachable)
    writeFileSync(
      path.join(dir, 'a', 'pulumi'),
      '#!/bin/sh\ncase "$1" in version) echo v3.248.0;; *) exit 1;; esac\n',
    );
    chmodSync(path.join(dir, 'a', 'pulumi'), 0o755);
    const r = run(['a']);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /no command provider \d+\.\d+\.\d+: not on PATH, not in the plugin cache/,
    );
  });

  it('prefers a complete engine in the engine cache', () => {
    const v = (p: string) =>
      (
        JSON.parse(
          readFileSync(path.join(projectRoot(), 'node_modules', p, 'package.json'), 'utf8'),
        ) as { version: string }
      ).version;
    const bin = `cache/v${v('@pulumi/pulumi')}-cmd${v('@pulumi/command')}/bin`;
    for (const n of ['pulumi', 'pulumi-language-nodejs', 'pulumi-resource-command']) fake(bin, n);
    const r = run([]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(dir, bin));
  });
});
