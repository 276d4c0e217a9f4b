// Checks on the whole model: what keepalived rejects after parsing (missing
// VRID, duplicate VRID on an interface...) and mistakes keepalived lets
// through (trackers that can never matter, peers that disagree).
import { basename } from 'node:path';
import type { Diagnostics, Position } from './diagnostics';
import { heardByCheckers, type Config, type VrrpInstance } from './model';
import { checkBgpAnnounce } from './keywords/bgp-announce';
import { lintLvs } from './lint-lvs';
import { strictIssues } from './strict';
import { instanceFamily, instanceVersion } from './version';

/** How a message names another place: `line N` in the same file, else `file:N`. */
const where = (p: Position, from?: Position) =>
  from && from.file === p.file ? `line ${p.line}` : `${basename(p.file)}:${p.line}`;

export function lintConfig(cfg: Config, diag: Diagnostics) {
  const names = new Map<string, Position>();
  const vrids = new Map<string, VrrpInstance>();
  const known = {
    track_script: ['vrrp_script', new Set(cfg.vrrp_script.map((s) => s.name))],
    track_file: ['track_file', new Set(cfg.track_file.map((s) => s.name))],
    track_process: ['vrrp_track_process', new Set(cfg.vrrp_track_process.map((s) => s.name))],
    track_bfd: ['bfd_instance', new Set(cfg.bfd_instance.map((s) => s.name))],
  } as const;
  // keepalived ignores a reference to an undefined tracker ("not found, ignoring...")
  const undefinedTrackers = (
    who: string,
    o: Record<keyof typeof known, { name: string; at: Position }[]>,
  ) => {
    for (const [list, [block, names]] of Object.entries(known))
      for (const t of o[list as keyof typeof known])
        if (!names.has(t.name))
          diag.warn(t.at, `${who}: ${list} '${t.name}' is not a defined ${block}, ignored`);
  };

  for (const vi of cfg.vrrp_instance) {
    for (const i of strictIssues(cfg, vi))
      if (i.level === 'error') diag.error(vi.at, i.message);
      else diag.warn(vi.at, i.message);
    const prev = names.get(vi.name);
    if (prev)
      diag.error(vi.at, `vrrp_instance ${vi.name}: defined twice (first at ${where(prev, vi.at)})`);
    names.set(vi.name, vi.at);

    if (vi.virtual_router_id === undefined) {
      diag.error(vi.at, `vrrp_instance ${vi.name}: virtual_router_id must be set`);
    }
    if (!vi.interface) {
      // keepalived runs a unicast instance without one; keepalive-ts binds every instance to an interface
      diag.error(
        vi.at,
        `vrrp_instance ${vi.name}: no interface given${vi.unicast_src_ip ? ' (keepalive-ts needs it even with unicast_src_ip; keepalived 2.2.7 would not)' : ''}`,
      );
    }
    if (vi.virtual_router_id !== undefined) {
      // A VRID is unique per interface and address family (IPv4 and IPv6 VRRP are separate
      // protocols); it may be reused on one interface only with unicast peers that do not overlap.
      const key = `${vi.interface ?? vi.unicast_src_ip}/${instanceFamily(vi)}/${vi.virtual_router_id}`;
      const other = vrids.get(key);
      const disjointUnicast =
        other &&
        vi.unicast_peer.length > 0 &&
        other.unicast_peer.length > 0 &&
        !vi.unicast_peer.some((p) => other.unicast_peer.some((q) => q.address === p.address));
      if (other && !disjointUnicast) {
        diag.error(
          vi.at,
          `vrrp_instance ${vi.name}: virtual_router_id ${vi.virtual_router_id} on ${vi.interface} is already used by ${other.name} (${where(other.at, vi.at)})`,
        );
      } else vrids.set(key, vi);
    }
    const version = instanceVersion(cfg, vi);
    if (version === 2 && !Number.isInteger(vi.advert_int)) {
      diag.warn(
        vi.at,
        `vrrp_instance ${vi.name}: advert_int ${vi.advert_int} is fractional but VRRPv2 counts whole seconds; it will be rounded to ${Math.max(1, Math.round(vi.advert_int))}`,
      );
    }
    if (vi.nopreempt && vi.state === 'MASTER') {
      diag.warn(
        vi.at,
        `vrrp_instance ${vi.name}: nopreempt needs state BACKUP; with state MASTER it still takes over at start`,
      );
    }
    if (vi.nopreempt && vi.priority === 255) {
      diag.warn(
        vi.at,
        `vrrp_instance ${vi.name}: priority 255 (address owner) always preempts; nopreempt has no effect`,
      );
    }
    if (vi.authentication?.auth_type === 'PASS' && !vi.authentication.auth_pass) {
      diag.error(vi.at, `vrrp_instance ${vi.name}: auth_type PASS without auth_pass`);
    }
    if (vi.authentication?.auth_type && version === 3) {
      diag.warn(
        vi.at,
        `vrrp_instance ${vi.name}: VRRPv3 has no authentication; the authentication block is ignored`,
      );
    }
    if (vi.virtual_ipaddress.length === 0) {
      diag.warn(vi.at, `vrrp_instance ${vi.name}: no virtual_ipaddress`);
    }
    // keepalived: "A unicast keyword has been specified without any unicast peers"
    const unicastWords = (
      ['unicast_src_ip', 'check_unicast_src', 'old_unicast_checksum', 'unicast_ttl'] as const
    ).filter((k) => vi[k] !== undefined && vi[k] !== false);
    if (unicastWords.length && vi.unicast_peer.length === 0 && !vi.unicast_fault_no_peer)
      diag.warn(
        vi.at,
        `vrrp_instance ${vi.name}: ${unicastWords.join(', ')} without unicast_peer: adverts go to multicast (keepalived 2.2.7 reports this as deprecated)`,
      );
    if (vi.linkbeat_use_polling)
      diag.warn(
        vi.at,
        `vrrp_instance ${vi.name}: linkbeat_use_polling in a vrrp_instance is deprecated (keepalived 2.2.7): use a linkbeat_interfaces block`,
      );
    const src = vi.unicast_src_ip;
    if (src && vi.unicast_peer.some((p) => p.address === src)) {
      const p = vi.unicast_peer.find((x) => x.address === src)!;
      diag.warn(
        p.at,
        `vrrp_instance ${vi.name}: unicast_peer ${src} is this node's own unicast_src_ip`,
      );
    }
    undefinedTrackers(`vrrp_instance ${vi.name}`, vi);
  }

  // keepalived clears lvs_sync_daemon when its instance does not exist
  const syncd = cfg.global_defs.lvs_sync_daemon;
  if (syncd?.instance && !names.has(syncd.instance))
    diag.error(syncd.at, `lvs_sync_daemon: vrrp_instance ${syncd.instance} is not defined`);

  // keepalived: in a sync group (without sync_group_tracking_weight) and for the address
  // owner, an instance's weighted trackers lose their weight or are dropped
  for (const vi of cfg.vrrp_instance) {
    const sg = cfg.vrrp_sync_group.find((g) => g.group.some((m) => m.name === vi.name));
    const why =
      vi.priority === 255
        ? 'the address owner (priority 255)'
        : sg && !sg.sync_group_tracking_weight
          ? `a member of sync group ${sg.name} without sync_group_tracking_weight`
          : undefined;
    if (!why) continue;
    const warn = (t: { at: Position; name: string }, what: string, effect: string) =>
      diag.warn(t.at, `vrrp_instance ${vi.name}: ${what} '${t.name}' ${effect}: ${why}`);
    for (const t of vi.track_script) {
      const w = t.weight ?? cfg.vrrp_script.find((x) => x.name === t.name)?.weight.value ?? 0;
      if (w) warn(t, 'track_script', `with weight ${w} is ignored`);
    }
    for (const t of vi.track_interface)
      if (t.weight)
        warn(t, 'track_interface', vi.priority === 255 ? 'is ignored' : 'weight is ignored');
    for (const t of vi.track_file) {
      const w = t.weight ?? cfg.track_file.find((x) => x.name === t.name)?.weight.value ?? 1;
      if (w === 1) warn(t, 'track_file', 'is unweighted (weight 0)');
      else if (w) warn(t, 'track_file', `with weight ${w} is ignored`);
    }
  }

  for (const sg of cfg.vrrp_sync_group) {
    undefinedTrackers(`vrrp_sync_group ${sg.name}`, sg);
    if (sg.group.length < 2)
      diag.warn(
        sg.at,
        `vrrp_sync_group ${sg.name}: has ${sg.group.length} member(s); a sync group needs at least two`,
      );
    for (const m of sg.group) {
      if (!names.has(m.name))
        diag.error(m.at, `vrrp_sync_group ${sg.name}: no vrrp_instance named '${m.name}'`);
    }
  }

  lintLvs(cfg, diag);
  if (cfg.bgp_announce) checkBgpAnnounce(cfg.bgp_announce, cfg, diag);
  for (const vs of cfg.virtual_server) {
    if (vs.real_server.length === 0)
      diag.warn(vs.at, 'virtual_server: no real_server (keepalived ignores such a virtual server)');
    if (vs.sorry_server_lvs_method && !vs.sorry_server)
      diag.warn(vs.at, 'virtual_server: sorry_server_lvs_method without sorry_server');
    // nftables forwards, it cannot encapsulate: TUN needs IPVS
    const tun = [vs, ...vs.real_server].find((x) => x.lvs_method === 'TUN');
    if (tun && cfg.global_defs.lvs_backend === 'nftables')
      diag.error(
        tun.at,
        'lvs_method TUN: the nftables backend cannot encapsulate packets; use lvs_backend ipvs (or auto on a kernel with IPVS)',
      );
    for (const rs of vs.real_server) {
      const label = `real_server ${rs.address} ${rs.port}`;
      if (
        vs.key.kind === 'address' &&
        (rs.lvs_method === 'DR' || rs.lvs_method === 'TUN') &&
        rs.port !== 0 &&
        rs.port !== vs.key.port
      ) {
        diag.warn(
          rs.at,
          `${label}: ${rs.lvs_method} cannot change the port (virtual_server port ${vs.key.port})`,
        );
      }
      for (const c of rs.checkers) {
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET') && c.url.length === 0) {
          diag.error(c.at, `${label}: ${c.type} needs at least one url { path ... }`);
        }
        if ((c.type === 'HTTP_GET' || c.type === 'SSL_GET') && c.url.some((u) => !u.path)) {
          diag.error(c.at, `${label}: ${c.type} url without path`);
        }
        if (c.type === 'MISC_CHECK' && !c.misc_path)
          diag.error(c.at, `${label}: MISC_CHECK needs misc_path`);
        // keepalived: "track_file NAME not found" (the FILE_CHECK is dropped)
        if (c.type === 'FILE_CHECK') {
          const ref = c.track_file;
          if (ref && !cfg.track_file.some((t) => t.name === ref.name))
            diag.error(ref.at, `${label}: FILE_CHECK track_file ${ref.name} not found`);
          continue;
        }
        if (c.type === 'BFD_CHECK') {
          bfdCheckIssue(cfg, rs.checkers, c, (m) => diag.warn(c.at, `${label}: ${m}`));
          continue;
        }
        // keepalived's check_conn_opts: a link-local target is reached through one interface
        const target = c.connect_ip ?? rs.address;
        if (/^fe[89ab][0-9a-f]:/i.test(target) && !c.bind_if)
          diag.error(c.at, `${label}: ${c.type} to link-local ${target} needs a bind_if`);
      }
    }
  }
}

