// The hostile-input runs in the lab, shared by the lab test and the
// benchmark: a pair (d1 MASTER, d2 BACKUP) of keepalive-ts or keepalived
// running hostile-pair.ts's instances, the injector on gw (a third host),
// tshark on cl watching only the pair's VRID-51 adverts, and the counters
// every drop must show up in: the daemon's (status --json) and the
// receiving namespace's kernel counters (/proc/net: broken IP headers, and
// raw-socket receive-buffer overflows).
import * as path from 'node:path';
import { masterDownInterval } from '../../daemon/vrrp/fsm';
import type { Lab } from '../lab/lab';
import { Capture, holders, LabDaemon, ROOT, type Kind } from '../lab/daemons';
import { run, waitFor } from '../lab/sys';
import { HOSTILE, hostileConf, ADVERT_INT_S } from './hostile-pair';
import type { Tally } from './vrrp-corpus';

export const D1 = '198.51.100.11';
export const D2 = '198.51.100.12';
export const PAIR = ['d1', 'd2'];
export const INJECTOR = 'gw';
export const WATCHER = 'cl';
const BACKUP_PRIO = 100;
/** the backup's Master_Down_Interval for the 0.1 s instances, ms: a longer gap is a failover */
export const MASTER_DOWN_MS = masterDownInterval(3, BACKUP_PRIO, ADVERT_INT_S) * 1000;

/**
 * Kernel counters of a namespace by nstat's names (IpInHdrErrors,
 * IpExtInTruncatedPkts, Ip6InReceives, ...), plus RawDrops / Raw6Drops: what
 * the VRRP (protocol 112) raw sockets lost to a full receive buffer. Pure.
 */
export function parseProcNet(
  snmp: string,
  netstat: string,
  snmp6: string,
  raw: string,
  raw6: string,
) {
  const out: Record<string, number> = {};
  for (const text of [snmp, netstat]) {
    const lines = text.trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i].split(/\s+/);
      const values = lines[i + 1].split(/\s+/);
      const prefix = names[0].replace(/:$/, '');
      for (let k = 1; k < names.length; k++) out[prefix + names[k]] = Number(values[k]);
    }
  }
  for (const line of snmp6.trim().split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name) out[name] = Number(value);
  }
  const drops = (table: string) =>
    table
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(':0070')) // raw sockets show their protocol as the port
      .reduce((s, f) => s + Number(f[f.length - 1]), 0);
  out.RawDrops = drops(raw);
  out.Raw6Drops = drops(raw6);
  return out;
}

/**
 * A host's kernel counters; 'switch': the switch namespace's, where the lab's
 * bridge (br_netfilter is loaded here) checks IP headers before any host does.
 */
export async function kernelCounters(lab: Lab, host: string | 'switch') {
  const files = ['snmp', 'netstat', 'snmp6', 'raw', 'raw6'].map((f) => `/proc/net/${f}`);
  const sh = ['sh', '-c', files.map((f) => `cat ${f}; echo @@`).join('; ')];
  const r =
    host === 'switch'
      ? await run('ip', ['netns', 'exec', lab.topo.switchNs, ...sh])
      : await lab.exec(host, sh);
  const [a, b, c, d, e] = r.stdout.split('@@\n');
  return parseProcNet(a, b, c, d, e);
}

export const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));

/** keepalive-ts's own count of every drop: by VRID and reason, and unclaimed by reason */
export interface DaemonCounts {
  instance: Record<number, Record<string, number>>;
  unclaimed: Record<string, number>;
  transitions: number;
}

interface StatusJson {
  instances: {
    vrid: number;
    state: string;
    counters: { drops: Record<string, number>; transitions: number };
  }[];
  unclaimedDrops?: Record<string, number>;
}

export async function daemonCounts(d: LabDaemon): Promise<DaemonCounts> {
  const st = (await d.status()) as unknown as StatusJson;
  return {
    instance: Object.fromEntries(st.instances.map((i) => [i.vrid, i.counters.drops])),
    unclaimed: st.unclaimedDrops ?? {},
    transitions: st.instances.reduce((s, i) => s + i.counters.transitions, 0),
  };
}

/** What the daemon counted between two readings, zero reasons left out (the form of a Tally). */
export function countedSince(after: DaemonCounts, before: DaemonCounts): Omit<Tally, 'kernel'> {
  const nz = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([k, v]) => [k, v - (b[k] ?? 0)] as const)
        .filter(([, v]) => v !== 0),
    );
  const instance: Tally['instance'] = {};
  for (const [vrid, drops] of Object.entries(after.instance)) {
    const d = nz(drops, before.instance[+vrid] ?? {});
    if (Object.keys(d).length) instance[+vrid] = d;
  }
  return { instance, unclaimed: nz(after.unclaimed, before.unclaimed) };
}

export interface InjectReport {
  sent: number;
  seconds: number;
  rate: number;
  bufferFull: number;
  cpuMsPerS: number;
  expect: Tally;
}

/** Run the injector on the third host (bounded by its own limits, and by a timeout here). */
export async function inject(lab: Lab, args: string[], timeoutMs = 150_000): Promise<InjectReport> {
  const script = path.join(ROOT, 'dist/scripts/chaos/inject.js');
  const r = await lab.exec(INJECTOR, [process.execPath, script, ...args, '--if', 'lan0'], {
    timeoutMs,
  });
  if (r.code !== 0) throw new Error(`inject ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as InjectReport;
}

/** The pair up: d1 MASTER of every instance, d2 BACKUP. */
export async function startPair(lab: Lab, kind: Kind) {
  const m = new LabDaemon(lab, 'd1', kind, hostileConf(150));
  const b = new LabDaemon(lab, 'd2', kind, hostileConf(BACKUP_PRIO));
  const vips = [HOSTILE.v4.vips[0], HOSTILE.v6.vips[0], HOSTILE.v2.vips[0]];
  await m.start();
  await waitFor(
    `${kind}: d1 MASTER of all three`,
    async () => {
      for (const v of vips) if ((await holders(lab, ['d1'], v)).length !== 1) return false;
      return true;
    },
    30_000,
    100,
  );
  await b.start();
  return { m, b, vips };
}

/** Stop both and remove any VIP a daemon that died left behind. */
export async function stopPair(lab: Lab, pair: { m: LabDaemon; b: LabDaemon; vips: string[] }) {
  for (const d of [pair.m, pair.b]) {
    await d.stop().catch(() => {});
    await lab.exec(d.host, [
      'sh',
      '-c',
      `${pair.vips.map((v) => `ip addr del ${v}/${v.includes(':') ? 64 : 24} dev lan0 2>/dev/null`).join('; ')}; true`,
    ]);
  }
}

/** tshark on the watcher: only the pair's VRID-51 adverts (the flood never reaches tshark). */
export const watchAdverts = (lab: Lab) =>
  new Capture(
    lab,
    WATCHER,
    4,
    `ip proto 112 and ip[21] = ${HOSTILE.v4.vrid} and (src host ${D1} or src host ${D2})`,
  );

/** Advert spacing of one sender in a window (capture timestamps, ms). */
export function spacing(ts: readonly number[]) {
  const gaps = ts.slice(1).map((t, i) => t - ts[i]);
  const sorted = [...gaps].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return gaps.length
    ? {
        adverts: ts.length,
        p50Ms: +q(0.5).toFixed(1),
        p99Ms: +q(0.99).toFixed(1),
        maxMs: +sorted[sorted.length - 1].toFixed(1),
      }
    : undefined;
}
