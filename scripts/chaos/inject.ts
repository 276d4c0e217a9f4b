// Hostile VRRP from a lab host, bounded in rate, duration and count.
// Run inside a lab host (never in the root namespace: frames go out of --if):
//   node dist/scripts/chaos/inject.js corpus --if lan0 [--seed N] [--random N] [--rate PPS]
//   node dist/scripts/chaos/inject.js flood --if lan0 --rate PPS --seconds S [--seed N]
//   node dist/scripts/chaos/inject.js advert --if lan0 --vrid 51 --prio 254 [--version 2|3]
//     [--pass P] [--ttl N] [--bad-checksum] [--interval S] [--count N] [--gap MS] [--to ADDR]
// corpus and flood send whole Ethernet frames on an AF_PACKET socket (every
// header field as the corpus made it) and print one JSON line: frames sent,
// the rate achieved, this process's own CPU, and the counts the receivers
// must show (vrrp-corpus.ts tally). advert sends correct or slightly wrong
// adverts through a raw IP socket (the receive-check tests).
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseMac } from '../../daemon/net/arp';
import { encode, VRRP_MCAST, VRRP_PROTO } from '../../daemon/vrrp/codec';
import {
  AF_INET,
  AF_PACKET,
  int32,
  IP_MULTICAST_IF,
  IP_MULTICAST_TTL,
  IP_TTL,
  ipMreqn,
  IPPROTO_IP,
  native,
  SO_BINDTODEVICE,
  sockaddrIn,
  sockaddrLl,
  SOCK_RAW,
  SOL_SOCKET,
} from '../../daemon/net/native';
import { hostileTarget } from './hostile-pair';
import { corpus, tally, type Case } from './vrrp-corpus';

/** the bounds no invocation can pass */
export const LIMITS = { rate: 200_000, seconds: 120, frames: 10_000_000 } as const;

const bounded = (what: string, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new Error(`--${what} must be a number in (0, ${max}]`);
  return n;
};

function addresses(ifname: string) {
  const list = networkInterfaces()[ifname] ?? [];
  const src4 = list.find((a) => a.family === 'IPv4')?.address;
  const src6 = list.find((a) => a.family === 'IPv6' && /^fe[89ab]/i.test(a.address))?.address;
  if (!src4 || !src6) throw new Error(`${ifname} needs an IPv4 and an IPv6 link-local address`);
  const mac = parseMac(readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim());
  return { src4, src6, mac };
}

/** this process's CPU time, ms */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Send `frames` (in order, cycling) at `rate` frames/s until `total` are
 * sent or `seconds` pass; a full socket buffer is retried, not dropped.
 */
