// Getting a stack going again after `pulumi up` was killed (SIGKILL, a crash,
// a CI job cancelled hard). What Pulumi v3.248 leaves with a file backend:
// - a lock file per running update (.pulumi/locks/organization/<project>/
//   <stack>/<uuid>.json: pid, hostname, timestamp), which makes every later
//   update fail ("the stack is currently locked"); `pulumi cancel --yes`
//   deletes ALL of the stack's locks, so it is only run when every lock
//   belongs to a process of this machine that is gone;
// - pending operations in the state: the next update proceeds with a warning
//   and drops pending updates and deletes, but keeps pending CREATEs (they
//   "require user intervention") and warns on every update after; `pulumi
//   refresh --clear-pending-creates` drops them. That is safe here because
//   every host step's create is re-runnable: the next up creates the resource
//   again and the step converges whatever the interrupted run did.
// A SIGINT is different: the engine finishes the operations in flight, saves
// the state and unlocks, so it leaves neither.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { isAlive } from './sys';

export interface LockInfo {
  file: string;
  pid: number;
  hostname: string;
}

export interface PendingOperation {
  type: string;
  urn: string;
}

export type RecoveryStep = 'cancel-stale-lock' | 'clear-pending-creates';

/**
 * What to run before an update (pure): remove the locks when all are stale,
 * clear pending operations; a lock held by a live process is an error.
 */
export function recoveryPlan(
  locks: LockInfo[],
  pending: PendingOperation[],
  here: string,
  alive: (pid: number) => boolean,
): RecoveryStep[] {
  const live = locks.filter((l) => l.hostname !== here || alive(l.pid));
  if (live.length)
    throw new Error(
      `the stack is being updated by ${live.map((l) => `pid ${l.pid} on ${l.hostname}`).join(', ')} (lock ${live.map((l) => l.file).join(', ')}): wait for it, or stop it`,
    );
  const steps: RecoveryStep[] = [];
  if (locks.length) steps.push('cancel-stale-lock');
  if (pending.length) steps.push('clear-pending-creates');
  return steps;
}

/** The stack's lock files in a file backend folder. */
export function readLocks(stateDir: string, project: string, stack: string): LockInfo[] {
  const dir = path.join(stateDir, '.pulumi', 'locks', 'organization', project, stack);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const j = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as LockInfo;
      return { file: path.join(dir, f), pid: j.pid, hostname: j.hostname };
    });
}

/** Pending operations in `pulumi stack export` output. */
export function pendingOperations(exported: string): PendingOperation[] {
  const j = JSON.parse(exported) as {
    deployment?: { pending_operations?: { type: string; resource: { urn: string } }[] };
  };
  return (j.deployment?.pending_operations ?? []).map((o) => ({
    type: o.type,
    urn: o.resource.urn,
  }));
}

/**
 * Before an update of `stack`: clear what a killed run left. `pulumi(args)`
 * runs the CLI against the stack's backend and returns its stdout (throws on
 * failure). Returns what it did, for the log.
 */
export function recoverStack(
  stateDir: string,
  project: string,
  stack: string,
  pulumi: (args: string[]) => string,
): RecoveryStep[] {
  const locks = readLocks(stateDir, project, stack);
  // the lock first: `stack export` does not need it, refresh does
  const plan = recoveryPlan(locks, [], hostname(), isAlive);
  if (plan.includes('cancel-stale-lock')) pulumi(['cancel', '--yes', '--stack', stack]);
  const pending = pendingOperations(pulumi(['stack', 'export', '--stack', stack]));
  if (pending.length) {
    pulumi(['refresh', '--clear-pending-creates', '--yes', '--skip-preview', '--stack', stack]);
    plan.push('clear-pending-creates');
  }
  return plan;
}
