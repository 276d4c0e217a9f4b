// The operator's side of SSH: the lab's client key, and the known_hosts and
// ssh_config files that reach every host by name with strict host key checks.
import { readFile, writeFile } from 'node:fs/promises';
import { must } from './sys';
import type { LabHost } from './topology';

export interface SshFiles {
  clientKey: string;
  knownHosts: string;
  sshConfig: string;
}

/** A fresh ed25519 key pair without passphrase. */
export const keygen = (comment: string, file: string) =>
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);

/** Write known_hosts and ssh_config for `hosts`, given each host's public key file. */
export async function writeSshFiles(
  files: SshFiles,
  hosts: LabHost[],
  hostKeyOf: (name: string) => string,
): Promise<void> {
  const known: string[] = [];
  const cfg: string[] = [];
  for (const h of hosts) {
    // "type base64", without the key's comment
    const key = (await readFile(hostKeyOf(h.name), 'utf8'))
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(' ');
    known.push(`${[h.name, ...h.ifaces.map((i) => i.address)].join(',')} ${key}`);
    cfg.push(
      `Host ${h.name}`,
      `  HostName ${h.ifaces[0].address}`,
      '  User root',
      `  IdentityFile ${files.clientKey}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${files.knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  HostKeyAlias ' + h.name,
      '  BatchMode yes',
      '  ConnectTimeout 5',
      '',
    );
  }
  await writeFile(files.knownHosts, known.join('\n') + '\n');
  await writeFile(files.sshConfig, cfg.join('\n'));
}
