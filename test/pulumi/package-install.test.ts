// install: package under Pulumi's mock runtime: the .deb is copied by
// remote.CopyToRemote (a file asset: its bytes never enter the state), after
// the upload folder exists, and the install command waits for the copy.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { daemonArtifact } from '../../components/bundle';
import { DirectorPair } from '../../components/index';
import { readStackSpec } from '../../components/stack-file';

describe('Pulumi components (mocks): install: package', function () {
  this.timeout(30_000);
  const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
  let dir: string;
  let pair: DirectorPair;

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.push({ type: a.type, name: a.name, inputs: a.inputs });
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
      },
      'keepalive',
      'lab',
      false,
    );
    dir = mkdtempSync(path.join(tmpdir(), 'kts-pkgmock-'));
    const deb = path.join(dir, 'keepalive-ts_1.0_amd64.deb');
    writeFileSync(deb, 'not really a deb');
    const spec = { ...readStackSpec('lab'), install: 'package' as const, packageFile: deb };
    const ssh = {
      user: 'root',
      port: 22,
      privateKey: pulumi.secret('PRIVATE'),
      hostKeys: { d1: 'ssh-ed25519 K1', d2: 'ssh-ed25519 K2' },
    };
    pair = new DirectorPair('pair', { spec, stack: 'lab', ssh, artifact: daemonArtifact(spec) });
    await new Promise((res) => pair.master.apply(res));
    for (const i of pair.installs) await new Promise((res) => i.command.urn.apply(res));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the .deb as a file asset to the path the install step checks, keyed by its hash', async () => {
    const copies = registered.filter((r) => r.type === 'command:remote:CopyToRemote');
    assert.deepEqual(
      copies.map((c) => c.name),
      ['pair-d1-install-upload', 'pair-d2-install-upload'],
    );
    const sha = (
      daemonArtifact({
        ...readStackSpec('lab'),
        install: 'package',
        packageFile: path.join(dir, 'keepalive-ts_1.0_amd64.deb'),
      }) as { sha256: string }
    ).sha256;
    for (const c of copies) {
      assert.equal(
        c.inputs.remotePath,
        `/var/cache/keepalive-suite/keepalive-ts_${sha.slice(0, 16)}.deb`,
      );
      assert.deepEqual(c.inputs.triggers, [sha]);
      // a file asset: the state holds its path and hash, not its bytes
      assert.equal(
        await (c.inputs.source as unknown as { path?: Promise<string> }).path,
        path.join(dir, 'keepalive-ts_1.0_amd64.deb'),
      );
    }
    const installs = registered.filter((r) => r.name.endsWith('-install-cmd'));
    assert.equal(installs.length, 2);
    for (const i of installs) {
      assert.equal(i.inputs.stdin, undefined);
      assert.match(String(i.inputs.create), new RegExp(`sha256 ${sha}`));
    }
  });

  it('a missing .deb is a clear error naming the config path', () => {
    assert.throws(
      () =>
        daemonArtifact({
          ...readStackSpec('lab'),
          install: 'package',
          packageFile: path.join(dir, 'absent.deb'),
        }),
      /keepalive:cluster\.packageFile: .*absent\.deb: not found \(build it with npm run package:deb\)/,
    );
  });
});
