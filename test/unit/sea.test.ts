// The single executable's parts that run without it: the embedded-addon path
// on the addon `npm run build` made (loaded from a private copy that is gone
// afterwards, an unusable directory skipped, every directory named when none
// works), the assets the build embeds, and which node may be its runtime.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inSea, SEA_ASSETS, seaAsset } from '../../daemon/core/sea';
import { addonDirCandidates, loadEmbeddedAddon } from '../../daemon/net/embedded-addon';
import type { NativeSock } from '../../daemon/net/native';
import { runtimeProblem, seaConfig, seaLayout } from '../../scripts/sea/layout';

const ADDON = path.resolve(__dirname, '../../native/sock.node');

describe('the embedded native addon (single executable)', () => {
  let parent: string;
  beforeEach(() => (parent = mkdtempSync(path.join(tmpdir(), 'kts-addon-test-'))));
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('loads the addon from a private copy and leaves no file behind', () => {
    const sock = loadEmbeddedAddon<NativeSock>(readFileSync(ADDON), [parent]);
    assert.equal(sock.ifindex('lo'), 1, 'the loaded addon works');
    assert.equal(typeof sock.gettid(), 'number');
    assert.deepEqual(readdirSync(parent), []);
  });

  it('skips a directory it cannot use and takes the next one', () => {
    const missing = path.join(parent, 'missing');
    const sock = loadEmbeddedAddon<NativeSock>(readFileSync(ADDON), [missing, parent]);
    assert.equal(sock.ifindex('lo'), 1);
    assert.deepEqual(readdirSync(parent), []);
  });

  it('names every directory tried when none works, and removes its copies', () => {
    const missing = path.join(parent, 'missing');
    assert.throws(
      () => loadEmbeddedAddon(Buffer.from('not an ELF file'), [missing, parent]),
      (e: Error) =>
        e.message.startsWith('cannot load the embedded native addon') &&
        e.message.includes(`${missing}: `) &&
        e.message.includes(`${parent}: `),
    );
    assert.deepEqual(readdirSync(parent), [], 'the failed copy is removed too');
  });

  it('tries $TMPDIR first, each directory once', () => {
    assert.deepEqual(addonDirCandidates('/scratch'), ['/scratch', '/var/tmp', '/run']);
    assert.deepEqual(addonDirCandidates('/var/tmp'), ['/var/tmp', '/run']);
  });

  it('outside the executable: no assets, the files beside the code are used', () => {
    assert.equal(inSea(), false);
    assert.equal(seaAsset(SEA_ASSETS.nativeAddon), undefined);
  });

  it('the build embeds every asset the daemon asks for', () => {
    const assets = seaConfig(seaLayout('/checkout')).assets;
    assert.deepEqual(Object.keys(assets).sort(), Object.values(SEA_ASSETS).sort());
    assert.equal(assets[SEA_ASSETS.nativeAddon], '/checkout/dist/native/sock.node');
  });

  describe('which node can be the runtime', () => {
    const STATIC_LDD = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007fa9)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007fa9)',
      '\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007fa9)',
      '\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007fa9)',
      '\tlibpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007fa9)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa9)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007fa9)',
    ].join('\n');

    it('takes a Node >= 20.12 with the fuse, linked to the C and C++ runtimes only', () => {
      assert.equal(runtimeProblem('v20.20.2', true, STATIC_LDD), undefined);
      assert.equal(runtimeProblem('v22.1.0', true, ''), undefined);
    });

    it('refuses an old Node, one without the fuse, and one linked to libnode', () => {
      assert.match(runtimeProblem('v18.19.0', true, STATIC_LDD)!, /too old/);
      assert.match(runtimeProblem('v20.11.1', true, STATIC_LDD)!, /too old/);
      assert.match(runtimeProblem('v20.20.2', false, STATIC_LDD)!, /without single-executable/);
      const debian = `${STATIC_LDD}\n\tlibnode.so.108 => /lib/x86_64-linux-gnu/libnode.so.108 (0x1)\n\tlibuv.so.1 => /lib/x86_64-linux-gnu/libuv.so.1 (0x1)`;
      assert.match(
        runtimeProblem('v20.20.2', true, debian)!,
        /linked to libnode\.so\.108, libuv\.so\.1:/,
      );
    });
  });
});
