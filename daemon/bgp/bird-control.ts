// The thin I/O edge to BIRD's control socket: connect, read the welcome,
// send one command at a time, hand the bytes to the pure ReplyDecoder
// (bird-reply.ts). Every wait is bounded.
import { createConnection, type Socket } from 'node:net';
import {
  BirdError,
  expectOk,
  parseProtocols,
  REPLY,
  ReplyDecoder,
  toggleCommand,
  toggleResult,
  type BirdReply,
  type ProtocolRow,
} from './bird-reply';

interface Pending {
  resolve(r: BirdReply): void;
  reject(e: Error): void;
}

export class BirdControl {
  private readonly decoder = new ReplyDecoder();
  private readonly waiting: Pending[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      try {
        for (const r of this.decoder.push(chunk)) this.waiting.shift()?.resolve(r);
      } catch (e) {
        this.fail(e as Error);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(
        new BirdError(
          `BIRD control socket: ${e.message}${
            // Debian's BIRD makes it bird:bird 0660, and a systemd unit may keep no CAP_DAC_OVERRIDE
            e.code === 'EACCES'
              ? " (the socket is its group's only: run keepalive-ts with BIRD's group, e.g. systemd's SupplementaryGroups=bird, which the suite's drop-in sets)"
              : ''
          }`,
        ),
      ),
    );
    socket.on('close', () => this.fail(new BirdError('BIRD closed the control socket')));
  }

  /** Connect and wait for BIRD's `0001 BIRD x ready.` */
  static async connect(socketPath: string, timeoutMs = 2000): Promise<BirdControl> {
    const socket = createConnection({ path: socketPath });
    const control = new BirdControl(socket, timeoutMs);
    try {
      const welcome = await control.next(`connect ${socketPath}`);
      if (welcome.code !== REPLY.welcome)
        throw new BirdError(`${socketPath}: not BIRD's welcome: ${welcome.code}`, welcome.code);
      return control;
    } catch (e) {
      control.close();
      throw e;
    }
  }

  /** Send one command line; resolves with its whole reply (errors included: see expectOk). */
  request(command: string): Promise<BirdReply> {
    if (/[\r\n]/.test(command)) return Promise.reject(new BirdError('a command is one line'));
    const run = async () => {
      const reply = this.next(command);
      this.socket.write(`${command}\n`);
      return reply;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async showProtocols(): Promise<ProtocolRow[]> {
    return parseProtocols(await this.request('show protocols'));
  }

  /** enable/disable one protocol; `changed` false when it already was */
  async toggle(verb: 'enable' | 'disable', protocol: string): Promise<{ changed: boolean }> {
    const command = toggleCommand(verb, protocol);
    return toggleResult(await this.request(command), verb, protocol);
  }

  async expect(command: string): Promise<BirdReply> {
    return expectOk(await this.request(command), command);
  }

  close(): void {
    this.fail(new BirdError('BIRD control connection closed'));
    this.socket.destroy();
  }

  private next(what: string): Promise<BirdReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<BirdReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        // the connection is out of step now: no later reply can be matched to its command
        this.fail(new BirdError(`BIRD did not answer "${what}" within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
