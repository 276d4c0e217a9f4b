// SMTP_CHECK's dialogue (keepalived 2.2.7 check_smtp.c), pure: read the
// greeting, which must be 220; send `HELO helo_name`, whose reply must be 250;
// send QUIT and take any line as its answer. Bytes in, actions out; the
// socket and the timeouts are the shell's (smtp-probe.ts).
//
// As keepalived reads a reply: bytes are gathered until a newline, the line
// is what comes before the first one (anything after it is dropped), a
// buffer of 511 bytes without a newline is emptied and reading goes on. The
// code is the line's first three characters, digits, followed by a space or
// the end of the line: a multi-line reply (`220-...`) or a bare `250\r` is
// not a valid code to keepalived, and so not to us.

/** keepalived's SMTP_BUFF_MAX - 1 */
const LINE_MAX = 511;

export type SmtpStage = 'greeting' | 'helo' | 'quit';

export type SmtpAction =
  | { kind: 'send'; data: string }
  | { kind: 'done'; ok: true }
  | { kind: 'done'; ok: false; reason: string };

/** The reply code of a line as keepalived's smtp_get_status reads it, -1 when not legible. */
export function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |$)/.exec(line);
  return m ? Number(m[1]) : -1;
}

export class SmtpDialogue {
  stage: SmtpStage = 'greeting';
  private buf = '';
  private finished = false;

  constructor(private readonly helo: string) {}

  /** Bytes from the server; the actions they call for (send, then maybe more). */
  receive(data: string): SmtpAction[] {
    const out: SmtpAction[] = [];
    let rest = data;
    while (!this.finished && rest.length) {
      const room = LINE_MAX - this.buf.length;
      this.buf += rest.slice(0, room);
      rest = rest.slice(room);
      const nl = this.buf.indexOf('\n');
      if (nl < 0) {
        if (this.buf.length >= LINE_MAX) this.buf = '';
        continue;
      }
      const line = this.buf.slice(0, nl);
      // one read, one line: what followed the newline in this read is dropped
      // (bytes past the buffer were not read yet: they start the next reply)
      this.buf = '';
      out.push(...this.line(line));
    }
    return out;
  }

  /** The server closed the connection (or reading failed). */
  closed(): SmtpAction {
    this.finished = true;
    return { kind: 'done', ok: false, reason: `read failure (${this.stage})` };
  }

  private line(line: string): SmtpAction[] {
    const code = smtpStatus(line);
    const shown = JSON.stringify(line.slice(0, 80));
    switch (this.stage) {
      case 'greeting':
        if (code !== 220) return this.fail(`bad greeting banner ${shown}`);
        this.stage = 'helo';
        return [{ kind: 'send', data: `HELO ${this.helo}\r\n` }];
      case 'helo':
        if (code !== 250) return this.fail(`bad HELO response ${shown}`);
        this.stage = 'quit';
        return [{ kind: 'send', data: 'QUIT\r\n' }];
      case 'quit':
        this.finished = true;
        return [{ kind: 'done', ok: true }];
    }
  }

  private fail(reason: string): SmtpAction[] {
    this.finished = true;
    return [{ kind: 'done', ok: false, reason }];
  }
}
