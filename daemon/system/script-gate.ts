// The shell around script security: decides once per script and user (as
// keepalived does after reading the config), logs the verdict once, and runs
// allowed scripts as their user.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Log } from '../core/log';
import { runScript, startScript, type RunningScript } from './scripts';
import { checkScript, type FileInfo, type FsView, type Identity } from './script-security';
import { readAccounts, scriptIdentity, type Accounts, type UserRef } from './script-user';

const info = (s: Stats | undefined): FileInfo | undefined =>
  s && {
    kind: s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'link' : 'other',
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
  };

export const realFs: FsView = {
  lstat: (p) => info(lstatSync(p, { throwIfNoEntry: false })),
  stat: (p) => info(statSync(p, { throwIfNoEntry: false })),
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  },
  which: (name) =>
    (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
      .split(':')
      .map((d) => path.join(d, name))
      .find((p) => statSync(p, { throwIfNoEntry: false })?.isFile()),
};

export interface GateOptions {
  /** global_defs script_user */
  scriptUser?: UserRef;
  /** global_defs enable_script_security */
  secure: boolean;
  log: Log;
  fs?: FsView;
  accounts?: () => Accounts;
  self?: Identity;
}

/** The exit code of a script that was not run (refused or not runnable). */
export const REFUSED = 126;

export class ScriptGate {
  private readonly verdicts = new Map<string, Identity | undefined>();
  private accounts?: Accounts;

  constructor(private readonly o: GateOptions) {}

  /** The identity to run `cmd` as, or undefined when it must not run (logged once). */
  identity(cmd: string, own?: UserRef): Identity | undefined {
    const key = `${cmd}\0${own?.user ?? ''}\0${own?.group ?? ''}`;
    if (this.verdicts.has(key)) return this.verdicts.get(key);
    const v = this.decide(cmd, own);
    this.verdicts.set(key, v);
    return v;
  }

  private decide(cmd: string, own?: UserRef): Identity | undefined {
    const { log } = this.o;
    this.accounts ??= (this.o.accounts ?? readAccounts)();
    const self = this.o.self ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const id = scriptIdentity(own, this.o.scriptUser, this.accounts, self);
    if (typeof id === 'string') {
      log('error', `script ${cmd}: ${id} - not running it`);
      return undefined;
    }
    const v = checkScript(cmd, id, this.o.secure, this.o.fs ?? realFs);
    if (v.insecure)
      log(
        v.run ? 'warn' : 'error',
        v.run
          ? `SECURITY VIOLATION - script ${v.path} runs as uid ${id.uid} with ${v.reason}; enable_script_security would refuse it`
          : `script ${v.path}: ${v.reason} - disabled (enable_script_security)`,
      );
    else if (!v.run) log('error', `script ${v.path}: ${v.reason} - disabled`);
    return v.run ? id : undefined;
  }

  /** Run argv as its user; a refused script returns REFUSED without running. */
  run(argv: string[], timeoutMs: number, own?: UserRef, env?: NodeJS.ProcessEnv): Promise<number> {
    if (argv.length === 0) return Promise.resolve(127);
    const id = this.identity(argv[0], own);
    return id ? runScript(argv, timeoutMs, env, id) : Promise.resolve(REFUSED);
  }

  /** Start a long-running script as its user; undefined when refused. */
  start(argv: string[], own?: UserRef): RunningScript | undefined {
    const id = argv.length ? this.identity(argv[0], own) : undefined;
    return id ? startScript(argv, id) : undefined;
  }
}
