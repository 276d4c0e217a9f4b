// Throw-away keys for client-certificate tests, made with openssl at test
// time in a temporary folder (never committed): a CA, a server and a client
// certificate it signed (the client key encrypted with a pass phrase), and a
// client certificate of another CA.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  password: string;
  rogueCert: string;
  rogueKey: string;
}

export function makePki(dir: string): Pki {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  const ca = (name: string) =>
    ssl(
      'req',
      '-x509',
      ...ec,
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
    );
  const leaf = (name: string, caName: string, pass?: string) => {
    ssl(
      'req',
      ...ec,
      ...(pass ? ['-passout', `pass:${pass}`] : ['-nodes']),
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f(`${caName}.pem`),
      '-CAkey',
      f(`${caName}.key`),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
    );
  };
  ca('test-ca');
  ca('rogue-ca');
  leaf('server', 'test-ca');
  leaf('client', 'test-ca', 'secret pw');
  leaf('rogue', 'rogue-ca');
  return {
    ca: f('test-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    password: 'secret pw',
    rogueCert: f('rogue.pem'),
    rogueKey: f('rogue.key'),
  };
}
