// The names a running daemon shows (process_names, process_name,
// vrrp_process_name), read from /proc of a daemon in a namespace of its own.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/keepalive-ts');
const ns = `lab-pn${process.pid % 100000}`;

describe('process and thread names (netns)', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-pn-'));
    await must('ip', ['netns', 'add', ns]);
    await must('ip', [
      'netns',
      'exec',
      ns,
      'sh',
      '-c',
      'ip link set lo up; ip link add lan0 type veth peer name lan1; ip link set lan0 up; ip link set lan1 up; ip addr add 198.51.100.1/24 dev lan0',
    ]);
  });
  after(async () => {
    const r = await run('ip', ['netns', 'pids', ns]);
    for (const pid of r.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
    await run('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('process_name is the title, vrrp_process_name the VRRP thread, process_names the rest', async () => {
    const conf = path.join(dir, 'k.conf');
    writeFileSync(
      conf,
      'global_defs {\n process_names\n process_name lb-edge\n vrrp_process_name edge_vrrp\n}\n' +
        'vrrp_instance V {\n interface lan0\n virtual_router_id 9\n priority 100\n advert_int 0.1\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n',
    );
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        BIN,
        '-f',
        conf,
        '-n',
        '-l',
        '--control',
        path.join(dir, 's'),
      ],
      { stdio: 'ignore' },
    );
    try {
      let pid = 0;
      await waitFor(
        'the daemon',
        async () => {
          const r = await run('ip', ['netns', 'pids', ns]);
          pid = Number(r.stdout.split('\n').filter(Boolean)[0] ?? 0);
          return pid > 0 && readdirSync(`/proc/${pid}/task`).length > 1;
        },
        10_000,
      );
      await sleep(500);
      const comms = readdirSync(`/proc/${pid}/task`).map((t) =>
        readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim(),
      );
      assert.ok(comms.includes('edge_vrrp'), comms.join(','));
      assert.ok(comms.includes('keepalived_ipvs'), comms.join(',')); // the main thread (checkers)
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      assert.match(cmdline, /^lb-edge/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
