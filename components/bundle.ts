// The daemon as shipped to a director: bin/, the compiled daemon, the native
// addon and its one runtime dependency, in a reproducible tar.gz (sorted,
// fixed times and owners), so an unchanged build never re-triggers an install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { sha256 } from './render';

export const ROOT = path.resolve(__dirname, '../..');
export const BUNDLE_FILES = [
  'bin/keepalive-ts',
  'dist/daemon',
  'dist/native',
  'package.json',
  // the daemon's runtime dependencies
  'node_modules/commander',
  'node_modules/prom-client',
  'node_modules/@opentelemetry/api',
  'node_modules/tdigest',
  'node_modules/bintrees',
];

export function buildBundle(root = ROOT): { base64: string; sha256: string; bytes: number } {
  for (const f of BUNDLE_FILES) {
    if (!existsSync(path.join(root, f)))
      throw new Error(`bundle: ${f} is missing (run npm run build)`);
  }
  const tgz = execFileSync(
    'tar',
    [
      '-C',
      root,
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--exclude=*.map',
      '--use-compress-program=gzip -n',
      '-c',
      ...BUNDLE_FILES,
    ],
    { maxBuffer: 256 << 20 },
  );
  return {
    base64: tgz.toString('base64'),
    sha256: sha256(tgz.toString('base64')),
    bytes: tgz.length,
  };
}
