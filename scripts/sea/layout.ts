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
