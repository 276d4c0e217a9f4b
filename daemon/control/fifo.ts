// The notify FIFOs as keepalived opens them (lib/notify.c fifo_open): created
// when missing (mode 0644 less the umask, removed again at exit), the FIFO's
// script started with the FIFO's path as its last argument, then opened
// read-write (never blocks, needs no reader). Lines are written in order.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, unlinkSync, write } from 'node:fs';
import type { ScriptRef } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Log } from '../core/log';
import type { ScriptGate } from '../system/script-gate';
import type { RunningScript } from '../system/scripts';

export class NotifyFifo {
  private fd?: number;
  private created = false;
  private script?: RunningScript;
  private readonly lines: string[] = [];
  private busy = false;
  private drained?: () => void;

  constructor(
    readonly path: string,
    script: ScriptRef | undefined,
    gate: ScriptGate,
    log: Log,
  ) {
    try {
      if (!existsSync(path)) {
        const mode = (0o644 & ~process.umask()).toString(8);
        execFileSync('mkfifo', ['-m', mode, path]);
        this.created = true;
      }
      if (!statSync(path).isFIFO()) throw new Error('not a FIFO');
      if (script) {
        this.script = gate.start(
          [...splitArgv(script.cmd), path],
          script.user ? { user: script.user, group: script.group } : undefined,
        );
        void this.script?.exited.then((code) =>
          log('info', `notify fifo script ${script.cmd} (${path}) terminated, status ${code}`),
        );
      }
      this.fd = openSync(path, 'r+');
    } catch (e) {
      log('error', `notify fifo ${path}: ${(e as Error).message}`);
    }
  }

  /** one line, after those before it (the thread pool may reorder overlapping writes) */
  write(line: string) {
    if (this.fd === undefined) return;
    this.lines.push(line);
    if (!this.busy) this.next();
  }

  private next() {
    const l = this.lines.shift();
    if (l === undefined || this.fd === undefined) {
      this.busy = false;
      return this.drained?.();
    }
    this.busy = true;
    write(this.fd, l, () => this.next());
  }

  /**
   * Write what is queued, then close (keepalived removes a FIFO it created
   * first, so a reader reopening it in a loop cannot). The script sees EOF;
   * one still running after `graceMs` gets SIGTERM.
   */
  async close(graceMs = 1000) {
    if (this.busy) await new Promise<void>((r) => (this.drained = r));
    if (this.created)
      try {
        unlinkSync(this.path);
      } catch {
        /* gone */
      }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const s = this.script;
    if (!s) return;
    let t: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      s.exited.then(() => true),
      new Promise<boolean>((r) => (t = setTimeout(() => r(false), graceMs))),
    ]);
    clearTimeout(t);
    if (!ended) s.stop();
  }
}
