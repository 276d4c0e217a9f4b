// The far end of the probe-socket lab test, run inside its server namespace:
// HTTP on TCP 80 (200 "ok"), a UDP echo on 7, a DNS responder on 53 (the
// query's id, RCODE 0). Each connection or datagram is printed as one JSON
// line {proto, from, port} so that the test sees the probes' source ports.
// argv[2]: the address the UDP services bind to.
import * as dgram from 'node:dgram';
import * as http from 'node:http';

const say = (o: { from?: string; [k: string]: unknown }) =>
  process.stdout.write(JSON.stringify({ ...o, from: o.from?.replace(/^::ffff:/, '') }) + '\n');

const web = http.createServer((req, res) => {
  say({ proto: 'http', from: req.socket.remoteAddress, port: req.socket.remotePort });
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end('ok\n');
});
web.on('connection', (c) => say({ proto: 'tcp', from: c.remoteAddress, port: c.remotePort }));

const echo = dgram.createSocket('udp4');
echo.on('message', (m, r) => {
  say({ proto: 'udp', from: r.address, port: r.port });
  echo.send(m, r.port, r.address);
});

const dns = dgram.createSocket('udp4');
dns.on('message', (m, r) => {
  say({ proto: 'dns', from: r.address, port: r.port });
  if (m.length < 12) return;
  const a = Buffer.from(m);
  a[2] = 0x81; // QR, RD
  a[3] = 0x80; // RA, RCODE 0
  dns.send(a, r.port, r.address);
});

// UDP answers must leave from the address asked (a socket on 0.0.0.0 would answer from the route's source)
const addr = process.argv[2] ?? '0.0.0.0';
let up = 0;
const ready = () => ++up === 3 && say({ ready: true });
web.listen(80, '::', ready); // both families
echo.bind(7, addr, ready);
dns.bind(53, addr, ready);
