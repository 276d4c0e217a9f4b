// Many TCP listeners in one process (scale tests): listens on ports
// FROM..TO of ADDR; SIGUSR1 closes the first N ports given by --close-first,
// so a test can make real servers fail on cue. Runs inside a lab host.
//   node dist/scripts/lab/port-farm.js --addr 198.51.100.21 --from 10000 --to 10999 [--close-first 50]
import { Command } from 'commander';
import * as net from 'node:net';

const o = new Command('port-farm')
  .requiredOption('--addr <ip>')
  .requiredOption('--from <port>', 'first port', Number)
  .requiredOption('--to <port>', 'last port', Number)
  .option('--close-first <n>', 'ports closed on SIGUSR1', Number, 0)
  .parse()
  .opts();

const servers: net.Server[] = [];
for (let p = o.from; p <= o.to; p++) {
  const s = net.createServer((c) => c.end());
  s.listen(p, o.addr);
  servers.push(s);
}
process.on('SIGUSR1', () => {
  for (const s of servers.slice(0, o.closeFirst)) s.close();
  process.stdout.write(`closed ${o.closeFirst}\n`);
});
process.stdout.write(`listening ${servers.length}\n`);
