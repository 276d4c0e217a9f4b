// What keepalived derives once a vrrp_instance block is read (the config side
// of vrrp_complete_instance in vrrp.c and of the family checks in
// vrrp_parser.c / vrrp_data.c): the priority and state that follow from each
// other, the address family, and the addresses of the other family.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';

/** keepalived's VRRP_PRIO_OWNER and VRRP_PRIO_DFL */
const PRIO_OWNER = 255;
const PRIO_DEFAULT = 100;

/** The parts of an instance this step reads and settles. */
interface Completable {
  name: string;
  state: 'MASTER' | 'BACKUP';
  nopreempt: boolean;
  priority: number;
  version?: number;
  native_ipv6: boolean;
  virtual_ipaddress: { address: string; at: Position }[];
  at: Position;
}

const familyOf = (address: string | undefined): 4 | 6 | undefined =>
  address === undefined ? undefined : address.includes(':') ? 6 : 4;

/**
 * The family of an instance is set by the first of its keywords that names an
 * address (a virtual_ipaddress entry, unicast_src_ip, mcast_src_ip, a
 * unicast_peer) or by native_ipv6, in the order they appear.
 */
function declaredFamily(stmt: Stmt, vi: Completable, ctx: Ctx): 4 | 6 | undefined {
  for (const s of stmt.block ?? []) {
    const first =
      s.keyword === 'virtual_ipaddress' || s.keyword === 'unicast_peer'
        ? s.block?.[0]?.keyword.split('/')[0]
        : s.keyword === 'unicast_src_ip' || s.keyword === 'mcast_src_ip'
          ? s.args[0]?.text
          : undefined;
    if (s.keyword === 'native_ipv6') {
      if (vi.native_ipv6) return 6;
      continue;
    }
    const f = familyOf(first);
    if (f === 4 && vi.native_ipv6) {
      const n = stmt.block!.find((x) => x.keyword === 'native_ipv6')!;
      ctx.diag.warn(
        n,
        `native_ipv6: vrrp_instance ${vi.name} already has IPv4 addresses; ignored, as keepalived does`,
      );
      vi.native_ipv6 = false;
    }
    if (f) return f;
  }
  return undefined;
}

export function completeInstance(vi: Completable, stmt: Stmt, ctx: Ctx) {
  const given = (k: string) => stmt.block?.some((s) => s.keyword === k) ?? false;
  // base_priority 0: the address owner's when the state is MASTER, else the default
  if (!given('priority')) vi.priority = vi.state === 'MASTER' ? PRIO_OWNER : PRIO_DEFAULT;
  // no state: MASTER for the address owner, else BACKUP
  if (!given('state')) vi.state = vi.priority === PRIO_OWNER ? 'MASTER' : 'BACKUP';

  const lastPreempt = (stmt.block ?? [])
    .filter((s) => ['nopreempt', 'no_preempt', 'preempt'].includes(s.keyword))
    .pop();
  if (lastPreempt?.keyword === 'preempt') vi.nopreempt = false;

  const family = declaredFamily(stmt, vi, ctx);
  if (family) {
    const kept = vi.virtual_ipaddress.filter((v) => familyOf(v.address) === family);
    for (const v of vi.virtual_ipaddress) {
      if (familyOf(v.address) !== family)
        ctx.diag.warn(
          v.at,
          `virtual_ipaddress: ${v.address} is IPv${familyOf(v.address)} but vrrp_instance ${vi.name} is IPv${family} (its first address); ignored, as keepalived does`,
        );
    }
    vi.virtual_ipaddress = kept;
  }
  if (family === 6 && vi.version === 2) {
    ctx.diag.warn(
      vi.at,
      `vrrp_instance ${vi.name}: IPv6 needs VRRP version 3; using version 3 (as keepalived does)`,
    );
    vi.version = 3;
  }
}
