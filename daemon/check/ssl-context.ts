// The top-level `SSL { password ca certificate key }` block (keepalived's
// check_ssl.c context, used by every SSL_GET): a client certificate chain and
// key (the key's PEM pass phrase in `password`) and CA certificates. As in
// keepalived, the server's certificate is not verified (no SSL_VERIFY_PEER):
// the CA file only completes the client's chain. Read once when the checkers
// start; a file that cannot be read is logged and the context is used
// without it.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Log } from '../core/log';

export interface SslBlock {
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
}

/** Options for tls.connect */
export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
}

export function loadClientTls(
  ssl: SslBlock | undefined,
  log: Log,
  read: (file: string) => Buffer = (f) => readFileSync(f),
): ClientTls | undefined {
  if (!ssl) return undefined;
  const out: ClientTls = {};
  const load = (file: string | undefined, what: string, set: (b: Buffer) => void) => {
    if (!file) return;
    try {
      set(read(file));
    } catch (e) {
      log('error', `SSL: cannot load ${what} ${file}: ${(e as Error).message}`);
    }
  };
  load(ssl.certificate, 'certificate', (b) => (out.cert = b));
  load(ssl.key, 'key', (b) => (out.key = b));
  load(ssl.ca, 'CA file', (b) => (out.ca = b));
  if (ssl.password !== undefined) out.passphrase = ssl.password;
  try {
    createSecureContext(out);
  } catch (e) {
    // keepalived: "SSL error : Cant load key file..."; SSL_GET goes on without a client certificate
    log('error', `SSL: the certificate, key or password cannot be used: ${(e as Error).message}`);
    return out.ca ? { ca: out.ca } : {};
  }
  return out;
}
