// SSH to the cluster's hosts with node-ssh: host keys pinned (a host whose
// key differs from the declaration is refused), one connection per host,
// commands run once or streamed line by line with their stdin as the stop
// signal. The imperative edge of the verifier; verify.ts sees only Remote.
import { connect, type Socket } from 'node:net';
import { NodeSSH } from 'node-ssh';

/**
 * A TCP connection with Nagle off: without it every exec's small packets wait
 * for delayed ACKs (~55 ms a command instead of ~14 ms), and clock samples
 * taken over SSH get that much less precise.
 */
function noDelaySocket(host: string, port: number, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Stream {
  /** close stdin (the remote side stops) and wait for the command to end */
  end(): Promise<void>;
}

export interface Remote {
  run(host: string, cmd: string, stdin?: string): Promise<RunResult>;
  /** run `cmd`, calling onLine for each stdout line as it arrives */
  stream(host: string, cmd: string, onLine: (line: string) => void): Promise<Stream>;
  close(): Promise<void>;
}

export interface HostEntry {
  address: string;
  /** "ssh-ed25519 AAAA..." */
  hostKey: string;
}

export class SshRemote implements Remote {
  private readonly conns = new Map<string, Promise<NodeSSH>>();

  constructor(
    private readonly hosts: Record<string, HostEntry>,
    private readonly auth: { user: string; port: number; privateKey: string },
  ) {}

  private conn(host: string): Promise<NodeSSH> {
    let c = this.conns.get(host);
    if (!c) {
      const h = this.hosts[host];
      if (!h) throw new Error(`no address or host key for ${host}`);
      const pinned = h.hostKey.split(' ')[1];
      const ssh = new NodeSSH();
      c = noDelaySocket(h.address, this.auth.port)
        .then((sock) =>
          ssh.connect({
            sock,
            username: this.auth.user,
            privateKey: this.auth.privateKey,
            readyTimeout: 10_000,
            // the key the server shows must be the pinned one (ssh2 passes the raw key blob)
            hostVerifier: (key: Buffer) => key.toString('base64') === pinned,
          } as Parameters<NodeSSH['connect']>[0]),
        )
        .catch((e: Error) => {
          this.conns.delete(host);
          throw new Error(`${host} (${h.address}): ${e.message}`);
        });
      this.conns.set(host, c);
    }
    return c;
  }

  async run(host: string, cmd: string, stdin?: string): Promise<RunResult> {
    const ssh = await this.conn(host);
    const r = await ssh.execCommand(cmd, stdin === undefined ? {} : { stdin });
    return { code: r.code ?? 0, stdout: r.stdout, stderr: r.stderr };
  }

  async stream(host: string, cmd: string, onLine: (line: string) => void): Promise<Stream> {
    const ssh = await this.conn(host);
    const client = ssh.connection!;
    return new Promise((resolve, reject) => {
      client.exec(
        cmd,
        (
          err: Error | undefined,
          ch: NodeJS.ReadWriteStream & {
            on: (e: string, f: (...a: unknown[]) => void) => void;
            stderr: NodeJS.ReadableStream;
          },
        ) => {
          if (err) return reject(new Error(`${host}: ${err.message}`));
          let buf = '';
          const closed = new Promise<void>((res) => ch.on('close', () => res()));
          ch.on('data', (d: unknown) => {
            buf += String(d);
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              onLine(buf.slice(0, i));
              buf = buf.slice(i + 1);
            }
          });
          ch.stderr.on('data', () => {});
          resolve({
            end: async () => {
              ch.end();
              // unref: a pending bound must not keep the verifier's process alive after the work is done
              await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
            },
          });
        },
      );
    });
  }

  async close() {
    for (const c of this.conns.values()) await c.then((s) => s.dispose()).catch(() => {});
    this.conns.clear();
  }
}
