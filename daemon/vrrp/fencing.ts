// Fencing (STONITH): before taking over from a master that vanished without
// a priority-0 advert, run the fence command against it and report whether
// it succeeded. The FSM decides whether to wait for that (fence_policy).
import type { VrrpInstance } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Log } from '../core/log';
import type { FencingStatus } from './status';
import type { ScriptRunner } from './track-watch';

export class Fencer {
  readonly status: FencingStatus = { runs: 0, failures: 0 };

  constructor(
    private readonly instance: string,
    private readonly cfg: VrrpInstance,
    private readonly scripts: ScriptRunner,
    private readonly log: Log,
  ) {}

  /** Fence `target`; `done(ok)` reports the result (false at once when no command is configured). */
  fence(target: string | undefined, done: (ok: boolean) => void) {
    const cmd = this.cfg.fence_command;
    if (!cmd) return done(false);
    const argv = [...splitArgv(cmd.cmd), ...(target ? [target] : [])];
    this.status.runs++;
    this.log(
      'warn',
      `${this.instance}: master ${target ?? '?'} vanished without a priority-0 advert: fencing it (${argv.join(' ')})`,
    );
    const user = cmd.user ? { user: cmd.user, group: cmd.group } : undefined;
    void this.scripts.run(argv, this.cfg.fence_timeout * 1000, user).then((code) => {
      const ok = code === 0;
      if (!ok) this.status.failures++;
      this.status.last = { ok, wallTime: Date.now() };
      this.log(
        ok ? 'info' : 'error',
        `${this.instance}: fencing ${ok ? 'succeeded' : `failed (exit ${code})`}`,
      );
      done(ok);
    });
  }
}
