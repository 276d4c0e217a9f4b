// Send crafted VRRP adverts from a lab host (tests of receive-side checks).
// Run inside a lab host: node dist/scripts/vrrp-inject.js --if lan0 --vrid 51 --prio 254 [--version 2|3]
//   [--pass P] [--ttl N] [--bad-checksum] [--interval S] [--count N] [--to ADDR]
import { Command } from 'commander';
import { networkInterfaces } from 'node:os';
import { encode, VRRP_MCAST, VRRP_PROTO } from '../daemon/vrrp/codec';
import {
  AF_INET,
  int32,
  IP_MULTICAST_IF,
  IP_MULTICAST_TTL,
  IP_TTL,
  ipMreqn,
  IPPROTO_IP,
  native,
  SO_BINDTODEVICE,
  sockaddrIn,
  SOCK_RAW,
  SOL_SOCKET,
} from '../daemon/net/native';

const o = new Command('vrrp-inject')
  .requiredOption('--if <name>')
  .option('--vrid <n>', 'VRID', Number, 51)
  .option('--prio <n>', 'priority', Number, 254)
  .option('--version <n>', '2 or 3', Number, 2)
  .option('--pass <p>', 'v2 PASS password (none: no auth)')
  .option('--ttl <n>', 'IP TTL', Number, 255)
  .option('--bad-checksum', 'corrupt the checksum')
  .option('--interval <s>', 'advert interval field', Number, 1)
  .option('--count <n>', 'packets to send', Number, 5)
  .option('--gap <ms>', 'ms between packets', Number, 100)
  .option('--to <addr>', 'destination (default 224.0.0.18)')
  .parse()
  .opts();

const n = native();
const src = networkInterfaces()[o.if]?.find((a) => a.family === 'IPv4')?.address;
if (!src) throw new Error(`no IPv4 address on ${o.if}`);
const dst = o.to ?? VRRP_MCAST;
const fd = n.socket(AF_INET, SOCK_RAW, VRRP_PROTO);
n.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(o.if + '\0'));
n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', src, n.ifindex(o.if)));
n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, int32(o.ttl));
n.setsockopt(fd, IPPROTO_IP, IP_TTL, int32(o.ttl));
const pkt = encode(
  {
    version: o.version,
    vrid: o.vrid,
    priority: o.prio,
    advertInt: o.interval,
    addresses: ['198.51.100.10'],
    ...(o.version === 2
      ? o.pass
        ? { authType: 1 as const, authPass: o.pass }
        : { authType: 0 as const }
      : {}),
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