async function paced(
  ifname: string,
  frames: Uint8Array[][],
  rate: number,
  seconds: number,
  total: number,
) {
  const n = native();
  const fd = n.socket(AF_PACKET, SOCK_RAW, 0);
  const to = sockaddrLl(n.ifindex(ifname), 0, new Uint8Array(6));
  const bufs = frames.map((fs) => fs.map((f) => Buffer.from(f)));
  const count = Math.min(total, LIMITS.frames);
  let sent = 0;
  let full = 0;
  let next = 0; // index of the case whose frames go next
  let part = 0; // frame within that case
  const c0 = cpuMs();
  const t0 = performance.now();
  try {
    for (;;) {
      const elapsed = (performance.now() - t0) / 1000;
      if (sent >= count || elapsed >= seconds) break;
      let due = Math.min(count, Math.floor(elapsed * rate) + 1) - sent;
      while (due-- > 0) {
        if (n.sendto(fd, bufs[next][part], to) < 0) {
          full++;
          break;
        }
        sent++;
        if (++part === bufs[next].length) [next, part] = [(next + 1) % bufs.length, 0];
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    n.close(fd);
  }
  const wall = (performance.now() - t0) / 1000;
  return {
    sent,
    seconds: +wall.toFixed(3),
    rate: Math.round(sent / wall),
    bufferFull: full,
    cpuMsPerS: +((cpuMs() - c0) / wall).toFixed(1),
    /** whole cases sent (a case may be several frames) */
    cases: { cycles: Math.floor(sent / frames.flat().length), next, part },
  };
}

/** the cases a flood cycles through: one frame each, each reaching a receiver's socket */
export const floodCases = (cases: readonly Case[]) =>
  cases.filter((c) => c.frames.length === 1 && c.expect.at !== 'kernel');

const program = new Command('inject');

program
  .command('corpus')
  .description('send the whole corpus once')
  .requiredOption('--if <name>')
  .option('--seed <n>', 'PRNG seed', Number, 1)
  .option('--random <n>', 'random cases', Number, 200)
  .option('--rate <pps>', 'frames per second', bounded('rate', LIMITS.rate), 5000)
  .action(async (o: { if: string; seed: number; random: number; rate: number }) => {
    const a = addresses(o.if);
    const cases = corpus(hostileTarget(a.src4, a.src6, a.mac), o.seed, o.random);
    const frames = cases.reduce((s, c) => s + c.frames.length, 0);
    const r = await paced(
      o.if,
      cases.map((c) => c.frames),
      o.rate,
      LIMITS.seconds,
      frames,
    );
    if (r.sent !== frames) throw new Error(`sent ${r.sent} of ${frames} frames`);
    console.log(JSON.stringify({ ...r, cases: cases.length, expect: tally(cases) }));
  });

program
  .command('flood')
  .description('cycle through the corpus cases that reach a socket, at a fixed rate')
  .requiredOption('--if <name>')
  .requiredOption('--rate <pps>', 'frames per second', bounded('rate', LIMITS.rate))
  .requiredOption('--seconds <s>', 'duration', bounded('seconds', LIMITS.seconds))
  .option('--seed <n>', 'PRNG seed', Number, 1)
  .action(async (o: { if: string; rate: number; seconds: number; seed: number }) => {
    const a = addresses(o.if);
    const cases = floodCases(corpus(hostileTarget(a.src4, a.src6, a.mac), o.seed));
    const r = await paced(
      o.if,
      cases.map((c) => c.frames),
      o.rate,
      o.seconds,
      o.rate * o.seconds,
    );
    // whole cycles, and the first `next` cases once more
    const expect = tally(cases, (i) => r.cases.cycles + (i < r.cases.next ? 1 : 0));
    console.log(JSON.stringify({ ...r, kinds: cases.length, expect }));
  });

program
  .command('advert')
  .description('send a few adverts through a raw IP socket (receive-check tests)')
  .requiredOption('--if <name>')
  .option('--vrid <n>', 'VRID', Number, 51)
  .option('--prio <n>', 'priority', Number, 254)
  .option('--version <n>', '2 or 3', Number, 2)
  .option('--pass <p>', 'v2 PASS password (none: no auth)')
  .option('--ttl <n>', 'IP TTL', Number, 255)
  .option('--bad-checksum', 'corrupt the checksum')
  .option('--interval <s>', 'advert interval field', Number, 1)
  .option('--count <n>', 'packets to send (at most 1000)', bounded('count', 1000), 5)
  .option('--gap <ms>', 'ms between packets', Number, 100)
  .option('--to <addr>', 'destination (default 224.0.0.18)')
  .action(sendAdverts);

function sendAdverts(o: {
  if: string;
  vrid: number;
  prio: number;
  version: 2 | 3;
  pass?: string;
  ttl: number;
  badChecksum?: boolean;
  interval: number;
  count: number;
  gap: number;
  to?: string;
}) {
  const n = native();
  const src = networkInterfaces()[o.if]?.find((a) => a.family === 'IPv4')?.address;
  if (!src) throw new Error(`no IPv4 address on ${o.if}`);
  const dst = o.to ?? VRRP_MCAST;
  const fd = n.socket(AF_INET, SOCK_RAW, VRRP_PROTO);
  n.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(o.if + '\0'));
  n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', src, n.ifindex(o.if)));
  n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, int32(o.ttl));
  n.setsockopt(fd, IPPROTO_IP, IP_TTL, int32(o.ttl));
  const auth = o.pass ? { authType: 1 as const, authPass: o.pass } : { authType: 0 as const };
  const pkt = encode(
    {
      version: o.version,
      vrid: o.vrid,
      priority: o.prio,
      advertInt: o.interval,
      addresses: ['198.51.100.10'],
      ...(o.version === 2 ? auth : {}),
    },
    { src, dst },
  );
  if (o.badChecksum) pkt[7] ^= 0x5a;
  let sent = 0;
  const tick = () => {
    n.sendto(fd, Buffer.from(pkt), sockaddrIn(dst));
    if (++sent < o.count) setTimeout(tick, o.gap);
    else n.close(fd);
  };
  tick();
}

if (require.main === module)
  program.parseAsync().catch((e: Error) => {
    console.error(`inject: ${e.message}`);
    process.exit(1);
  });
