// The names a running daemon shows (process_names, process_name,
// vrrp_process_name), read from /proc of a daemon in a namespace of its own.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { run, sleep, waitFor } from '../../scripts/lab/sys';
import { testNetns, type TestNetns } from './netns-daemon';

describe('process and thread names (netns)', function () {
  this.timeout(30_000);
  let t: TestNetns;
  before(async () => {
    t = await testNetns('pn');
  });
  after(async () => {
    await t.close();
  });

  it('process_name is the title, vrrp_process_name the VRRP thread, process_names the rest', async () => {
    const conf = path.join(t.dir, 'k.conf');
    writeFileSync(
      conf,
      'global_defs {\n process_names\n process_name lb-edge\n vrrp_process_name edge_vrrp\n}\n' +
        'vrrp_instance V {\n interface lan0\n virtual_router_id 9\n priority 100\n advert_int 0.1\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n',
    );
    const { child } = t.daemon(conf);
    try {
      let pid = 0;
      await waitFor(
        'the daemon',
        async () => {
          const r = await run('ip', ['netns', 'pids', t.ns]);
          pid = Number(r.stdout.split('\n').filter(Boolean)[0] ?? 0);
          return pid > 0 && readdirSync(`/proc/${pid}/task`).length > 1;
        },
        10_000,
      );
      await sleep(500);
      const comms = readdirSync(`/proc/${pid}/task`).map((x) =>
        readFileSync(`/proc/${pid}/task/${x}/comm`, 'utf8').trim(),
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
