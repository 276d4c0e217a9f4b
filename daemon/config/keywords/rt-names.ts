// iproute2's name tables (/etc/iproute2/rt_tables, rt_protos, rt_scopes,
// rt_dsfield, rt_realms, group), looked up as keepalived 2.2.7 does
// (lib/rttables.c): a number is taken as it is (decimal, 0x hex or 0 octal,
// up to the table's maximum); a name is searched in the file, then in the
// built-in defaults. Files are read once, when a name is first looked up.
import { readFileSync } from 'node:fs';

export type RtTable = 'tables' | 'protos' | 'scopes' | 'dsfield' | 'realms' | 'group';

const FILES: Record<RtTable, string> = {
  tables: 'rt_tables',
  protos: 'rt_protos',
  scopes: 'rt_scopes',
  dsfield: 'rt_dsfield',
  realms: 'rt_realms',
  group: 'group',
};

const MAX: Record<RtTable, number> = {
  tables: 0xffffffff,
  protos: 255,
  scopes: 255,
  dsfield: 255,
  realms: 255,
  group: 0x7fffffff,
};

const DEFAULTS: Partial<Record<RtTable, [number, string][]>> = {
  tables: [
    [253, 'default'],
    [254, 'main'],
    [255, 'local'],
  ],
  protos: [
    [0, 'none'],
    [1, 'redirect'],
    [2, 'kernel'],
    [3, 'boot'],
    [4, 'static'],
    [8, 'gated'],
    [9, 'ra'],
    [10, 'mrt'],
    [11, 'zebra'],
    [12, 'bird'],
    [42, 'babel'],
    [13, 'dnrouted'],
    [14, 'xorp'],
    [15, 'ntk'],
    [16, 'dhcp'],
  ],
  scopes: [
    [0, 'global'],
    [255, 'nowhere'],
    [254, 'host'],
    [253, 'link'],
    [200, 'site'],
  ],
};

/** RTN_* route types by name (keepalived's rtntypes; a number 0..255 is accepted too) */
export const RTN_TYPES: Record<string, number> = {
  local: 2,
  nat: 10,
  broadcast: 3,
  brd: 3,
  anycast: 4,
  multicast: 5,
  prohibit: 8,
  unreachable: 7,
  blackhole: 6,
  xresolve: 11,
  unicast: 1,
  throw: 9,
};

/** strtoul(s, &end, 0) as C reads it: the whole text must be a number */
export function cNumber(s: string): number | undefined {
  if (/^[+]?0x[0-9a-f]+$/i.test(s)) return parseInt(s.replace(/^\+/, ''), 16);
  if (/^[+]?0[0-7]+$/.test(s)) return parseInt(s.replace(/^\+/, ''), 8);
  if (/^[+]?\d+$/.test(s)) return Number(s);
  return undefined;
}

/** `id name` lines (comments and malformed lines skipped), as lib/rttables.c read_file */
export function parseRtFile(text: string, max: number): [number, string][] {
  const out: [number, string][] = [];
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length !== 2) continue;
    const id = cNumber(words[0]);
    if (id === undefined || id > max) continue;
    out.push([id, words[1]]);
  }
  return out;
}

type Reader = (file: string) => string | undefined;
const fromDisk: Reader = (file) => {
  try {
    return readFileSync(`/etc/iproute2/${file}`, 'utf8');
  } catch {
    return undefined;
  }
};

let reader: Reader = fromDisk;
const cache = new Map<RtTable, [number, string][]>();

/** Read the tables from elsewhere (tests); undefined restores /etc/iproute2. */
export function setRtNamesReader(r: Reader | undefined) {
  reader = r ?? fromDisk;
  cache.clear();
}

function entries(t: RtTable): [number, string][] {
  let e = cache.get(t);
  if (!e) {
    const text = reader(FILES[t]);
    e = text === undefined ? [] : parseRtFile(text, MAX[t]);
    for (const [id, name] of DEFAULTS[t] ?? []) if (!e.some(([i]) => i === id)) e.push([id, name]);
    cache.set(t, e);
  }
  return e;
}

/** The number a name or number stands for in table `t`, or undefined. */
export function rtLookup(t: RtTable, text: string): number | undefined {
  const n = cNumber(text);
  if (n !== undefined) return n <= MAX[t] ? n : undefined;
  return entries(t).find(([, name]) => name === text)?.[0];
}

/** `realms [SRC/]DST` as keepalived's get_realms: SRC in the high 16 bits. */
export function realmsOf(text: string): number | undefined {
  const [a, b] = text.split('/', 2);
  const x = rtLookup('realms', a);
  if (x === undefined) return undefined;
  if (b === undefined) return x;
  const y = rtLookup('realms', b);
  return y === undefined ? undefined : ((x << 16) | y) >>> 0;
}
