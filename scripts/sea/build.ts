// `npm run build:sea`: the daemon as ONE executable that needs no Node.js on
// the director (Debian 12 ships Node 18; the daemon needs 20). Node's
// single-executable applications: esbuild bundles the daemon (with its
// runtime dependencies) and, apart, the VRRP worker thread; the node binary
// running this build is copied, stripped of debug symbols and given the blob
// (bundle + worker + native addon) with postject. Output: dist/sea/keepalive-ts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as esbuild from 'esbuild';
import { seaRuntimeProblem } from './ensure';
import { checkoutRoot, SEA_BLOB_RESOURCE, SEA_FUSE, seaConfig, seaLayout } from './layout';

const fail = (msg: string): never => {
  console.error(`build:sea: ${msg}`);
  process.exit(1);
};

const mb = (bytes: number) => +(bytes / 1024 / 1024).toFixed(1);
const sizeOf = (f: string) => fs.statSync(f).size;

async function bundle(entry: string, outfile: string) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // smaller source is faster to parse; names stay (errors and logs use them)
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
}

/** strip(1) when there is one: the runtime's debug symbols are most of its size. */
function stripped(file: string): boolean {
  try {
    execFileSync('strip', ['--strip-all', file], { stdio: 'pipe' });
    return true;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return false;
    return fail(`strip ${file}: ${err.message}`);
  }
}

async function main() {
  const l = seaLayout(checkoutRoot());
  for (const f of [l.daemonEntry, l.workerEntry, l.addon])
    if (!fs.existsSync(f)) fail(`${f} is missing: run npm run build first`);
  const runtime = process.execPath;
  const problem = seaRuntimeProblem();
  if (problem) fail(problem);

  fs.mkdirSync(l.dir, { recursive: true });
  await bundle(l.daemonEntry, l.mainBundle);
  await bundle(l.workerEntry, l.workerBundle);
  fs.writeFileSync(l.config, JSON.stringify(seaConfig(l), null, 2) + '\n');
  execFileSync(runtime, ['--experimental-sea-config', l.config], { stdio: 'pipe' });

  // build beside the target, rename at the end: no half-made executable
  const tmp = `${l.executable}.tmp`;
  fs.copyFileSync(runtime, tmp);
  fs.chmodSync(tmp, 0o755);
  const runtimeSize = sizeOf(tmp);
  const isStripped = stripped(tmp);
  const strippedSize = sizeOf(tmp);
  // postject's CLI in a child: its ELF writer's warnings are noise unless it fails
  execFileSync(
    runtime,
    [
      require.resolve('postject/dist/cli.js'),
      tmp,
      SEA_BLOB_RESOURCE,
      l.blob,
      '--sentinel-fuse',
      SEA_FUSE,
    ],
    { stdio: 'pipe' },
  );
  fs.renameSync(tmp, l.executable);

  console.log(
    JSON.stringify({
      executable: l.executable,
      node: process.version,
      size_mb: mb(sizeOf(l.executable)),
      runtime_mb: {
        as_installed: mb(runtimeSize),
        ...(isStripped ? { stripped: mb(strippedSize) } : {}),
      },
      blob_kb: Math.round(sizeOf(l.blob) / 1024),
      daemon_bundle_kb: Math.round(sizeOf(l.mainBundle) / 1024),
      worker_bundle_kb: Math.round(sizeOf(l.workerBundle) / 1024),
      addon_kb: Math.round(sizeOf(l.addon) / 1024),
    }),
  );
}

main().catch((e: Error) => fail(e.message));
