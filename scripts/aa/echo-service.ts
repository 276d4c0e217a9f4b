// A real server's long-lived service for the survival measurement: each line
// a client sends comes back prefixed with this host's name ("rs2 17"), so the
// client knows which real server answered, on the same connection, for as
// long as it lives (busybox httpd closes every connection). A request that
// starts like HTTP ("GET / HTTP/1.0") gets the host's name as an HTTP/1.0
// page and a close, so HTTP_GET health checks and HTTP load work on the same
// port. Usage: node echo-service.js --port 80 --name rs1 [--address ADDR]
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';

const HTTP_REQUEST = /^(GET|HEAD) \S+ HTTP\/1\.[01]\r?$/;

/** The echo of one line: this host's name, then the line. */
export function answerLine(name: string, line: string): string {
  return `${name} ${line.replace(/\r$/, '')}\n`;
}

export function httpPage(name: string, head: boolean): string {
  const body = `${name}\n`;
  return (
    `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n` +
    `Connection: close\r\n\r\n${head ? '' : body}`
  );
}

function serve(name: string, s: Socket) {
  s.setNoDelay(true);
  let buf = '';
  let http: { head: boolean } | undefined;
  let first = true;
  s.on('error', () => s.destroy());
  s.on('data', (d) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (first) {
        first = false;
        const m = HTTP_REQUEST.exec(line);
        if (m) http = { head: m[1] === 'HEAD' };
      }
      if (!http) {
        s.write(answerLine(name, line));
        continue;
      }
      // HTTP: the header ends with an empty line
      if (line === '' || line === '\r') {
        s.end(httpPage(name, http.head));
        return;
      }
    }
    if (buf.length > 8192) s.destroy(); // no line that long in either protocol
  });
}

export function echoServer(name: string): Server {
  return createServer((s) => serve(name, s));
}

function main() {
  const arg = (k: string) => {
    const i = process.argv.indexOf(k);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? 80);
  const name = arg('--name') ?? hostname();
  const server = echoServer(name);
  server.on('error', (e) => {
    console.error(`echo-service: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, arg('--address') ?? '0.0.0.0', () =>
    console.error(`echo-service: ${name} listening on ${port}`),
  );
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(0));
}

if (require.main === module) main();
