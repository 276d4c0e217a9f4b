// The one place a stream checker (SMTP_CHECK; HTTP_GET and SSL_GET may follow)
// gets its TCP socket: connected to the target, from bindto / bind_port when
// given. Socket options for checkers belong here.
import * as net from 'node:net';

export interface StreamTarget {
  host: string;
  port: number;
  bindto?: string;
  bindPort?: number;
}

export function openStream(t: StreamTarget): net.Socket {
  return net.connect({
    host: t.host,
    port: t.port,
    ...(t.bindto ? { localAddress: t.bindto } : {}),
    ...(t.bindPort ? { localPort: t.bindPort } : {}),
  });
}
