// SMTP_CHECK's I/O: a TCP connection driven by the pure dialogue (smtp.ts).
// As in keepalived, connect_timeout bounds the connect and each wait for a
// reply or a write, not the dialogue as a whole.
import { SmtpDialogue, type SmtpAction } from './smtp';
import type { ProbeResult } from './status';
import { openStream, type StreamTarget } from './stream';

export interface SmtpTarget extends StreamTarget {
  helo: string;
  timeoutMs: number;
}

export function smtpProbe(t: SmtpTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const d = new SmtpDialogue(t.helo);
    const s = openStream(t);
    let settled = false;
    let connected = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve(r);
    };
    // one timeout per wait: set again whenever the dialogue moves on
    s.setTimeout(t.timeoutMs, () =>
      done({
        ok: false,
        reason: connected
          ? `read timeout (${d.stage}) after ${t.timeoutMs} ms`
          : `connection timeout after ${t.timeoutMs} ms`,
      }),
    );
    const act = (a: SmtpAction) => {
      if (a.kind === 'send') s.write(a.data);
      else done(a.ok ? { ok: true } : { ok: false, reason: a.reason });
    };
    s.once('connect', () => (connected = true));
    s.setEncoding('latin1');
    s.on('data', (chunk: string) => d.receive(chunk).forEach(act));
    s.once('error', (e) => done({ ok: false, reason: e.message }));
    s.once('close', () => act(d.closed()));
  });
}
