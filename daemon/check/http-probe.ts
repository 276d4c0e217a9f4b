// HTTP_GET / SSL_GET: the request keepalived 2.2.7 sends (check_http.c), byte
// for byte, over a plain or TLS socket; the response is read until the server
// closes, then the status code, MD5 digest of the body and regex decide.
//
//   GET PATH HTTP/1.0|1.1\r\n
//   User-Agent: KeepAliveClient\r\n
//   [Connection: close\r\n]            (http_protocol 1.0C and 1.1)
//   Host: VHOST | ADDR:PORT | [ADDR6]:PORT\r\n\r\n
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { connectStream, socketOfFd, type ProbeSocketOptions } from '../net/probe-socket';
import type { ClientTls } from './ssl-context';
import type { ProbeResult } from './status';
import { compileRegex } from '../core/pcre';
import { regexPasses, type UrlRegex } from './regex';
import { statusOk } from './verdict';

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface HttpTarget {
  tls: boolean;
  host: string;
  port: number;
  path: string;
  virtualhost?: string;
  statusCodes?: { from: number; to: number }[];
  digest?: string;
  regex?: UrlRegex;
  protocol?: HttpProtocol;
  timeoutMs: number;
  /** bindto, bind_port, bind_if, fwmark */
  socket?: ProbeSocketOptions;
  sni?: boolean;
  /** SSL_GET's client certificate (the top-level SSL block) */
  client?: ClientTls;
}

/** The request keepalived writes for this url. */
export function httpRequest(
  path: string,
  protocol: HttpProtocol,
  host: string,
  port: number,
  virtualhost?: string,
): string {
  const minor = protocol === '1.1' ? 1 : 0;
  const close = protocol === '1.0' ? '' : 'Connection: close\r\n';
  const hostHdr = virtualhost
    ? virtualhost
    : net.isIPv6(host)
      ? `[${host}]:${port}`
      : `${host}:${port}`;
  return `GET ${path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${hostHdr}\r\n\r\n`;
}

/** Status code and body of a raw response (keepalived: extract_status_code, extract_html). */
export function parseResponse(raw: Buffer): { status: number; body?: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  const line = raw.subarray(0, Math.min(raw.indexOf('\r\n') >>> 0, raw.length)).toString('latin1');
  const m = /^HTTP\/\d\.\d\s+(\d{3})/.exec(line);
  return { status: m ? Number(m[1]) : 0, ...(end >= 0 ? { body: raw.subarray(end + 4) } : {}) };
}

/**
 * The verdict on a response, in keepalived's order: data, status, digest, regex.
 * `bodyMd5` is the hex MD5 of the whole body when it was computed while streaming.
 */
export function judgeResponse(
  raw: Buffer,
  t: Pick<HttpTarget, 'statusCodes' | 'digest' | 'regex'>,
  bodyMd5?: string,
): ProbeResult {
  if (!raw.length) return { ok: false, reason: 'no data received' };
  const { status, body } = parseResponse(raw);
  if (body === undefined) return { ok: false, reason: 'no end of HTTP headers' };
  if (!statusOk(status, t.statusCodes)) return { ok: false, reason: `HTTP status ${status}` };
  if (t.digest) {
    const got = bodyMd5 ?? createHash('md5').update(body).digest('hex');
    if (got !== t.digest.toLowerCase())
      return { ok: false, reason: `digest ${got} != ${t.digest}` };
  }
  if (t.regex) {
    const c = compileRegex(t.regex.pattern, t.regex.options);
    if ('error' in c) return { ok: false, reason: `invalid regex: ${c.error}` };
    if (!regexPasses(raw.toString('latin1'), t.regex, c.re))
      return { ok: false, reason: t.regex.noMatch ? 'regex matched' : 'regex did not match' };
  }
  return { ok: true };
}

/** Of a long response the first MiB is kept for the status and regex; the digest covers all. */
const KEEP = 1 << 20;

export function httpProbe(t: HttpTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let settled = false;
    const md5 = createHash('md5');
    let inBody = false;
    let plain: net.Socket | undefined;
    let s: net.Socket | undefined;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s?.destroy();
      plain?.destroy();
      resolve(r);
    };
    // connect_timeout bounds the whole exchange, the connect included
    const timer = setTimeout(
      () => done({ ok: false, reason: `timeout after ${t.timeoutMs} ms` }),
      t.timeoutMs,
    );
    void connectStream(t.host, t.port, t.socket ?? {}, t.timeoutMs).then((c) => {
      if (!c.ok) return done({ ok: false, reason: c.reason });
      if (settled) {
        socketOfFd(c.fd).destroy();
        return;
      }
      plain = socketOfFd(c.fd);
      const request = () =>
        sock.write(httpRequest(t.path, t.protocol ?? '1.0', t.host, t.port, t.virtualhost));
      let sock: net.Socket = plain;
      try {
        if (t.tls)
          sock = tls.connect({
            socket: plain,
            rejectUnauthorized: false,
            ...t.client,
            ...(t.sni && t.virtualhost ? { servername: t.virtualhost } : {}),
          });
      } catch (e) {
        // a client key or certificate Node cannot use (checked at load too)
        return done({ ok: false, reason: `TLS: ${(e as Error).message}` });
      }
      s = sock;
      if (t.tls) sock.once('secureConnect', request);
      else request();
      sock.on('data', (d: Buffer) => {
        if (inBody) md5.update(d);
        else {
          const all = Buffer.concat([...chunks, d]);
          const end = all.indexOf('\r\n\r\n');
          if (end >= 0) {
            inBody = true;
            md5.update(all.subarray(end + 4));
          }
        }
        if (kept < KEEP) {
          chunks.push(d);
          kept += d.length;
        }
      });
      sock.once('error', (e) => done({ ok: false, reason: e.message }));
      // the server closes (HTTP/1.0, or Connection: close): the response is complete
      sock.once('close', () =>
        done(judgeResponse(Buffer.concat(chunks), t, inBody ? md5.digest('hex') : undefined)),
      );
    });
  });
}
