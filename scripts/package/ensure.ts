// The .deb for tests that install it through the suite: the executable of this
// checkout (rebuilt when older than the daemon) packed once per test run with
// gzip -1 (the release uses xz; the bytes installed are the same), or the
// reason there can be none here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../components/bundle';
import { ensureSeaBuilt, seaUnsupported } from '../sea/ensure';
import { seaLayout } from '../sea/layout';
import { buildDeb } from './build-deb';

let built: Promise<string | { reason: string }> | undefined;

async function build(): Promise<string | { reason: string }> {
  const tools = spawnSync('sh', ['-c', 'command -v dpkg-deb && command -v dpkg-shlibdeps']);
  if (tools.status !== 0) return { reason: 'dpkg-deb / dpkg-shlibdeps (dpkg-dev) not installed' };
  const why = seaUnsupported();
  if (why) return { reason: `no single executable: ${why}` };
  const sea = seaLayout(ROOT);
  await ensureSeaBuilt(sea);
  const out = mkdtempSync(path.join(tmpdir(), 'kts-testdeb-'));
  // shared by every test of the run: removed when the run ends
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  return buildDeb({
    root: ROOT,
    version: '0.1.0',
    executable: sea.executable,
    outDir: out,
    fast: true,
  });
}

/** The path of a .deb of this checkout, or why there is none. */
export function ensurePackage(): Promise<string | { reason: string }> {
  return (built ??= build());
}
