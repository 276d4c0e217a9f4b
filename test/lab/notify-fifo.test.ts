// keepalived's notify extras for real, in a network namespace of this test's
// own: startup_script and shutdown_script run, umask sets the mode of the
// notify FIFO keepalive-ts creates, notify_fifo_script reads that FIFO (its
// path as last argument) until EOF at exit; a master hearing a lower-priority
// advert (injected with chaos/inject.ts advert) runs notify_master_rx_lower_pri and
// writes MASTER_RX_LOWER_PRI; a track_file write writes MASTER_PRIORITY.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/keepalive-ts');
const ns = `ka-nfifo${process.pid % 100000}`;
/** the other end of the link: the injector (a source address of its own namespace) */
const peer = `${ns}p`;

describe('notify FIFO script, startup/shutdown scripts, umask, MASTER_RX_LOWER_PRI (own namespace)', function () {
  this.timeout(60_000);
  let dir: string;
  let proc: ChildProcess | undefined;
  let out = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-nfifo-'));
    chmodSync(dir, 0o755);
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['netns', 'add', peer]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', [
      '-n',
      ns,
      'link',
      'add',
      'lan0',
      'type',
      'veth',
      'peer',
      'name',
      'lan1',
      'netns',
      peer,
    ]);
    await must('ip', ['-n', ns, 'addr', 'add', '198.51.100.11/24', 'dev', 'lan0']);
    await must('ip', ['-n', peer, 'addr', 'add', '198.51.100.12/24', 'dev', 'lan1']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    await must('ip', ['-n', peer, 'link', 'set', 'lan1', 'up']);
  });

  after(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    await run('ip', ['netns', 'del', ns]);
    await run('ip', ['netns', 'del', peer]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs them all as keepalived does', async () => {
    const marks = path.join(dir, 'marks');
    const fifoLog = path.join(dir, 'fifo.log');
    const fifo = path.join(dir, 'notify.fifo');
    const tf = path.join(dir, 'tf');
    const mark = path.join(dir, 'mark.sh');
    writeFileSync(mark, `#!/bin/sh\necho "$*" >> ${marks}\n`);
    const reader = path.join(dir, 'reader.sh');
    // the FIFO's path comes last; the loop ends at EOF (the daemon closed it)
    writeFileSync(
      reader,
      `#!/bin/sh\nwhile read -r line; do echo "$line" >> ${fifoLog}; done < "$2"\necho EOF >> ${fifoLog}\n`,
    );
    chmodSync(mark, 0o755);
    chmodSync(reader, 0o755);
    writeFileSync(tf, '0\n');
    const conf = path.join(dir, 'k.conf');
    // VI_2 is removed by a reload (notify_deleted); VI_3 stays, in FAULT (a failing weight-0 script)
    const vi2 = `vrrp_instance VI_2 {
  interface lan0
  virtual_router_id 52
  priority 50
  advert_int 1
  notify_deleted "${mark} deleted"
  virtual_ipaddress {
    198.51.100.20/24
  }
}
`;
    const vi3 = `vrrp_script fails {
  script /bin/false
  interval 1
}
vrrp_instance VI_3 {
  interface lan0
  virtual_router_id 53
  priority 60
  advert_int 1
  track_script {
    fails
  }
  virtual_ipaddress {
    198.51.100.30/24
  }
}
`;
    const text = (extra: string) =>
      `global_defs {
  notify_fifo ${fifo}
  notify_fifo_script "${reader} reader"
  startup_script "${mark} startup"
  startup_script_timeout 5
  shutdown_script "${mark} shutdown"
  umask 027
  fifo_write_vrrp_states_on_reload
}
track_file tf {
  file ${tf}
  weight 1
}
vrrp_instance VI_1 {
  state MASTER
  interface lan0
  virtual_router_id 51
  priority 150
  advert_int 1
  notify_master_rx_lower_pri "${mark} rx-lower"
  notify_priority_changes
  track_file {
    tf
  }
  virtual_ipaddress {
    198.51.100.10/24
  }
}
${vi3}${extra}`;
    writeFileSync(conf, text(vi2));
    const control = path.join(dir, 'k.sock');
    proc = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, BIN, '-f', conf, '-n', '-l', '--control', control],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const fifoLines = () => (existsSync(fifoLog) ? readFileSync(fifoLog, 'utf8') : '');
    const has = (s: string) => fifoLines().includes(s);
    try {
      await waitFor('MASTER on the FIFO', () => has('INSTANCE "VI_1" MASTER 150\n'), 10_000);
      assert.equal(readFileSync(marks, 'utf8'), 'startup\n');
      // created by the daemon: 0644 less umask 027
      assert.ok(statSync(fifo).isFIFO());
      assert.equal(statSync(fifo).mode & 0o777, 0o640);

      const t0 = Date.now();
      await must('ip', [
        'netns',
        'exec',
        peer,
        process.execPath,
        path.join(ROOT, 'dist/scripts/chaos/inject.js'),
        'advert',
        '--if',
        'lan1',
        '--prio',
        '100',
        '--count',
        '1',
      ]);
      await waitFor(
        'MASTER_RX_LOWER_PRI',
        () => has('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n'),
        5000,
      );
      await waitFor(
        'rx-lower script',
        () => readFileSync(marks, 'utf8').includes('rx-lower\n'),
        5000,
      );
      const rxMs = Date.now() - t0;

      writeFileSync(tf, '-10\n');
      await waitFor('MASTER_PRIORITY', () => has('INSTANCE "VI_1" MASTER_PRIORITY 140\n'), 5000);

      // a reload: VI_2 (MASTER) removed -> DELETED and its script; the kept FAULT instance's
      // state is written again, the kept MASTER's is not (keepalived 2.2.7)
      await waitFor('VI_2 MASTER', () => has('INSTANCE "VI_2" MASTER 50\n'), 10_000);
      await waitFor('VI_3 FAULT', () => has('INSTANCE "VI_3" FAULT 60\n'), 10_000);
      const before = fifoLines().length;
      writeFileSync(conf, text(''));
      proc.kill('SIGHUP');
      await waitFor('DELETED', () => has('INSTANCE "VI_2" DELETED 50\n'), 5000);
      await waitFor(
        'states on reload',
        () => fifoLines().slice(before).includes('INSTANCE "VI_3" FAULT 60\n'),
        5000,
      );
      await sleep(300);
      assert.equal(fifoLines().slice(before).includes('VI_1'), false);

      const gone = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      assert.equal(proc.exitCode, 0);
      await waitFor('reader saw EOF', () => has('EOF\n'), 5000);
      assert.deepEqual(readFileSync(marks, 'utf8').trim().split('\n'), [
        'startup',
        'rx-lower',
        'deleted',
        'shutdown',
      ]);
      assert.ok(has('INSTANCE "VI_1" STOP 140\n'));
      assert.match(fifoLines(), /STOP \d+\nEOF\n$/);
      assert.equal(existsSync(fifo), false, 'the FIFO it created is removed');
      console.log(`      injected advert -> notify_master_rx_lower_pri ran within ${rxMs} ms`);
    } catch (e) {
      console.log(out);
      throw e;
    }
  });
});
