// A vrrp_sync_group's own state, for its notify scripts and FIFO lines
// (keepalived's vrrp_sync.c, vrrp_notify.c send_group_notifies): the group
// goes FAULT when a member does, MASTER when a member becomes master (the
// others follow it), BACKUP when a member becomes backup with none in FAULT,
// and STOP once every member has stopped. Pure: derived from the members'
// transitions, in order.
import type { Config } from '../config/model';
import type { State } from '../vrrp/fsm';

/** keepalived's names of the states in notify arguments and FIFO lines */
export type GroupState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export interface GroupTransition {
  group: string;
  state: GroupState;
}

export class SyncGroupStates {
  private readonly groups: Map<string, string[]>;
  private readonly member = new Map<string, State>();
  private readonly state = new Map<string, GroupState>();

  constructor(config: Pick<Config, 'vrrp_sync_group'>) {
    this.groups = new Map(config.vrrp_sync_group.map((g) => [g.name, g.group.map((m) => m.name)]));
  }

  /** A member made a transition: the group transitions that follow (at most one per group). */
  onTransition(t: { instance: string; to: State }): GroupTransition[] {
    this.member.set(t.instance, t.to);
    const out: GroupTransition[] = [];
    for (const [group, members] of this.groups) {
      if (!members.includes(t.instance)) continue;
      const states = members.map((m) => this.member.get(m));
      let next: GroupState | undefined;
      if (t.to === 'INIT') next = states.every((s) => s === 'INIT') ? 'STOP' : undefined;
      else if (states.includes('FAULT')) next = 'FAULT';
      else if (t.to === 'MASTER') next = 'MASTER';
      // at start, keepalived announces the group once every member is set up
      else if (t.to === 'BACKUP' && !states.includes(undefined)) next = 'BACKUP';
      if (next && next !== this.state.get(group)) {
        this.state.set(group, next);
        out.push({ group, state: next });
      }
    }
    return out;
  }

  /** every group's current state (those that have one) */
  states(): GroupTransition[] {
    return [...this.state].map(([group, state]) => ({ group, state }));
  }
}