type AnyChecker = Config['virtual_server'][number]['real_server'][number]['checkers'][number];

/** keepalived's bfd_name_handler / bfd_end_handler: such a BFD_CHECK is skipped. */
function bfdCheckIssue(
  cfg: Config,
  all: AnyChecker[],
  c: Extract<AnyChecker, { type: 'BFD_CHECK' }>,
  warn: (m: string) => void,
) {
  if (!c.name) return warn('BFD_CHECK without name, skipped');
  const b = cfg.bfd_instance.find((x) => x.name === c.name);
  if (!b) return warn(`BFD_CHECK: bfd_instance ${c.name} not configured, skipped`);
  if (!heardByCheckers(b))
    return warn(`BFD_CHECK: bfd_instance ${c.name} reports to vrrp only (no \`checker\`), skipped`);
  const first = all.find((x) => x.type === 'BFD_CHECK' && x.name === c.name);
  if (first !== c) warn(`BFD_CHECK: already monitoring ${c.name}, skipped`);
}

/**
 * Checks across the configs of several nodes of one cluster (`-t -f A -f B`):
 * instances with the same VRID on the same interface name must agree, and a
 * tracker weight should be able to change who is master.
 */
export function lintPeers(cfgs: Config[], diag: Diagnostics) {
  const byVrid = new Map<number, { cfg: Config; vi: VrrpInstance }[]>();
  for (const cfg of cfgs) {
    for (const vi of cfg.vrrp_instance) {
      if (vi.virtual_router_id === undefined) continue;
      const list = byVrid.get(vi.virtual_router_id) ?? [];
      list.push({ cfg, vi });
      byVrid.set(vi.virtual_router_id, list);
    }
  }
  const vipSet = (vi: VrrpInstance) =>
    vi.virtual_ipaddress
      .map((v) => `${v.address}/${v.prefix}`)
      .sort()
      .join(' ');
  for (const [vrid, members] of byVrid) {
    if (members.length < 2) continue;
    const [a, ...rest] = members;
    for (const b of rest) {
      const what = `virtual_router_id ${vrid}: ${b.vi.name} (${where(b.vi.at)}) and ${a.vi.name} (${where(a.vi.at)})`;
      if (vipSet(a.vi) !== vipSet(b.vi))
        diag.warn(b.vi.at, `${what} have different virtual_ipaddress sets`);
      if (a.vi.advert_int !== b.vi.advert_int) {
        diag.warn(
          b.vi.at,
          `${what} have different advert_int (${b.vi.advert_int} vs ${a.vi.advert_int})`,
        );
      }
      if (instanceVersion(a.cfg, a.vi) !== instanceVersion(b.cfg, b.vi))
        diag.warn(b.vi.at, `${what} speak different VRRP versions`);
      if ((a.vi.authentication?.auth_pass ?? '') !== (b.vi.authentication?.auth_pass ?? '')) {
        diag.warn(b.vi.at, `${what} have different authentication`);
      }
      if (a.vi.priority === b.vi.priority) {
        diag.warn(
          b.vi.at,
          `${what} have equal priority ${a.vi.priority}; the higher IP address decides who is master`,
        );
      }
    }
    // Trackers: on the node with the higher priority a failure (negative weight) must be able to
    // drop it below the other; on the lower node a positive weight must be able to lift it above.
    const sorted = [...members].sort((x, y) => y.vi.priority - x.vi.priority);
    const hi = sorted[0];
    const lo = sorted[1];
    if (hi.vi.priority === lo.vi.priority) continue;
    const gap = hi.vi.priority - lo.vi.priority;
    const scripts = (cfg: Config) => new Map(cfg.vrrp_script.map((s) => [s.name, s]));
    const trackers = (cfg: Config, vi: VrrpInstance) => [
      ...vi.track_script.map((t) => ({
        t,
        w: t.weight ?? scripts(cfg).get(t.name)?.weight.value ?? 0,
        kind: 'track_script',
      })),
      ...vi.track_interface.map((t) => ({ t, w: t.weight ?? 0, kind: 'track_interface' })),
    ];
    for (const { t, w, kind } of trackers(hi.cfg, hi.vi)) {
      if (w < 0 && -w <= gap) {
        diag.warn(
          t.at,
          `${hi.vi.name}: ${kind} '${t.name}' weight ${w} can never make this node lose mastership: ${hi.vi.priority}${w} = ${hi.vi.priority + w} is not below the peer's ${lo.vi.priority} (${where(lo.vi.at)})`,
        );
      }
    }
    for (const { t, w, kind } of trackers(lo.cfg, lo.vi)) {
      if (w > 0 && w <= gap) {
        diag.warn(
          t.at,
          `${lo.vi.name}: ${kind} '${t.name}' weight +${w} can never make this node master: ${lo.vi.priority}+${w} = ${lo.vi.priority + w} is not above the peer's ${hi.vi.priority} (${where(hi.vi.at)})`,
        );
      }
    }
  }
}
