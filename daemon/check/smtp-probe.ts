// SMTP_CHECK's I/O: a TCP connection (net/probe-socket.ts: the checker's
// bindto, bind_port, bind_if, fwmark) driven by the pure dialogue (smtp.ts).
// As in keepalived, connect_timeout bounds the connect and each wait for a
// reply or a write, not the dialogue as a whole.
import { connectStream, socketOfFd, type ProbeSocketOptions } from '../net/probe-socket';
import { SmtpDialogue, type SmtpAction } from './smtp';
import type { ProbeResult } from './status';

export interface SmtpTarget {
  host: string;
  port: number;
  helo: string;
  timeoutMs: number;
  socket?: ProbeSocketOptions;
}

export async function smtpProbe(t: SmtpTarget): Promise<ProbeResult> {
  const c = await connectStream(t.host, t.port, t.socket ?? {}, t.timeoutMs);
  if (!c.ok) return { ok: false, reason: c.reason };
  const s = socketOfFd(c.fd);
  return new Promise((resolve) => {
    const d = new SmtpDialogue(t.helo);
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve(r);
    };
    // one timeout per wait: set again whenever the dialogue moves on
    s.setTimeout(t.timeoutMs, () =>
      done({ ok: false, reason: `read timeout (${d.stage}) after ${t.timeoutMs} ms` }),
    );
    const act = (a: SmtpAction) => {
      if (a.kind === 'send') s.write(a.data);
      else done(a.ok ? { ok: true } : { ok: false, reason: a.reason });
    };
    s.setEncoding('latin1');
    s.on('data', (chunk: string) => d.receive(chunk).forEach(act));
    s.once('error', (e) => done({ ok: false, reason: e.message }));
    s.once('close', () => act(d.closed()));
  });
}
