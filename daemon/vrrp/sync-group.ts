// Sync groups (keepalived's vrrp_sync.c): the members of a vrrp_sync_group
// follow each other into MASTER, BACKUP and FAULT.
import type { Config } from '../config/model';
import type { Transition } from './status';

/** What a sync group needs of a member. */
export interface Member {
  readonly name: string;
  readonly fsm: { readonly state: string };
  force(to: 'MASTER' | 'BACKUP'): void;
  fault(): void;
  applyTrackers(): void;
}

export class SyncGroups {
  private readonly groupOf = new Map<string, string[]>();
  /** a follower's own transition must not start another round */
  private syncing = false;

  constructor(config: Config) {
    for (const g of config.vrrp_sync_group) {
      const members = g.group.map((m) => m.name);
      for (const m of members) this.groupOf.set(m, members);
    }
  }

  /** `inst` made transition `t`: move the other members of its group with it. */
  follow(inst: Member, t: Transition, lookup: (name: string) => Member | undefined) {
    const group = this.groupOf.get(inst.name);
    if (!group || this.syncing) return;
    this.syncing = true;
    try {
      for (const name of group) {
        const other = lookup(name);
        if (!other || other === inst) continue;
        if (t.to === 'MASTER' || t.to === 'BACKUP') other.force(t.to);
        if (t.to === 'FAULT') other.fault();
        else if (t.from === 'FAULT' && other.fsm.state === 'FAULT') other.applyTrackers();
      }
    } finally {
      this.syncing = false;
    }
  }
}
