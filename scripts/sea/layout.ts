// What the single executable is made of, and where the build puts it: shared
// by the build, its benchmark and its tests (pure: paths and the SEA config).
import * as path from 'node:path';
import { SEA_ASSETS } from '../../daemon/core/sea';

/** The marker Node's runtime carries for postject; SEA needs Node >= 20.12 built with it. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The note / section name Node looks for. */
export const SEA_BLOB_RESOURCE = 'NODE_SEA_BLOB';

export interface SeaLayout {
  root: string;
  /** inputs from `npm run build` */
  daemonEntry: string;
  workerEntry: string;
  addon: string;
  /** outputs under dist/sea */
  dir: string;
  mainBundle: string;
  workerBundle: string;
  config: string;
  blob: string;
  executable: string;
}

/** The paths for a checkout at `root`. */
export function seaLayout(root: string): SeaLayout {
  const dir = path.join(root, 'dist/sea');
  return {
    root,
    daemonEntry: path.join(root, 'dist/daemon/cli.js'),
    workerEntry: path.join(root, 'dist/daemon/vrrp/worker.js'),
    addon: path.join(root, 'dist/native/sock.node'),
    dir,
    mainBundle: path.join(dir, 'main.js'),
    workerBundle: path.join(dir, SEA_ASSETS.vrrpWorker),
    config: path.join(dir, 'sea-config.json'),
    blob: path.join(dir, 'sea-prep.blob'),
    executable: path.join(dir, 'keepalive-ts'),
  };
}

/** The checkout of the running script (dist/scripts/sea/x.js or dist/test/...). */
export const checkoutRoot = (): string => path.resolve(__dirname, '../../..');

/** node --experimental-sea-config's input: the bundle as main script, the rest as assets. */
export function seaConfig(l: SeaLayout) {
  return {
    main: l.mainBundle,
    output: l.blob,
    disableExperimentalSEAWarning: true,
    // V8's code cache for the main script: start-up is preemption time
    useCodeCache: true,
    assets: {
      [SEA_ASSETS.vrrpWorker]: l.workerBundle,
      [SEA_ASSETS.nativeAddon]: l.addon,
    },
  };
}

/** What every Debian system has (libc6, libstdc++6, libgcc-s1): a runtime linked to these only needs nothing installed. */
const BASE_LIB =
  /^(linux-vdso|linux-gate|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[\w.-]*)\.so/;

/**
 * Why `node` (its version, whether it carries SEA_FUSE, what `ldd` says of
 * it) cannot be the executable's runtime; undefined when it can. A runtime
 * linked to libnode (Debian's own nodejs) would need Node.js on the director.
 */
export function runtimeProblem(version: string, hasFuse: boolean, ldd: string): string | undefined {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 12))
    return `Node ${version} is too old (the daemon needs 20; node:sea and SEA assets need 20.12)`;
  if (!hasFuse) return `Node ${version} was built without single-executable support`;
  const extra = ldd
    .split('\n')
    .map((l) => path.basename(l.trim().split(/\s+/)[0] ?? ''))
    .filter((lib) => lib && !BASE_LIB.test(lib));
  if (extra.length)
    return `this node is linked to ${extra.join(', ')}: the executable would need them on every director (use a statically linked Node build, e.g. nodejs.org's or NodeSource's)`;
  return undefined;
}
