// Trackers for real: keepalive-ts in a network namespace of this test's own
// follows a track_file (inotify), a vrrp_track_process (a process of this
// machine started and killed) and runs a sync group's notify scripts; the
// kernel's process events connector is checked in the initial namespace,
// where it works (the kernel offers it nowhere else).
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { subscribeProcEvents } from '../../daemon/system/procs';
import type { ProcConnEvent } from '../../daemon/net/proc-connector';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';

const BIN = path.resolve(__dirname, '../../../bin/keepalive-ts');
const ns = `ka-trk${process.pid % 100000}`;

interface Daemon {
  proc: ChildProcess;
  out: () => string;
  control: string;
}

interface Status {
  instances: {
    name: string;
    state: string;
    priority: number;
    trackers: { name: string; kind: string; ok: boolean; value?: number }[];
  }[];
}

const instance = (name: string, vrid: number, body: string) => `vrrp_instance ${name} {
  state BACKUP
  interface lan0
  virtual_router_id ${vrid}
  priority 100
  advert_int 0.1
  version 3
  virtual_ipaddress {
    198.51.100.${vrid}/24
  }
${body}
}
`;

describe('trackers (own namespace)', function () {
  this.timeout(60_000);
  let dir: string;
  const daemons: ChildProcess[] = [];
  const children: ChildProcess[] = [];

  const ex = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);

  function startDaemon(name: string, text: string): Daemon {
    const conf = path.join(dir, `${name}.conf`);
    writeFileSync(conf, text);
    const control = path.join(dir, `${name}.sock`);
    let out = '';
    const proc = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, BIN, '-f', conf, '-n', '-l', '--control', control],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    daemons.push(proc);
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { proc, out: () => out, control };
  }

  async function stopDaemon(d: Daemon) {
    if (d.proc.exitCode !== null) return;
    const gone = new Promise((r) => d.proc.once('exit', r));
    d.proc.kill('SIGTERM');
    await Promise.race([gone, sleep(5000)]);
    if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
  }

  async function status(d: Daemon): Promise<Status> {
    const r = await ex(process.execPath, [BIN, 'status', '--json', '--control', d.control]);
    return JSON.parse(r.stdout) as Status;
  }

  async function until(d: Daemon, what: string, ok: (s: Status) => boolean, ms = 10_000) {
    await waitFor(
      what,
      async () => {
        try {
          return ok(await status(d));
        } catch {
          return false; // control socket not up yet
        }
      },
      ms,
      20,
    );
  }

  /** ms from now until `re` shows in the daemon's log (its own record of the change) */
  async function logged(d: Daemon, re: RegExp, ms = 5000): Promise<number> {
    const t0 = performance.now();
    const from = d.out().length;
    await waitFor(re.source, () => re.test(d.out().slice(from)), ms, 1);
    return performance.now() - t0;
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-trk-'));
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    await must('ip', ['-n', ns, 'addr', 'add', '198.51.100.11/24', 'dev', 'lan0']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan1', 'up']);
    // two more links to track: trk0 and trk2 (peers trk1, trk3)
    for (const [a, b] of [
      ['trk0', 'trk1'],
      ['trk2', 'trk3'],
    ]) {
      await must('ip', ['-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      await must('ip', ['-n', ns, 'link', 'set', a, 'up']);
      await must('ip', ['-n', ns, 'link', 'set', b, 'up']);
    }
  });

  after(async () => {
    for (const p of [...daemons, ...children]) if (p.exitCode === null) p.kill('SIGKILL');
    await sleep(100);
    await run('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('track_file: init_file, then every write (and a replaced file) moves the priority; -254 is FAULT', async () => {
    const file = path.join(dir, 'prio');
    const d = startDaemon(
      'file',
      `track_file tf {\n  file ${file}\n  weight 2\n  init_file 10\n}\n` +
        instance('VI_1', 51, '  track_file {\n    tf\n  }'),
    );
    try {
      await until(d, 'priority 120 from init_file 10', (s) => s.instances[0]?.priority === 120);
      assert.equal(readFileSync(file, 'utf8'), '10\n');
      const times: number[] = [];
      for (const v of [30, -5, 0, 17]) {
        const seen = logged(d, new RegExp(`track_file tf now ${v}\\b`));
        writeFileSync(file, `${v}\n`);
        times.push(await seen);
        await until(d, `priority ${100 + 2 * v}`, (s) => s.instances[0].priority === 100 + 2 * v);
      }
      // an editor's way: write elsewhere, rename over the file
      writeFileSync(`${file}.new`, '-127\n');
      const fault = logged(d, /track_file tf now -127: FAULT/);
      renameSync(`${file}.new`, file);
      times.push(await fault);
      await until(d, 'FAULT', (s) => s.instances[0].state === 'FAULT');
      const s = await status(d);
      assert.deepEqual(
        s.instances[0].trackers.find((t) => t.kind === 'file'),
        { name: 'tf', kind: 'file', ok: false, weight: 2, value: -127 },
      );
      rmSync(file);
      await until(
        d,
        'out of FAULT (a deleted file reads 0)',
        (x) => x.instances[0].state !== 'FAULT',
      );
      console.log(
        `      file write -> daemon applied: ${times.map((t) => t.toFixed(1)).join(', ')} ms`,
      );
      assert.ok(Math.max(...times) < 500, `${times}`);
    } finally {
      await stopDaemon(d);
    }
  });

  it('track_interface: weights, reverse and weight 0; linkbeat_use_polling reads the carrier', async () => {
    const d = startDaemon(
      'links',
      instance(
        'VI_1',
        53,
        '  linkbeat_use_polling\n  track_interface {\n    trk0 weight -30\n    trk2 weight 10 reverse\n  }',
      ) + instance('VI_2', 54, '  track_interface {\n    trk0 weight 0 reverse\n  }'),
    );
    const of = (s: Status, n: string) => s.instances.find((i) => i.name === n)!;
    try {
      // both links up: -30 not applied, +10 reversed = -10; VI_2 is FAULT while trk0 is up
      await until(
        d,
        'priority 90 / VI_2 FAULT',
        (s) => of(s, 'VI_1')?.priority === 90 && of(s, 'VI_2')?.state === 'FAULT',
      );
      await must('ip', ['-n', ns, 'link', 'set', 'trk1', 'down']); // trk0 loses its carrier
      await until(
        d,
        'priority 60, VI_2 out of FAULT',
        (s) => of(s, 'VI_1').priority === 60 && of(s, 'VI_2').state !== 'FAULT',
      );
      await must('ip', ['-n', ns, 'link', 'set', 'trk2', 'down']);
      await until(d, 'priority 70', (s) => of(s, 'VI_1').priority === 70);
      // linkbeat_use_polling: the instance's own interface's carrier, read every second
      const t0 = performance.now();
      await must('ip', ['-n', ns, 'link', 'set', 'lan1', 'down']);
      await until(
        d,
        'VI_1 FAULT (no carrier on lan0)',
        (s) => of(s, 'VI_1').state === 'FAULT',
        5000,
      );
      const ms = performance.now() - t0;
      await must('ip', ['-n', ns, 'link', 'set', 'lan1', 'up']);
      await until(d, 'VI_1 out of FAULT', (s) => of(s, 'VI_1').state !== 'FAULT', 5000);
      console.log(`      carrier lost -> FAULT seen by status: ${ms.toFixed(0)} ms (1 s polling)`);
    } finally {
      await stopDaemon(d);
      for (const l of ['trk1', 'trk2']) await run('ip', ['-n', ns, 'link', 'set', l, 'up']);
    }
  });

  it('vrrp_track_process: a process that stops puts the instance in FAULT, its return clears it', async () => {
    // a process of our own, with a name no other process has
    const name = `ktsp${process.pid % 100000}`;
    const exe = path.join(dir, name);
    copyFileSync('/bin/sleep', exe);
    await must('chmod', ['755', exe]);
    const d = startDaemon(
      'proc',
      `vrrp_track_process p {\n  process ${name}\n}\n` +
        instance('VI_1', 52, '  track_process {\n    p\n  }'),
    );
    try {
      await until(d, 'FAULT (not running)', (s) => s.instances[0]?.state === 'FAULT');
      const up = logged(d, /vrrp_track_process p: quorum gained/);
      const child = spawn(exe, ['1000'], { stdio: 'ignore' });
      children.push(child);
      const upMs = await up;
      await until(d, 'out of FAULT', (s) => s.instances[0].state !== 'FAULT');
      const down = logged(d, /vrrp_track_process p: quorum lost/);
      child.kill('SIGKILL');
      const downMs = await down;
      await until(d, 'FAULT again', (s) => s.instances[0].state === 'FAULT');
      // in a network namespace the kernel has no process events: the 1 s rescan
      assert.match(d.out(), /kernel process events unavailable/);
      console.log(
        `      process start -> quorum gained ${upMs.toFixed(0)} ms, kill -> quorum lost ${downMs.toFixed(0)} ms (1 s /proc rescan)`,
      );
      assert.ok(upMs < 1500 && downMs < 1500, `${upMs} ${downMs}`);
    } finally {
      await stopDaemon(d);
    }
  });

  it('the kernel process events connector reports exec and exit (initial namespace)', async function () {
    const events: { e: ProcConnEvent; at: number }[] = [];
    let sub: { close(): void };
    try {
      sub = subscribeProcEvents(
        (e) => events.push({ e, at: performance.now() }),
        () => {},
      );
    } catch (e) {
      console.log(`      process events unavailable here: ${(e as Error).message}`);
      this.skip();
    }
    try {
      await waitFor('the subscription ack', () => events.some((x) => x.e.type === 'ack'), 2000, 5);
      const t0 = performance.now();
      const child = spawn('sleep', ['0.2'], { stdio: 'ignore' });
      children.push(child);
      const pid = child.pid!;
      await waitFor(
        'exec and exit',
        () => events.some((x) => x.e.type === 'exit' && x.e.pid === pid),
        3000,
        5,
      );
      const exec = events.find((x) => x.e.type === 'exec' && x.e.pid === pid)!;
      const exit = events.find((x) => x.e.type === 'exit' && x.e.pid === pid)!;
      assert.ok(exec && exit);
      console.log(
        `      spawn -> exec event ${(exec.at - t0).toFixed(1)} ms; exit event after ${(exit.at - t0).toFixed(0)} ms (sleep 0.2)`,
      );
    } finally {
      sub!.close();
    }
  });

  it('vrrp_sync_group: notify scripts on the group transitions; a group track_file (weight 0) faults every member', async () => {
    const log = path.join(dir, 'group.log');
    const file = path.join(dir, 'gfault');
    const script = path.join(dir, 'gnotify.sh');
    writeFileSync(script, `#!/bin/sh\necho "$*" >> ${log}\n`, { mode: 0o755 });
    const d = startDaemon(
      'group',
      `track_file gf {\n  file ${file}\n  weight 0\n}\n` +
        instance('VA', 61, '') +
        instance('VB', 62, '') +
        `vrrp_sync_group G {\n  group {\n    VA\n    VB\n  }\n  track_file {\n    gf\n  }\n` +
        `  notify ${script}\n  notify_master "${script} master"\n  notify_fault "${script} fault"\n  notify_stop "${script} stop"\n}\n`,
    );
    const lines = () => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    };
    try {
      await waitFor('GROUP G MASTER', () => lines().includes('GROUP G MASTER 0'), 10_000);
      assert.deepEqual(lines().slice(0, 3), ['GROUP G BACKUP 0', 'master', 'GROUP G MASTER 0']);
      writeFileSync(file, '1\n');
      await waitFor('GROUP G FAULT', () => lines().includes('GROUP G FAULT 0'), 5000);
      await until(d, 'both members FAULT', (s) => s.instances.every((i) => i.state === 'FAULT'));
      assert.deepEqual(lines().slice(3), ['fault', 'GROUP G FAULT 0']);
      writeFileSync(file, '0\n');
      await waitFor('GROUP G MASTER again', () => lines().length >= 8, 10_000);
      assert.deepEqual(lines().slice(5, 8), ['GROUP G BACKUP 0', 'master', 'GROUP G MASTER 0']);
      await stopDaemon(d);
      await waitFor('GROUP G STOP', () => lines().includes('GROUP G STOP 0'), 5000);
      assert.deepEqual(lines().slice(-2), ['stop', 'GROUP G STOP 0']);
    } finally {
      await stopDaemon(d);
    }
  });
});
