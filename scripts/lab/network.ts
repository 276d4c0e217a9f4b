// The lab's wires: a network namespace per host, plus a "switch" namespace
// with one bridge per segment and a veth pair per host interface (the
// "switch port" on the bridge, lan0/lan1 in the host), and the ops namespace
// (the operator's seat on segment 0).
import { execFileSync, spawnSync } from 'node:child_process';
import { must, run } from './sys';
import { findOverlaps, type LabRoute, type Topology } from './topology';

/** Addresses and routes of the namespace this process runs in (the root namespace). */
async function rootNet() {
  const addrs = JSON.parse(await must('ip', ['-j', 'addr', 'show'])) as {
    addr_info: { local: string; prefixlen: number }[];
  }[];
  const routes: { dst: string }[] = [];
  for (const f of ['-4', '-6'])
    routes.push(...JSON.parse(await must('ip', ['-j', f, 'route', 'show', 'table', 'all'])));
  return {
    addresses: addrs.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`)),
    routes: routes
      .filter((r) => r.dst && r.dst !== 'default')
      .map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`)),
  };
}

/** Refuse when a lab segment overlaps anything the root namespace has. */
export async function checkOverlap(topo: Topology): Promise<void> {
  const hits = findOverlaps(
    topo.segments.flatMap((s) => [s.cidr, s.cidr6]),
    await rootNet(),
  );
  if (hits.length) {
    throw new Error(`lab: refusing to start: ${hits.join('; ')}. Pick another --subnet.`);
  }
}

/**
 * Make every namespace, bridge, veth and address of the topology.
 * `made` hears of each namespace as soon as it exists and `checkpoint`
 * saves that record, so a failure halfway still leaves a teardown-able lab.
 */
export async function createNetwork(
  topo: Topology,
  made: (ns: string) => void,
  checkpoint: () => Promise<void>,
): Promise<void> {
  const addNs = async (ns: string) => {
    await must('ip', ['netns', 'add', ns]);
    made(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // IPv6 addresses usable at once (no DAD on the lab's own wires) and kept across a
    // link flap, as the IPv4 ones are (tests take links down to simulate crashes)
    await must('ip', [
      'netns',
      'exec',
      ns,
      'sysctl',
      '-q',
      '-w',
      'net.ipv6.conf.default.accept_dad=0',
      'net.ipv6.conf.all.keep_addr_on_down=1',
      'net.ipv6.conf.default.keep_addr_on_down=1',
    ]);
  };
  await addNs(topo.switchNs);
  await checkpoint();
  const batch: string[] = [];
  for (const seg of topo.segments) {
    // snooping off: VRRP multicast must flood to every port like on a plain switch
    batch.push(`link add ${seg.bridge} type bridge mcast_snooping 0`, `link set ${seg.bridge} up`);
  }
  await must('ip', ['-n', topo.switchNs, '-batch', '-'], { input: batch.join('\n') + '\n' });
  const plug = async (
    ns: string,
    port: string,
    ifname: string,
    seg: number,
    cidr: string,
    cidr6: string,
  ) => {
    const sw = ['-n', topo.switchNs, 'link'];
    await must('ip', [...sw, 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
    await must('ip', [...sw, 'set', port, 'master', topo.segments[seg].bridge, 'up']);
    await must('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifname]);
    // nodad: usable at once (the lab owns the segment, no address is duplicated)
    await must('ip', ['-n', ns, 'addr', 'add', cidr6, 'dev', ifname, 'nodad']);
    await must('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
  };
  await addNs(topo.opsNs);
  const first = topo.hosts[0].ifaces[0];
  await plug(
    topo.opsNs,
    'ops',
    'lan0',
    0,
    `${topo.opsAddress}/${first.prefix}`,
    `${topo.opsAddress6}/64`,
  );
  for (const h of topo.hosts) {
    await addNs(h.ns);
    for (const i of h.ifaces)
      await plug(h.ns, i.port, i.name, i.segment, `${i.address}/${i.prefix}`, `${i.address6}/64`);
  }
  // static routes once every interface is up (a gateway must be on a connected network)
  const route = (ns: string, r: LabRoute) =>
    must('ip', ['-n', ns, 'route', 'add', r.to, 'via', r.via]);
  for (const r of topo.opsRoutes) await route(topo.opsNs, r);
  for (const h of topo.hosts) for (const r of h.routes ?? []) await route(h.ns, r);
  await checkpoint();
}

/**
 * Lab namespaces that exist now: the topology's, those the state file
 * recorded, and rs hosts of a lab that was brought up with more real servers
 * than now configured. Synchronous: teardown runs from an 'exit' handler.
 */
export function existingNamespaces(topo: Topology, recorded: string[] = []): string[] {
  const mine = new Set([topo.switchNs, topo.opsNs, ...topo.hosts.map((h) => h.ns), ...recorded]);
  const rs = new RegExp(`^${topo.prefix}-rs\\d+$`);
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
  return list.filter((n) => mine.has(n) || rs.test(n));
}

/** PIDs of the processes inside a namespace. */
export function namespacePids(ns: string): number[] {
  const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map(Number);
}

/** Delete namespaces (their processes must be gone first). */
export function deleteNamespaces(namespaces: string[]): void {
  for (const ns of namespaces) execFileSync('ip', ['netns', 'del', ns]);
  // `ip netns add` bind-mounts /run/netns onto itself; undo that once no namespace is left.
  if (execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).trim() === '')
    spawnSync('umount', ['/run/netns']);
}

/** A namespace's IPv4 addresses but loopback's, as "address/prefix ifname". */
export async function namespaceAddresses(ns: string): Promise<string[]> {
  const r = await run('ip', ['-n', ns, '-j', '-4', 'addr', 'show']);
  if (r.code !== 0) return [];
  const links = JSON.parse(r.stdout) as {
    ifname: string;
    addr_info: { local: string; prefixlen: number }[];
  }[];
  return links.flatMap((l) =>
    l.addr_info
      .filter((a) => !a.local.startsWith('127.'))
      .map((a) => `${a.local}/${a.prefixlen} ${l.ifname}`),
  );
}
