// Running operator scripts (vrrp_script checks, notify_*) without a shell:
// argv split from the configured string, bounded by a timeout, never throwing.
import { spawn } from 'node:child_process';

/** process groups of the scripts running now (this thread's) */
const running = new Map<number, Promise<void>>();

const signalGroup = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(-pid, sig);
  } catch {
    /* gone */
  }
};

/**
 * At exit (keepalived's child_wait_time): the scripts still running (the
 * notify_stop ones were started moments ago) get up to a second to finish,
 * then SIGTERM (keepalived's scripts get it from their parent's death), the
 * rest of `waitMs`, then SIGKILL.
 */
export async function endScripts(waitMs: number): Promise<void> {
  const settle = (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      Promise.all(running.values()),
      new Promise((r) => (timer = setTimeout(r, ms))),
    ]).finally(() => clearTimeout(timer));
  };
  if (running.size === 0) return;
  const grace = Math.min(1000, waitMs);
  await settle(grace);
  if (running.size === 0) return;
  for (const pid of running.keys()) signalGroup(pid, 'SIGTERM');
  await settle(waitMs - grace);
  for (const pid of running.keys()) signalGroup(pid, 'SIGKILL');
}

export function runScript(
  argv: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
  /** run as this user (keepalived's script_user); the daemon's own when absent */
  as?: { uid: number; gid: number },
): Promise<number> {
  return new Promise((resolve) => {
    if (argv.length === 0) return resolve(127);
    let done = false;
    const finish = (code: number) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(code);
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      const self = as && as.uid === process.getuid?.() && as.gid === process.getgid?.();
      const who = as && !self ? { uid: as.uid, gid: as.gid } : {};
      child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env, detached: true, ...who });
    } catch {
      return resolve(127);
    }
    const timer = setTimeout(() => {
      // kill the whole process group the script may have started
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      finish(124);
    }, timeoutMs);
    const pid = child.pid;
    if (pid)
      running.set(pid, new Promise((r) => child.on('exit', () => (running.delete(pid), r()))));
    child.on('error', () => finish(127));
    child.on('exit', (code, sig) => finish(code ?? (sig ? 128 : 1)));
  });
}

/** A long-running script (a notify FIFO's reader): no timeout, stopped by its owner. */
export interface RunningScript {
  exited: Promise<number>;
  /** SIGTERM to its process group */
  stop(): void;
}

export function startScript(argv: string[], as?: { uid: number; gid: number }): RunningScript {
  let child: ReturnType<typeof spawn> | undefined;
  let code: number | undefined;
  const exited = new Promise<number>((resolve) => {
    try {
      const self = as && as.uid === process.getuid?.() && as.gid === process.getgid?.();
      const who = as && !self ? { uid: as.uid, gid: as.gid } : {};
      child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true, ...who });
    } catch {
      return resolve((code = 127));
    }
    child.on('error', () => resolve((code = 127)));
    child.on('exit', (c, sig) => resolve((code = c ?? (sig ? 128 : 1))));
  });
  return {
    exited,
    stop: () => {
      if (code !== undefined || !child?.pid) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    },
  };
}
