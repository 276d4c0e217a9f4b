// The adverts an instance sends, encoded once per priority and path:
// everything else in an advert is fixed for the instance's life, so a steady
// master encodes nothing (keepalived too builds its packet once). Priorities
// are few (0, the configured one and what trackers make of it). The old
// unicast checksum form, once chosen, empties the cache.
import type { Config, VrrpInstance } from '../config/model';
import { encode, type Advert, type V3Checksum } from './codec';
import { UnicastChecksum } from './unicast-checksum';

export class AdvertCache {
  private readonly packets = new Map<number, Map<string, Uint8Array>>();
  readonly checksum: UnicastChecksum;

  constructor(
    private readonly cfg: VrrpInstance,
    private readonly config: Config,
    private readonly fixed: Pick<Advert, 'version' | 'vrid' | 'addresses'> & {
      family: 4 | 6;
      advertInt: () => number;
    },
  ) {
    const v4v3unicast = fixed.version === 3 && fixed.family === 4 && cfg.unicast_peer.length > 0;
    this.checksum = new UnicastChecksum(
      cfg.old_unicast_checksum,
      v4v3unicast ? config.global_defs.vrrp_mcast_group4 : undefined,
    );
  }

  /** The payload of an advert at `priority` from `src` to `dst`. */
  payload(priority: number, src: string, dst: string): Uint8Array {
    let byPath = this.packets.get(priority);
    if (!byPath) this.packets.set(priority, (byPath = new Map()));
    const key = `${src}>${dst}`;
    let pkt = byPath.get(key);
    if (!pkt) byPath.set(key, (pkt = this.encode(priority, src, dst)));
    return pkt;
  }

  /** A peer uses the old unicast checksum: so do we from now on. True when that changed. */
  heardOldChecksum(): boolean {
    if (!this.checksum.heardOld()) return false;
    this.packets.clear();
    return true;
  }

  private encode(priority: number, src: string, dst: string) {
    const { version, vrid, addresses } = this.fixed;
    const auth = this.cfg.authentication;
    const advert: Advert = {
      version,
      vrid,
      priority,
      advertInt: this.fixed.advertInt(),
      addresses,
      ...(version === 2
        ? auth?.auth_type === 'PASS'
          ? { authType: 1 as const, authPass: auth.auth_pass }
          : { authType: 0 as const }
        : {}),
    };
    const v3Checksum = this.config.global_defs.vrrp_v3_checksum as V3Checksum;
    return encode(advert, { src, dst: this.checksum.encodeDst(dst), v3Checksum });
  }
}
