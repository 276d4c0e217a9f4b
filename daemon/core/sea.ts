// The single executable (npm run build:sea): Node's runtime with the daemon's
// bundle as its main script and, as assets, what the bundle cannot hold (the
// VRRP thread's code, the native addon). One code path: each loader asks here
// whether it runs inside the executable and takes the embedded copy if so.

/** Asset keys, shared by the build (scripts/sea/build.ts) and the daemon. */
export const SEA_ASSETS = {
  /** the VRRP worker thread, bundled (daemon/vrrp/worker.ts) */
  vrrpWorker: 'vrrp-worker.js',
  /** dist/native/sock.node */
  nativeAddon: 'sock.node',
} as const;

interface SeaApi {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
}

let api: SeaApi | null | undefined;

function seaApi(): SeaApi | null {
  if (api === undefined) {
    try {
      // node:sea exists from Node 20.12; outside an executable isSea() is false
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sea = require('node:sea') as SeaApi;
      api = sea.isSea() ? sea : null;
    } catch {
      api = null;
    }
  }
  return api;
}

/** True inside the single executable. */
export const inSea = (): boolean => seaApi() !== null;

/** An embedded asset's bytes; undefined outside the executable. */
export function seaAsset(key: string): Buffer | undefined {
  const sea = seaApi();
  if (!sea) return undefined;
  try {
    return Buffer.from(sea.getAsset(key));
  } catch (e) {
    throw new Error(`keepalive-ts: the executable lacks its asset ${key}: ${(e as Error).message}`);
  }
}
