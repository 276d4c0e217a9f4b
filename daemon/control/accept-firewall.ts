// The accept-mode table on the host (main thread): applied for configs that
// need it, changed on reload (renamed tables are removed), removed at stop.
// nft runs only when there is, or was, something to drop.
import type { Config } from '../config/model';
import type { Log } from '../core/log';
import { nftScript } from '../system/nft-run';
import {
  acceptTableOptions,
  droppedAddresses,
  renderAcceptTable,
  type AcceptTableOptions,
} from '../vrrp/accept-mode';

export class AcceptFirewall {
  /** the table as last applied, while it exists */
  private applied?: AcceptTableOptions;

  constructor(private readonly log: Log) {}

  /** Make the host's table match `cfg` (undefined: remove it). */
  async apply(cfg: Config | undefined): Promise<void> {
    const d = cfg ? droppedAddresses(cfg) : { v4: [], v6: [] };
    const want = d.v4.length + d.v6.length > 0;
    if (!want && !this.applied) return;
    const o = cfg ? acceptTableOptions(cfg) : this.applied!;
    const old = this.applied;
    // a renamed table: the old one goes in the same transaction
    const drop = old && old.table !== o.table ? renderAcceptTable({ v4: [], v6: [] }, old) : '';
    const r = await nftScript(drop + renderAcceptTable(d, o));
    if (r.ok) this.applied = want ? o : undefined;
    else this.log('error', `accept mode (no_accept / strict_mode): nft failed: ${r.err}`);
  }
}
