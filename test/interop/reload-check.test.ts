// reload_check_config LOG_FILE: a SIGHUP with a broken config keeps the
// running one and writes the check's result to the file; a good one reloads.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { must, run, waitFor } from '../../scripts/lab/sys';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/keepalive-ts');
const ns = `lab-rc${process.pid % 100000}`;

describe('reload_check_config (netns)', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-rc-'));
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

  it('a broken config is refused and reported in LOG_FILE; a good one reloads', async () => {
    const conf = path.join(dir, 'k.conf');
    const logFile = path.join(dir, 'check.log');
    const good = (prio: number) =>
      `global_defs {\n reload_check_config ${logFile}\n}\n` +
      `vrrp_instance V {\n interface lan0\n virtual_router_id 9\n priority ${prio}\n advert_int 0.1\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`;
    writeFileSync(conf, good(100));
    let out = '';
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
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('MASTER', async () => /-> MASTER/.test(out), 10_000);
      writeFileSync(conf, good(100).replace('priority 100', 'priority 999'));
      child.kill('SIGHUP');
      const result = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
      await waitFor('the check result', async () => /configuration \w+\n$/.test(result()), 5000);
      const bad = readFileSync(logFile, 'utf8');
      assert.match(bad, /priority/, `${JSON.stringify(bad)}\n${out}`);
      assert.match(bad, /configuration invalid/);
      assert.equal(child.exitCode, null, 'still running on the old config');
      writeFileSync(conf, good(120));
      child.kill('SIGHUP');
      await waitFor('the second check', async () => /configuration OK/.test(result()), 5000);
      await waitFor('reloaded', async () => /reload: \{/.test(out), 5000);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
