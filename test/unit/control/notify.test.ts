import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
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
import { fifoLine, Notifier } from '../../../daemon/control/notify';
import { runScript } from '../../../daemon/system/scripts';

describe('notify scripts and FIFO', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kts-notify-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('formats FIFO lines as keepalived does', () => {
    assert.equal(
      fifoLine({ instance: 'VI_1', to: 'MASTER', priority: 100 }),
      'INSTANCE "VI_1" MASTER 100\n',
    );
    assert.equal(
      fifoLine({ instance: 'VI_1', to: 'INIT', priority: 100 }),
      'INSTANCE "VI_1" STOP 100\n',
    );
  });

  it('runs the state script, then the generic notify with INSTANCE name state priority, in order, and writes the FIFO', async () => {
    const log = path.join(dir, 'log');
    const script = path.join(dir, 'n.sh');
    writeFileSync(script, `#!/bin/sh\nsleep 0.05\necho "$0 $*" >> ${log}\n`);
    chmodSync(script, 0o755);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, 'r+');
    const cfg = parseText(
      `global_defs {\n vrrp_notify_fifo ${fifo}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n` +
        ` notify_master "${script} master-script"\n notify_backup "${script} backup-script"\n notify ${script}\n}\n`,
    ).config;
    const n = new Notifier(cfg, () => {});
    const t = (to: 'MASTER' | 'BACKUP', priority: number) => ({
      instance: 'VI_1',
      from: 'INIT' as const,
      to,
      cause: 'startup' as const,
      priority,
      at: 0,
      wallTime: 0,
    });
    const p1 = n.onTransition(t('BACKUP', 100));
    const p2 = n.onTransition(t('MASTER', 100));
    await Promise.all([p1, p2]);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      `${script} backup-script`,
      `${script} INSTANCE VI_1 BACKUP 100`,
      `${script} master-script`,
      `${script} INSTANCE VI_1 MASTER 100`,
    ]);
    const buf = Buffer.alloc(200);
    const len = readSync(reader, buf);
    assert.equal(
      buf.subarray(0, len).toString(),
      'INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n',
    );
    n.close();
  });

  it('bounds a script by its timeout and reports failures as exit codes, without a shell', async () => {
    const t0 = Date.now();
    assert.equal(await runScript(['sleep', '5'], 200), 124);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(await runScript(['false'], 1000), 1);
    assert.equal(await runScript(['true'], 1000), 0);
    assert.equal(await runScript(['/nonexistent/x'], 1000), 127);
    assert.equal(await runScript(['echo', '$(touch /tmp/should-not-exist)'], 1000), 0);
  });
});
