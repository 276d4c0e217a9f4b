// reload_check_config LOG_FILE: a SIGHUP with a broken config keeps the
// running one and writes the check's result to the file; a good one reloads.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../../scripts/lab/sys';
import { testNetns, type TestNetns } from './netns-daemon';

describe('reload_check_config (netns)', function () {
  this.timeout(30_000);
  let t: TestNetns;
  before(async () => {
    t = await testNetns('rc');
  });
  after(async () => {
    await t.close();
  });

  it('a broken config is refused and reported in LOG_FILE; a good one reloads', async () => {
    const conf = path.join(t.dir, 'k.conf');
    const logFile = path.join(t.dir, 'check.log');
    const good = (prio: number) =>
      `global_defs {\n reload_check_config ${logFile}\n}\n` +
      `vrrp_instance V {\n interface lan0\n virtual_router_id 9\n priority ${prio}\n advert_int 0.1\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`;
    writeFileSync(conf, good(100));
    const { child, out } = t.daemon(conf);
    try {
      await waitFor('MASTER', async () => /-> MASTER/.test(out()), 10_000);
      writeFileSync(conf, good(100).replace('priority 100', 'priority 999'));
      child.kill('SIGHUP');
      const result = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
      await waitFor('the check result', async () => /configuration \w+\n$/.test(result()), 5000);
      const bad = readFileSync(logFile, 'utf8');
      assert.match(bad, /priority/, `${JSON.stringify(bad)}\n${out()}`);
      assert.match(bad, /configuration invalid/);
      assert.equal(child.exitCode, null, 'still running on the old config');
      writeFileSync(conf, good(120));
      child.kill('SIGHUP');
      await waitFor('the second check', async () => /configuration OK/.test(result()), 5000);
      await waitFor('reloaded', async () => /reload: \{/.test(out()), 5000);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
