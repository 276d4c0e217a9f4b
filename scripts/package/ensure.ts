// The .deb for tests that install it: built once per test run with
// `npm run package:deb` (the executable and the package from this checkout),
// or the reason there is none (no Debian packaging tools here).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { newestPackage, ROOT } from '../../components/bundle';

let built: string | { reason: string } | undefined;

/** The path of a .deb of this checkout, or why there is none. */
export function ensurePackage(): string | { reason: string } {
  if (built) return built;
  const tools = spawnSync('sh', ['-c', 'command -v dpkg-deb && command -v dpkg-buildpackage'], {
    encoding: 'utf8',
  });
  if (tools.status !== 0) return (built = { reason: 'dpkg-deb / dpkg-buildpackage not installed' });
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  if (!scripts['package:deb'])
    return (built = { reason: 'this checkout has no npm run package:deb' });
  const r = spawnSync('npm', ['run', '--silent', 'package:deb'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(`npm run package:deb failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const deb = newestPackage();
  if (!deb) throw new Error('npm run package:deb made no dist/deb/keepalive-ts_*_amd64.deb');
  return (built = deb);
}
