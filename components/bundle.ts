// The daemon as shipped to a director: bin/, the compiled daemon, the native
// addon and its one runtime dependency, in a reproducible tar.gz (sorted,
// fixed times and owners), so an unchanged build never re-triggers an install.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { DaemonArtifact } from './plan';
import { sha256 } from './render';
import { installMode, type ClusterSpec } from './spec';

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

/** The newest keepalive-ts .deb built by `npm run package:deb` (dist/deb), or undefined. */
export function newestPackage(root = ROOT): string | undefined {
  const dir = path.join(root, 'dist/deb');
  if (!existsSync(dir)) return undefined;
  const debs = readdirSync(dir).filter((f) => /^keepalive-ts_.+_amd64\.deb$/.test(f));
  debs.sort((a, b) => statSync(path.join(dir, b)).mtimeMs - statSync(path.join(dir, a)).mtimeMs);
  return debs.length ? path.join(dir, debs[0]) : undefined;
}

/**
 * What the install step ships for this declaration: the bundle, our .deb
 * (`packageFile`, relative to the project root, else the newest one built), or
 * nothing (Debian's keepalived comes from the host's package sources).
 */
export function daemonArtifact(spec: ClusterSpec, root = ROOT): DaemonArtifact | undefined {
  if (spec.daemon !== 'keepalive-ts') return undefined;
  if (installMode(spec) === 'bundle') return buildBundle(root);
  const deb = spec.packageFile ? path.resolve(root, spec.packageFile) : newestPackage(root);
  if (!deb || !existsSync(deb))
    throw new Error(
      `keepalive:cluster.packageFile: ${deb ?? 'no dist/deb/keepalive-ts_*_amd64.deb'}: not found (build it with npm run package:deb)`,
    );
  return { deb, sha256: sha256(readFileSync(deb)) };
}
