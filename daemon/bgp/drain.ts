// The operator's drain, kept in a file so a restarted daemon stays drained
// (it must not announce a director someone took out of service). The file
// holds one JSON line: {"reason":...,"since":...}. Missing = not drained.
// A file we cannot read as ours still means drained: someone put it there.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface DrainState {
  drained: boolean;
  /** the operator's words (`drain --reason`), if any */
  reason?: string;
  /** ISO time the drain began */
  since?: string;
}

/** the longest reason kept (it goes into logs, status and events) */
export const MAX_REASON = 200;

export function encodeDrain(reason: string | undefined, nowMs: number): string {
  const r = reason?.slice(0, MAX_REASON);
  return `${JSON.stringify({ ...(r ? { reason: r } : {}), since: new Date(nowMs).toISOString() })}\n`;
}

/** The drain a file's text says; undefined text = no file = not drained. */
export function decodeDrain(text: string | undefined): DrainState {
  if (text === undefined) return { drained: false };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return {
        drained: true,
        ...(typeof o.reason === 'string' ? { reason: o.reason.slice(0, MAX_REASON) } : {}),
        ...(typeof o.since === 'string' ? { since: o.since } : {}),
      };
    }
  } catch {
    /* not ours: still a drain */
  }
  return { drained: true, reason: 'drain file present (not readable as keepalive-ts wrote it)' };
}

/** What the announcement takes: false, or the reason (true when none was given). */
export const drainedValue = (d: DrainState): boolean | string =>
  d.drained ? (d.reason ?? true) : false;

/** The drain file on disk; `now` is injected for tests. */
export class DrainStore {
  private state: DrainState;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.state = this.read();
  }

  get current(): DrainState {
    return this.state;
  }

  private read(): DrainState {
    let text: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        return { drained: true, reason: `drain file unreadable: ${(e as Error).message}` };
    }
    return decodeDrain(text);
  }

  /** Write the drain first, then believe it: a drain that would not survive a restart is refused. */
  drain(reason?: string): DrainState {
    const text = encodeDrain(reason, this.now());
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, this.file);
    this.state = decodeDrain(text);
    return this.state;
  }

  undrain(): DrainState {
    rmSync(this.file, { force: true });
    this.state = { drained: false };
    return this.state;
  }
}
