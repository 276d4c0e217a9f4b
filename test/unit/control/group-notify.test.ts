import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseText } from '../../../daemon/config/index';
import { SyncGroupStates } from '../../../daemon/control/group-notify';
import { groupFifoLine, Notifier } from '../../../daemon/control/notify';
import type { State } from '../../../daemon/vrrp/fsm';

const vi = (name: string, vrid: number) =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  10.0.0.${vrid}\n }\n}\n`;

describe('sync group notifications (keepalived vrrp_sync.c / vrrp_notify.c)', () => {
  it("derives the group's transitions from its members'", () => {
    const g = new SyncGroupStates({
      vrrp_sync_group: [{ name: 'G', group: [{ name: 'A' }, { name: 'B' }] }] as never,
    });
    const step = (instance: string, to: State) =>
      g.onTransition({ instance, to }).map((x) => `${x.group} ${x.state}`);
    assert.deepEqual(step('A', 'BACKUP'), [], 'B not set up yet');
    assert.deepEqual(step('B', 'BACKUP'), ['G BACKUP']);
    assert.deepEqual(step('A', 'MASTER'), ['G MASTER'], 'the first member to become master');
    assert.deepEqual(step('B', 'MASTER'), []);
    assert.deepEqual(step('B', 'FAULT'), ['G FAULT']);
    assert.deepEqual(step('A', 'FAULT'), []);
    assert.deepEqual(step('A', 'BACKUP'), [], 'B still in FAULT');
    assert.deepEqual(step('B', 'BACKUP'), ['G BACKUP']);
    assert.deepEqual(step('C', 'MASTER'), [], 'not a member');
    assert.deepEqual(step('A', 'INIT'), []);
    assert.deepEqual(step('B', 'INIT'), ['G STOP']);
    assert.equal(groupFifoLine({ group: 'G', state: 'FAULT' }), 'GROUP "G" FAULT 0\n');
  });

  it('runs notify_<state> then notify with GROUP name state 0, and writes the FIFO', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kts-gnotify-'));
    try {
      const log = path.join(dir, 'log');
      const script = path.join(dir, 'n.sh');
      writeFileSync(script, `#!/bin/sh\necho "$*" >> ${log}\n`);
      chmodSync(script, 0o755);
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const reader = openSync(fifo, 'r+');
      const cfg = parseText(
        `global_defs {\n notify_fifo ${fifo}\n}\n` +
          vi('A', 1) +
          vi('B', 2) +
          `vrrp_sync_group G {\n group {\n  A\n  B\n }\n notify_master "${script} g-master"\n notify_fault "${script} g-fault"\n notify ${script}\n}\n`,
      ).config;
      const n = new Notifier(cfg, () => {});
      const t = (instance: string, to: State) => ({
        instance,
        from: 'BACKUP' as const,
        to,
        cause: 'startup' as const,
        priority: 100,
        at: 0,
        wallTime: 0,
      });
      await Promise.all([
        n.onTransition(t('A', 'BACKUP')),
        n.onTransition(t('B', 'BACKUP')),
        n.onTransition(t('A', 'MASTER')),
        n.onTransition(t('B', 'MASTER')),
        n.onTransition(t('A', 'FAULT')),
      ]);
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
        'GROUP G BACKUP 0',
        'g-master',
        'GROUP G MASTER 0',
        'g-fault',
        'GROUP G FAULT 0',
      ]);
      // the FIFO lines are written asynchronously: close() waits for them
      await n.close();
      const buf = Buffer.alloc(400);
      const text = buf.subarray(0, readSync(reader, buf)).toString();
      closeSync(reader);
      assert.match(
        text,
        /INSTANCE "B" BACKUP 100\nGROUP "G" BACKUP 0\nINSTANCE "A" MASTER 100\nGROUP "G" MASTER 0\n/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
