// global_defs startup_script / shutdown_script: run once, before anything
// starts and after everything has stopped, each bounded by its timeout
// (keepalived's default 10 s; killed with its process group past it), through
// the script gate (script_user, enable_script_security).
import type { Config } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Log } from '../core/log';
import { ScriptGate } from '../system/script-gate';

export async function runLifecycleScript(
  which: 'startup' | 'shutdown',
  g: Config['global_defs'],
  log: Log,
): Promise<number | undefined> {
  const s = which === 'startup' ? g.startup_script : g.shutdown_script;
  if (!s) return undefined;
  const timeout = which === 'startup' ? g.startup_script_timeout : g.shutdown_script_timeout;
  const gate = new ScriptGate({ scriptUser: g.script_user, secure: g.enable_script_security, log });
  const code = await gate.run(
    splitArgv(s.cmd),
    timeout * 1000,
    s.user ? { user: s.user, group: s.group } : undefined,
  );
  if (code === 124) log('warn', `${which} script ${s.cmd} timed out after ${timeout} s, killed`);
  else if (code !== 0) log('warn', `${which} script failed, status ${code}`);
  return code;
}
