import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pendingOperations, readLocks, recoveryPlan } from '../../scripts/lab/engine-recovery';

describe('recovery after a killed pulumi up (stale lock, pending operations)', () => {
  const lock = (pid: number, hostname = 'ops') => ({ file: `/s/${pid}.json`, pid, hostname });
  const dead = () => false;

  it('nothing left: nothing to do', () => {
    assert.deepEqual(recoveryPlan([], [], 'ops', dead), []);
  });

  it('a lock of a process of this machine that is gone is cancelled; pending operations are cleared', () => {
    assert.deepEqual(recoveryPlan([lock(41)], [{ type: 'creating', urn: 'u' }], 'ops', dead), [
      'cancel-stale-lock',
      'clear-pending-creates',
    ]);
  });

  it('a lock held by a live process, or by another machine, is never removed', () => {
    assert.throws(
      () => recoveryPlan([lock(41), lock(42)], [], 'ops', (p) => p === 42),
      /being updated by pid 42 on ops/,
    );
    assert.throws(() => recoveryPlan([lock(41, 'ci-7')], [], 'ops', dead), /pid 41 on ci-7/);
  });

  it('reads the lock files of a file backend and the pending operations of an export', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kts-locks-'));
    try {
      assert.deepEqual(readLocks(dir, 'keepalive', 'lab'), []);
      const locks = path.join(dir, '.pulumi/locks/organization/keepalive/lab');
      mkdirSync(locks, { recursive: true });
      writeFileSync(
        path.join(locks, 'a.json'),
        JSON.stringify({
          pid: 7,
          username: 'root',
          hostname: 'h',
          timestamp: '2026-12-02T00:00:00Z',
        }),
      );
      assert.deepEqual(readLocks(dir, 'keepalive', 'lab'), [
        { file: path.join(locks, 'a.json'), pid: 7, hostname: 'h' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(
      pendingOperations(
        JSON.stringify({
          version: 3,
          deployment: { pending_operations: [{ type: 'creating', resource: { urn: 'urn:x' } }] },
        }),
      ),
      [{ type: 'creating', urn: 'urn:x' }],
    );
    assert.deepEqual(pendingOperations(JSON.stringify({ version: 3, deployment: {} })), []);
  });
});
