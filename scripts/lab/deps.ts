// The Debian packages the lab (and the tests that use it) needs, installed
// with apt-get when their binary is missing.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { run } from './sys';

/** Debian packages by the binary that shows they are there. */
export const DEBIAN_DEPS: Record<string, string> = {
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  nft: 'nftables',
  ip: 'iproute2',
  ping: 'iputils-ping',
  arping: 'iputils-arping',
  keepalived: 'keepalived',
  tshark: 'tshark',
  busybox: 'busybox',
  curl: 'curl',
  nsenter: 'util-linux',
  /** BIRD 2: the directors' and the router's BGP in the active-active lab (--mode active-active) */
  bird: 'bird2',
  /** the test mail server of the SMTP alert tests */
  'smtp-sink': 'postfix',
};

const POSTFIX_UNCONFIGURED = 'postfix postfix/main_mailer_type select No configuration\n';

// sbin folders too: a non-login root shell may not have them on PATH
const SBIN = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Full path of `bin` in the usual system folders, or undefined. */
export function which(bin: string): string | undefined {
  return SBIN.map((d) => path.join(d, bin)).find((p) => existsSync(p));
}

export async function ensureDebianDeps(log: (s: string) => void = console.error): Promise<void> {
  const missing = [
    ...new Set(
      Object.entries(DEBIAN_DEPS)
        .filter(([b]) => !which(b))
        .map(([, p]) => p),
    ),
  ];
  if (missing.length === 0) return;
  log(`lab: installing missing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // only smtp-sink is wanted: no mail server configured and listening on port 25
  if (missing.includes('postfix'))
    await run('debconf-set-selections', [], { input: POSTFIX_UNCONFIGURED, env });
  const install = () =>
    run('apt-get', ['install', '-y', '-qq', ...missing], { timeoutMs: 600_000, env });
  let r = await install();
  if (r.code !== 0) {
    // a fresh container has no package lists yet
    await run('apt-get', ['update', '-qq'], { timeoutMs: 600_000, env });
    r = await install();
  }
  if (r.code !== 0) {
    throw new Error(`lab: could not install ${missing.join(' ')} with apt-get: ${r.stderr.trim()}`);
  }
}
