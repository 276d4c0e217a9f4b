// keepalived's old unicast VRRPv3 checksum (old_unicast_checksum): until
// 1.3.6 keepalived computed the IPv4 pseudo-header of a unicast advert with the
// multicast group as destination. `old_unicast_checksum` sends that form;
// otherwise a peer's advert that only verifies that way switches us to it
// (keepalived: "Setting unicast VRRPv3 checksum to old version"), unless
// `old_unicast_checksum never`. Pure state.

export class UnicastChecksum {
  private old: boolean;
  private readonly detect: boolean;

  constructor(
    mode: 'on' | 'never' | undefined,
    /** the multicast group, when the instance is IPv4 VRRPv3 unicast; else none of this applies */
    private readonly group: string | undefined,
  ) {
    this.old = !!group && mode === 'on';
    this.detect = !!group && mode === undefined;
  }

  /** The destination the pseudo-header of an advert sent to `dst` names. */
  encodeDst(dst: string): string {
    return this.old && this.group ? this.group : dst;
  }

  /** Another destination to verify a received checksum with: the old form, once used or while detecting. */
  get altDst(): string | undefined {
    return this.old || this.detect ? this.group : undefined;
  }

  /** A peer's advert verified only in the old form: send that form from now on. True when switched. */
  heardOld(): boolean {
    if (this.old || !this.detect) return false;
    this.old = true;
    return true;
  }
}
