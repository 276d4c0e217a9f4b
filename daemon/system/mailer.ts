// The SMTP edge of alerts: mails go out one at a time, off any hot path,
// through nodemailer (plain SMTP like keepalived: HELO/EHLO, MAIL, RCPT, DATA).
// The queue is bounded (the oldest is dropped when the server is down for
// long), every stage is bounded by smtp_connect_timeout, the server's name is
// resolved at each send, and a failure is logged, never thrown.
import { createTransport } from 'nodemailer';
import type { Log } from '../core/log';

export interface Mail {
  subject: string;
  body: string;
}

export interface MailerOptions {
  server: { host: string; port: number };
  helo: string;
  from: string;
  to: string[];
  timeoutMs: number;
  log: Log;
  /** mails waiting at most (default 64): the oldest go first when it is full */
  maxQueue?: number;
}

/** What sends one mail; nodemailer's SMTP transport in production, a fake in tests. */
export type SendOne = (m: Mail) => Promise<void>;

export function smtpSender(o: MailerOptions): SendOne {
  const transport = createTransport({
    host: o.server.host,
    port: o.server.port,
    secure: false,
    // keepalived speaks plain SMTP; an unverifiable STARTTLS offer must not lose the alert
    ignoreTLS: true,
    name: o.helo,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    dnsTimeout: o.timeoutMs,
    logger: false,
  });
  return async (m) => {
    await transport.sendMail({
      from: o.from,
      to: o.to.join(', '),
      envelope: { from: o.from, to: o.to },
      subject: m.subject,
      text: m.body,
      date: new Date(),
      headers: { 'X-Mailer': 'Keepalived' },
    });
  };
}

export class Mailer {
  private readonly queue: { mail: Mail; queuedAt: number }[] = [];
  private running?: Promise<void>;
  readonly stats = { sent: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly sendOne: SendOne,
    private readonly log: Log,
    private readonly maxQueue = 64,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Queue a mail; returns at once. */
  send(mail: Mail) {
    if (this.queue.length >= this.maxQueue) {
      const old = this.queue.shift()!;
      this.stats.dropped++;
      this.log('warn', `SMTP alert dropped (queue full): ${old.mail.subject}`);
    }
    this.queue.push({ mail, queuedAt: this.now() });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain() {
    for (let q = this.queue.shift(); q; q = this.queue.shift()) {
      try {
        await this.sendOne(q.mail);
        this.stats.sent++;
        const ms = Math.round(this.now() - q.queuedAt);
        this.log('info', `SMTP alert sent in ${ms} ms: ${q.mail.subject}`);
      } catch (e) {
        this.stats.failed++;
        this.log('warn', `SMTP alert failed: ${q.mail.subject}: ${(e as Error).message}`);
      }
    }
  }

  /** Wait for the queue to empty, at most `ms` (at shutdown). */
  async flush(ms: number): Promise<void> {
    if (!this.running) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  }
}
