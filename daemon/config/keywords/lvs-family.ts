// Address families of LVS services and TUN forwarding's encapsulation, as
// keepalived 2.2.7 reads them (check_parser.c: svr_forwarding_handler,
// ip_family_handler, rs_end_handler, vs_end_handler):
//   lvs_method TUN [type ipip|gue|gre] [port P] [nocsum|csum|remcsum]
//     (virtual_server, real_server, sorry_server_lvs_method; real and sorry
//     servers without their own take the virtual server's)
//   ip_family inet|inet6: a fwmark service's family (default: its non-TUN
//     real servers', else IPv4); it must agree with an address.
// Real and sorry servers of the other family are refused unless they are
// tunnelled (IPVS carries an IPv4 packet to an IPv6 real server in an IPv6
// tunnel and the other way round, kernel >= 3.18 IPVS_DEST_ATTR_ADDR_FAMILY).
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';
import { familyOf } from '../../core/address';

export interface Tunnel {
  type: 'ipip' | 'gue' | 'gre';
  port?: number;
  csum?: 'nocsum' | 'csum' | 'remcsum';
}

/** The tunnel options after `lvs_method METHOD`, or keepalived's complaint about them. */
export function tunnelOptions(words: string[]): { tun?: Tunnel; error?: string } {
  let type: Tunnel['type'] = 'ipip';
  let port = 0;
  let csum: NonNullable<Tunnel['csum']> = 'nocsum';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'type') {
      const t = words[++i];
      if (t === undefined) return { error: 'missing tunnel type' };
      if (t !== 'ipip' && t !== 'gue' && t !== 'gre')
        return { error: `unknown tunnel type '${t}' (ipip, gue or gre)` };
      type = t;
    } else if (w === 'port') {
      const p = words[++i];
      if (p === undefined) return { error: 'missing port for the gue tunnel' };
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)
        return { error: `invalid gue tunnel port '${p}' (1-65535)` };
      port = Number(p);
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') csum = w;
    else return { error: `invalid tunnel option '${w}'` };
  }
  if ((type === 'gue') !== (port !== 0))
    return { error: 'gue tunnels require a port, other tunnels cannot have one' };
  if (type === 'ipip' && csum !== 'nocsum')
    return { error: 'ipip tunnels do not support checksum options' };
  if (type === 'gre' && csum === 'remcsum')
    return { error: 'gre tunnels do not support the remote checksum option' };
  return {
    tun: { type, ...(port ? { port } : {}), ...(csum !== 'nocsum' ? { csum } : {}) },
  };
}

const METHOD_KEYWORDS = ['lvs_method', 'lb_kind'];

/** The tunnel of a block's last `lvs_method` (or `sorry_server_lvs_method`) line, if it says TUN. */
export function tunnelOfBlock(stmt: Stmt, keywords = METHOD_KEYWORDS): Tunnel | undefined {
  const line = [...(stmt.block ?? [])].reverse().find((s) => keywords.includes(s.keyword));
  if (!line || line.args[0]?.text.toUpperCase() !== 'TUN') return undefined;
  return tunnelOptions(line.args.slice(1).map((a) => a.text)).tun;
}

/** Check the words after the method of an `lvs_method` line (errors name the line). */
export function checkTunnelWords(method: string, words: string[], stmt: Stmt, ctx: Ctx) {
  if (!words.length) return;
  const r = tunnelOptions(words);
  if (r.error) ctx.diag.error(stmt, `${stmt.keyword}: ${r.error}`);
  else if (method !== 'TUN')
    ctx.diag.warn(stmt, `${stmt.keyword}: tunnel options apply to TUN only; ignored for ${method}`);
}

interface FamilyVs {
  key:
    | { kind: 'address'; address: string }
    | { kind: 'fwmark'; fwmark: number }
    | { kind: 'group'; group: string };
  ip_family?: 'inet' | 'inet6';
  lvs_method: string;
  sorry_server?: { address: string; port: number };
  sorry_server_lvs_method?: string;
  persistence_granularity?: string;
  real_server: {
    address: string;
    port: number;
    lvs_method?: string;
    at: { file: string; line: number };
  }[];
}

const fam = (f: 'inet' | 'inet6' | undefined) => (f === 'inet6' ? 6 : f === 'inet' ? 4 : undefined);

/**
 * The family of a virtual server by address or fwmark (undefined for a
 * group: its entries decide). Real and sorry servers of the other family
 * that are not tunnelled are refused and dropped, as keepalived skips them.
 */
export function checkFamilies(vs: FamilyVs, stmt: Stmt, ctx: Ctx): 4 | 6 | undefined {
  const ipFamily = stmt.block?.find((s) => s.keyword === 'ip_family') ?? stmt;
  let af: 4 | 6 | undefined;
  if (vs.key.kind === 'address') {
    af = familyOf(vs.key.address);
    if (vs.ip_family && fam(vs.ip_family) !== af) {
      ctx.diag.error(
        ipFamily,
        `ip_family ${vs.ip_family}: conflicts with the virtual server address ${vs.key.address}`,
      );
    }
  } else af = fam(vs.ip_family);
  const group = vs.key.kind === 'group';
  const tunnelled = (m: string | undefined) => (m ?? vs.lvs_method) === 'TUN';
  // a fwmark without ip_family takes the family of its first non-tunnelled real server
  if (af === undefined && !group)
    af = familyOf(vs.real_server.find((r) => !tunnelled(r.lvs_method))?.address ?? '');
  const sorryMethod = vs.sorry_server_lvs_method ?? vs.lvs_method;
  if (af === undefined && !group && vs.sorry_server && sorryMethod !== 'TUN')
    af = familyOf(vs.sorry_server.address);
  if (af === undefined && !group) {
    // every server tunnelled: their one family, else IPv4 (keepalived's default)
    const fams = new Set(
      [...vs.real_server, ...(vs.sorry_server ? [vs.sorry_server] : [])].map((r) =>
        familyOf(r.address),
      ),
    );
    af = fams.size === 1 ? [...fams][0] : 4;
  }
  if (af === undefined) return undefined;
  const name = af === 6 ? 'IPv6' : 'IPv4';
  vs.real_server = vs.real_server.filter((r) => {
    if (tunnelled(r.lvs_method) || familyOf(r.address) === af) return true;
    ctx.diag.error(
      r.at,
      `real_server ${r.address}: its address family does not match the ${name} virtual server, and only TUN forwarding can mix families - skipping the real server (as keepalived)`,
    );
    return false;
  });
  if (vs.sorry_server && sorryMethod !== 'TUN' && familyOf(vs.sorry_server.address) !== af) {
    ctx.diag.error(
      stmt.block?.find((s) => s.keyword === 'sorry_server') ?? stmt,
      `sorry_server ${vs.sorry_server.address}: its address family does not match the ${name} virtual server, and only TUN forwarding can mix families - skipping the sorry server (as keepalived)`,
    );
    vs.sorry_server = undefined;
  }
  const g = vs.persistence_granularity;
  if (
    af === 6 &&
    g !== undefined &&
    !(
      Number(g.replace(/^\//, '')) >= 1 &&
      Number(g.replace(/^\//, '')) <= 128 &&
      /^\/?\d+$/.test(g)
    )
  )
    ctx.diag.error(
      stmt.block?.find((s) => s.keyword === 'persistence_granularity') ?? stmt,
      `persistence_granularity ${g}: an IPv6 virtual server expects a prefix length 1-128`,
    );
  return af;
}
