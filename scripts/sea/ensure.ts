// For the executable's test and benchmark: can this checkout build it, and
// is the one in dist/sea as new as the daemon it was built from?
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { runtimeProblem, SEA_FUSE, type SeaLayout } from './layout';

/** Why the node running us cannot become the executable's runtime (see runtimeProblem). */
export function seaRuntimeProblem(): string | undefined {
  const runtime = process.execPath;
  let ldd = '';
  try {
    ldd = execFileSync('ldd', [runtime], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    /* no ldd (or a static binary): nothing to say about its libraries */
  }
  const problem = runtimeProblem(process.version, readFileSync(runtime).includes(SEA_FUSE), ldd);
  return problem && `${runtime}: ${problem}`;
}

/** Why no executable can be built here, or undefined when it can. */
export function seaUnsupported(): string | undefined {
  for (const dep of ['esbuild', 'postject'])
    try {
      require.resolve(dep);
    } catch {
      return `the npm package ${dep} is not installed (npm ci)`;
    }
  return seaRuntimeProblem();
}

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(p).map((f) => newestMtime(path.join(p, f))));
}

/** Run the build (scripts/sea/build.ts) unless the executable is newer than every input. */
export async function ensureSeaBuilt(l: SeaLayout): Promise<void> {
  const inputs = Math.max(newestMtime(path.join(l.root, 'dist/daemon')), newestMtime(l.addon));
  if (existsSync(l.executable) && statSync(l.executable).mtimeMs > inputs) return;
  const build = path.join(l.root, 'dist/scripts/sea/build.js');
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [build], { timeout: 300_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`build:sea failed: ${stderr.trim() || err.message}`)) : resolve(),
    ),
  );
}
