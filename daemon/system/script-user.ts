// Who runs operator scripts (keepalived's script_user): a script's own
// `user [group]`, else global_defs script_user, else keepalived_script when
// that user exists, else the daemon's own user. Names come from /etc/passwd
// and /etc/group (parsed here; Node has no getpwnam).
import { readFileSync } from 'node:fs';
import type { Identity } from './script-security';

export interface UserRef {
  user: string;
  group?: string;
}

export interface Accounts {
  users: Map<string, Identity>;
  groups: Map<string, number>;
}

/** passwd(5) and group(5) text -> name tables. */
export function parseAccounts(passwd: string, group: string): Accounts {
  const users = new Map<string, Identity>();
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
      users.set(f[0], { uid: Number(f[2]), gid: Number(f[3]) });
  }
  const groups = new Map<string, number>();
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2])) groups.set(f[0], Number(f[2]));
  }
  return { users, groups };
}

export const readAccounts = (): Accounts => {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  return parseAccounts(read('/etc/passwd'), read('/etc/group'));
};

/** `user [group]` -> uid/gid (the user's own group unless one is named), or why not. */
export function resolveUser(ref: UserRef, a: Accounts): Identity | string {
  const u = a.users.get(ref.user);
  if (!u) return `script user '${ref.user}' does not exist`;
  if (ref.group === undefined) return u;
  const gid = a.groups.get(ref.group);
  return gid === undefined ? `script group '${ref.group}' does not exist` : { uid: u.uid, gid };
}

/** The identity a script runs as (keepalived's get_default_script_user and the script's own). */
export function scriptIdentity(
  own: UserRef | undefined,
  scriptUser: UserRef | undefined,
  a: Accounts,
  self: Identity,
): Identity | string {
  if (own) return resolveUser(own, a);
  if (scriptUser) return resolveUser(scriptUser, a);
  return a.users.get('keepalived_script') ?? self;
}
