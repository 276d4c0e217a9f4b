// Keeping an instance's VRRP sockets open (keepalived's interface handling in
// vrrp_if.c and dynamic_interfaces). An address not usable yet (an IPv6
// link-local still in DAD at boot) is a FAULT retried every second. An
// interface that does not exist is a FAULT too: with dynamic_interfaces the
// instance waits for it (and re-opens its sockets when the interface is
// deleted and made again, under a new index); without, keepalived refuses the
// instance, and so do we: FAULT, no retry.
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';

export interface SocketKeeperDeps {
  clock: Clock;
  log: Log;
  /** the interface's index, 0 when it does not exist */
  ifindex(name: string): number;
}

export class SocketKeeper {
  /** why the sockets are not open (FAULT while set) */
  fault?: string;
  private retry?: Timer;
  /** the index the sockets were opened on */
  private openedOn = 0;

  constructor(
    private readonly name: string,
    private readonly ifname: string,
    private readonly dynamic: boolean,
    private readonly deps: SocketKeeperDeps,
    /** open every socket (throws); `close` undoes a partial open */
    private readonly io: { open(): void; close(): void },
    /** the sockets came up after a FAULT */
    private readonly opened: () => void,
  ) {}

  /** Open the sockets now; false (and FAULT) when they cannot be. */
  open(): boolean {
    const index = this.deps.ifindex(this.ifname);
    if (index === 0 && !this.dynamic) {
      this.fail(
        `interface ${this.ifname} does not exist (keepalived refuses the instance; set dynamic_interfaces to wait for it)`,
        false,
      );
      return false;
    }
    try {
      if (index === 0) throw new Error(`interface ${this.ifname} does not exist yet`);
      this.io.open();
    } catch (e) {
      this.io.close();
      this.fail((e as Error).message, true);
      return false;
    }
    if (this.fault) this.deps.log('info', `${this.name}: VRRP socket open`);
    this.fault = undefined;
    this.openedOn = index;
    return true;
  }

  /**
   * A link changed: an interface made again under a new index needs new
   * sockets (dynamic_interfaces; the old ones are bound to a device that is gone).
   */
  linkChanged() {
    if (!this.dynamic || this.fault !== undefined) return;
    const index = this.deps.ifindex(this.ifname);
    if (index === 0 || index === this.openedOn) return;
    this.deps.log(
      'info',
      `${this.name}: interface ${this.ifname} is new (index ${index}); re-opening`,
    );
    this.io.close();
    if (this.open()) this.opened();
  }

  stop() {
    this.retry?.cancel();
  }

  private fail(msg: string, retry: boolean) {
    if (this.fault !== msg)
      this.deps.log(
        retry ? 'warn' : 'error',
        `${this.name}: cannot open its VRRP socket (${msg}); FAULT${retry ? ', retrying every second' : ''}`,
      );
    this.fault = msg;
    if (!retry) return;
    this.retry = this.deps.clock.at(this.deps.clock.now() + 1000, () => {
      if (this.open()) this.opened();
    });
  }
}
