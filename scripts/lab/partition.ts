// Network partitions at the lab's switch: nft drop rules in a bridge table
// of the switch namespace, matching the hosts' switch ports.
//
// The rules themselves are the only record of which cuts exist: every rule
// carries its cut's name as its comment ("cut d1 d2", "cut d2 * seg0"; one
// cut is two rules, one per direction). `cuts` and `heal` read them back from
// nft, so a cut made by one process (the CLI) is seen and healed by another
// (a test), and a lab torn down loses its cuts with its switch namespace.
import { must, run } from './sys';
import { hostNamed, type Topology } from './topology';

const CUT_TABLE = 'lab_cut';

interface CutRule {
  handle: number;
  /** the cut's name */
  comment: string;
}

/** Runs nft inside the switch namespace. */
const nft = (topo: Topology) => ['netns', 'exec', topo.switchNs, 'nft'];

async function cutRules(topo: Topology): Promise<CutRule[]> {
  const r = await run('ip', [...nft(topo), '-j', '-a', 'list', 'table', 'bridge', CUT_TABLE]);
  // no table yet: nothing was ever cut
  if (r.code !== 0) return [];
  const items = (
    JSON.parse(r.stdout) as { nftables: { rule?: { handle: number; comment?: string } }[] }
  ).nftables;
  return items
    .filter((i) => i.rule?.comment)
    .map((i) => ({ handle: i.rule!.handle, comment: i.rule!.comment! }));
}

/** Names of the cuts in place. */
export async function cuts(topo: Topology): Promise<string[]> {
  return [...new Set((await cutRules(topo)).map((r) => r.comment))];
}

function portsOf(topo: Topology, name: string, segment?: number): string[] {
  return hostNamed(topo, name)
    .ifaces.filter((i) => segment === undefined || i.segment === segment)
    .map((i) => i.port);
}

/**
 * Drop all traffic between host A and host B at the switch (both directions),
 * or between A and everyone when B is omitted. `segment` limits it to one
 * segment (0 = 198.51.100.0/24, 1 = 203.0.113.0/24). Cutting twice is a no-op.
 */
export async function cut(topo: Topology, a: string, b?: string, segment?: number) {
  const pa = portsOf(topo, a, segment);
  const pb = b ? portsOf(topo, b, segment) : undefined;
  const name = `cut ${a} ${b ?? '*'}${segment === undefined ? '' : ` seg${segment}`}`;
  if ((await cutRules(topo)).some((r) => r.comment === name)) return;
  const set = (ports: string[]) => `{ ${ports.map((p) => `"${p}"`).join(', ')} }`;
  const rules = pb
    ? [`iifname ${set(pa)} oifname ${set(pb)}`, `iifname ${set(pb)} oifname ${set(pa)}`]
    : [`iifname ${set(pa)}`, `oifname ${set(pa)}`];
  // declaring the table and chain again is harmless: nft -f merges them
  const text = [
    `table bridge ${CUT_TABLE} {`,
    '  chain forward { type filter hook forward priority 0; policy accept; }',
    '}',
    ...rules.map((r) => `add rule bridge ${CUT_TABLE} forward ${r} drop comment "${name}"`),
    '',
  ].join('\n');
  await must('ip', [...nft(topo), '-f', '-'], { input: text });
}

/** Undo cuts: those naming A (and B), or all of them. Returns how many cuts were healed. */
export async function heal(topo: Topology, a?: string, b?: string): Promise<number> {
  const hit = (await cutRules(topo)).filter((r) => {
    if (!a) return true;
    const [, x, y] = r.comment.split(' ');
    const pair = new Set([x, y]);
    return pair.has(a) && (!b || pair.has(b));
  });
  for (const r of hit) {
    const del = ['delete', 'rule', 'bridge', CUT_TABLE, 'forward', 'handle', String(r.handle)];
    await must('ip', [...nft(topo), ...del]);
  }
  return new Set(hit.map((r) => r.comment)).size;
}
