// Many listeners in one process (scale tests and benchmarks): TCP on ports
// FROM..TO of ADDR (closing each connection, or answering one HTTP request
// with --http), and optionally UDP echo on UDP_FROM..UDP_TO. SIGUSR1 closes
// the first N TCP ports given by --close-first, so a test can make real
// servers fail on cue. Runs inside a lab host (or a VM namespace).
//   node dist/scripts/lab/port-farm.js --addr 198.51.100.21 --from 10000 --to 10999 [--close-first 50]
//     [--http] [--udp-from 11000 --udp-to 11499]
import { Command } from 'commander';
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const o = new Command('port-farm')
  .requiredOption('--addr <ip>')
  .requiredOption('--from <port>', 'first port', Number)
  .requiredOption('--to <port>', 'last port', Number)
  .option('--close-first <n>', 'ports closed on SIGUSR1', Number, 0)
  .option('--http', 'answer one HTTP request per connection with 200')
  .option('--udp-from <port>', 'first UDP echo port', Number)
  .option('--udp-to <port>', 'last UDP echo port', Number)
  .parse()
  .opts<{
    addr: string;
    from: number;
    to: number;
    closeFirst: number;
    http?: boolean;
    udpFrom?: number;
    udpTo?: number;
  }>();

const OK = 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n';
const httpAnswer = (c: net.Socket) => {
  let seen = '';
  c.on('data', (d) => {
    seen += d.toString('latin1');
    if (seen.includes('\r\n\r\n')) c.end(OK);
  });
  c.on('error', () => c.destroy());
};

const servers: net.Server[] = [];
for (let p = o.from; p <= o.to; p++) {
  const s = net.createServer(o.http ? httpAnswer : (c) => c.end());
  s.listen(p, o.addr);
  servers.push(s);
}
let udp = 0;
if (o.udpFrom !== undefined)
  for (let p = o.udpFrom; p <= (o.udpTo ?? o.udpFrom); p++, udp++) {
    const s = dgram.createSocket(o.addr.includes(':') ? 'udp6' : 'udp4');
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.bind(p, o.addr);
  }
process.on('SIGUSR1', () => {
  for (const s of servers.slice(0, o.closeFirst)) s.close();
  process.stdout.write(`closed ${o.closeFirst}\n`);
});
process.stdout.write(`listening ${servers.length}${udp ? ` + ${udp} udp` : ''}\n`);
