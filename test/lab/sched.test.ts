// keepalived's process settings on a real kernel: keepalive-ts started in a
// network namespace of this test's own with vrrp_/checker_ no_swap,
// cpu_affinity, priority, rt_priority and rlimit_rttime; what the kernel then
// says of the process and its threads (/proc/PID/status, /proc/PID/limits,
// /proc/PID/task/TID/{status,stat}).
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';
import { spawnDaemon } from '../interop/netns-daemon';

const BIN = path.resolve(__dirname, '../../../bin/keepalive-ts');
const ns = `ka-sc${process.pid % 100000}`;
const last = availableParallelism() - 1;

const CONFIG = `global_defs {
  vrrp_version 3
  vrrp_no_swap
  vrrp_cpu_affinity ${last}
  checker_cpu_affinity 0
  vrrp_rt_priority 10
  checker_priority 5
  vrrp_rlimit_rttime 80000
}
vrrp_instance VI_1 {
  state MASTER
  interface lan0
  virtual_router_id 51
  priority 150
  advert_int 0.1
  virtual_ipaddress {
    198.51.100.10/24
  }
}
`;

/** fields of /proc/PID/task/TID/stat after the command name: [state, ppid, ...] */
const stat = (pid: number | undefined, tid: number | undefined) =>
  readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
const statusField = (file: string, key: string) =>
  new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1].trim();

describe('process and thread scheduling (own namespace, real kernel)', function () {
  this.timeout(60_000);
  let dir: string;
  let p: ChildProcess | undefined;
  let out = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-sched-'));
    writeFileSync(path.join(dir, 'k.conf'), CONFIG);
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    await must('ip', ['-n', ns, 'addr', 'add', '198.51.100.11/24', 'dev', 'lan0']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan1', 'up']);
  });

  after(async () => {
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p!.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
    await sleep(100);
    await run('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts, becomes MASTER and keeps running with them', async () => {
    const conf = path.join(dir, 'k.conf');
    assert.equal((await run(process.execPath, [BIN, '-t', '-f', conf])).code, 0);
    // ip netns exec execs the daemon: the pid spawn gives is the daemon's
    p = spawnDaemon(ns, conf, dir, (t) => (out += t));
    await waitFor('MASTER', async () => /VI_1: BACKUP -> MASTER/.test(out), 20_000, 50);
    await sleep(1000); // adverts every 0.1 s under SCHED_RR and the rlimit
    assert.equal(p.exitCode, null, out);
    assert.equal(p.signalCode, null, out);
  });

  it('vrrp_no_swap: the process is locked in memory (VmLck > 0)', () => {
    const kb = parseInt(statusField(`/proc/${p!.pid}/status`, 'VmLck') ?? '0', 10);
    console.log(`      VmLck ${kb} kB, VmRSS ${statusField(`/proc/${p!.pid}/status`, 'VmRSS')}`);
    assert.ok(kb > 0, `VmLck ${kb} kB\n${out}`);
  });

  it('vrrp_*: the VRRP thread runs SCHED_RR 10 on the last CPU', () => {
    const tid = Number(/VRRP thread \(tid (\d+)\)/.exec(out)?.[1]);
    assert.ok(tid > 0 && tid !== p!.pid, out);
    assert.equal(statusField(`/proc/${p!.pid}/task/${tid}/status`, 'Cpus_allowed_list'), `${last}`);
    const f = stat(p!.pid, tid);
    // stat fields 40 rt_priority and 41 policy (2 = SCHED_RR); f[0] is field 3
    assert.deepEqual([f[37], f[38]], ['10', '2']);
  });

  it('checker_*: the main thread has nice 5 on CPU 0, other threads keep theirs', () => {
    const main = stat(p!.pid, p!.pid);
    assert.equal(main[16], '5'); // field 19: nice
    assert.equal(main[38], '0'); // SCHED_OTHER
    assert.equal(statusField(`/proc/${p!.pid}/task/${p!.pid}/status`, 'Cpus_allowed_list'), '0');
  });

  it('vrrp_rlimit_rttime: RLIMIT_RTTIME soft half, hard the value (µs)', () => {
    const line = readFileSync(`/proc/${p!.pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max realtime timeout'))!;
    assert.deepEqual(line.split(/\s{2,}/).slice(1, 4), ['40000', '80000', 'us']);
  });

  it('max_auto_priority: a stalled process (SIGSTOP 400 ms) comes back with its VRRP thread at SCHED_RR 1, then 2', async () => {
    const gone = new Promise((r) => p!.once('exit', r));
    p!.kill('SIGTERM');
    await gone;
    out = '';
    const conf = path.join(dir, 'auto.conf');
    writeFileSync(
      conf,
      CONFIG.replace(
        /global_defs \{[^}]*\}/,
        'global_defs {\n  vrrp_version 3\n  max_auto_priority 2\n  min_auto_priority_delay 100000\n  vrrp_priority -1\n  vrrp_rlimit_rttime 10000\n}',
      ),
    );
    p = spawnDaemon(ns, conf, dir, (t) => (out += t));
    await waitFor('MASTER', async () => /VI_1: BACKUP -> MASTER/.test(out), 20_000, 50);
    const tid = Number(/VRRP thread \(tid (\d+)\)/.exec(out)?.[1]);
    assert.deepEqual(stat(p.pid, tid).slice(37, 39), ['0', '0'], out);
    for (const want of ['1', '2', '2']) {
      p.kill('SIGSTOP');
      await sleep(400);
      p.kill('SIGCONT');
      await sleep(300);
      assert.deepEqual(stat(p.pid, tid).slice(37, 39), [want, '2'], out);
    }
    assert.match(out, /VRRP thread: a timer fired 0\.\d+ seconds late/);
    assert.match(out, /set realtime priority 2 \(max_auto_priority 2\)/);
    assert.doesNotMatch(out, /set realtime priority 3/);
    const limits = readFileSync(`/proc/${p.pid}/limits`, 'utf8');
    assert.match(limits, /Max realtime timeout\s+5000\s+10000\s+us/);
  });
});
