// The single executable's native addon path, run here on the addon that
// `npm run build` made: the bytes are loaded from a private copy that is gone
// afterwards, an unusable directory is skipped, and when none works the error
// names every directory tried.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inSea, SEA_ASSETS, seaAsset } from '../../../daemon/core/sea';
import { addonDirCandidates, loadEmbeddedAddon } from '../../../daemon/net/embedded-addon';
import type { NativeSock } from '../../../daemon/net/native';
import { seaConfig, seaLayout } from '../../../scripts/sea/layout';

const ADDON = path.resolve(__dirname, '../../../native/sock.node');

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
});
