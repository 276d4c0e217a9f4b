// Thin process helpers for the lab: run a program (never through a shell),
// collect its output, fail with the command line and stderr in the message.
import { execFile, spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** aborting kills the program with `killSignal` (default SIGTERM) */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 64 << 20,
        env: opts.env,
        signal: opts.signal,
        killSignal: opts.killSignal,
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
          reject(new Error(`${cmd}: ${err.message}`));
          return;
        }
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    // a program that exits (or is killed) before reading all its input: its exit status tells
    child.stdin?.on('error', () => {});
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** run() that throws on a non-zero exit. */
export async function must(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${[cmd, ...args].join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r.stdout;
}

/** Start a long-lived process detached from us; returns its PID. */
export function startDetached(cmd: string, args: string[], opts: SpawnOptions = {}): number {
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore', ...opts });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  child.unref();
  return child.pid;
}

/** True while the process exists and is not a zombie (an unreaped exit is dead to us). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  stepMs = 20,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/**
 * Block this thread for `ms` without burning CPU: for synchronous code that
 * must wait (teardown from a process 'exit' handler, where no timer fires).
 */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tryKill(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Stop processes synchronously: SIGTERM, up to `graceMs` for them to exit,
 * then SIGKILL and up to `graceMs` more. Polls every 20 ms with sleepSync.
 */
export function stopProcessesSync(pids: number[], graceMs = 2000): void {
  const stepMs = 20;
  const waitGone = () => {
    for (let t = 0; t < graceMs && pids.some(isAlive); t += stepMs) sleepSync(stepMs);
  };
  for (const p of pids) tryKill(p, 'SIGTERM');
  waitGone();
  for (const p of pids) if (isAlive(p)) tryKill(p, 'SIGKILL');
  waitGone();
}
