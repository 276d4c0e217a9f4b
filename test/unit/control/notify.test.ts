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

  it('checker lines go to notify_fifo and lvs_notify_fifo, not to vrrp_notify_fifo; an lvs FIFO that is notify_fifo gets them once', async () => {
    const [main, lvs, vrrp] = ['main', 'lvs', 'vrrp'].map((n) => path.join(dir, n));
    for (const f of [main, lvs, vrrp]) execFileSync('mkfifo', [f]);
    const readers = [main, lvs, vrrp].map((f) => openSync(f, 'r+'));
    const conf = (l: string) =>
      parseText(
        `global_defs {\n notify_fifo ${main}\n vrrp_notify_fifo ${vrrp}\n lvs_notify_fifo ${l}\n}\n`,
      ).config;
    const read = (fd: number) => {
      const buf = Buffer.alloc(400);
      return buf.subarray(0, readSync(fd, buf)).toString();
    };
    const n = new Notifier(conf(lvs), () => {});
    n.checkerLine('RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n');
    n.checkerLine('VS [10.0.0.1]:tcp:80 DOWN\n');
    await n.close();
    const both = 'RS [10.0.1.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\nVS [10.0.0.1]:tcp:80 DOWN\n';
    assert.equal(read(readers[0]), both);
    assert.equal(read(readers[1]), both);
    const same = new Notifier(conf(main), () => {});
    same.checkerLine('VS [10.0.0.1]:tcp:80 UP\n');
    same.checkerLine('VS [10.0.0.1]:tcp:80 DOWN\n');
    await same.close();
    assert.equal(read(readers[0]), 'VS [10.0.0.1]:tcp:80 UP\nVS [10.0.0.1]:tcp:80 DOWN\n');
    // vrrp_notify_fifo: nothing of the checkers (a non-blocking read finds it empty)
    execFileSync('sh', ['-c', `echo end > ${vrrp}`]);
    assert.equal(read(readers[2]), 'end\n');
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
