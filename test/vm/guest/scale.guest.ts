// Runs INSIDE the test VM: keepalive-ts's IPVS backend on a 2,000-destination
// table (20 services x 100), big enough that the kernel's dumps span several
// netlink messages. Reading the table back must give exactly what was
// applied (before, the multi-part dump was read through a reused buffer and
// came back with duplicates: every reconcile then failed with EEXIST). One
// weight change is one SET_DEST, planned from the table last written; when
// someone else changed that table, the plan is redone from a dump.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { IpvsDataplane } from '../../../daemon/dataplane/ipvs-backend';
import { ipvsScaleTable, TABLE_VIP as VIP } from '../../../scripts/bench/ipvs-table';

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });

describe('IPVS backend at 2,000 destinations', function () {
  this.timeout(120_000);
  let dp: IpvsDataplane;
  const saved = () =>
    sh('ipvsadm -Sn')
      .split('\n')
      .filter((l) => l.startsWith('-a'));

  before(() => {
    sh('modprobe ip_vs && modprobe ip_vs_wrr && ipvsadm -C');
    dp = new IpvsDataplane(() => {});
  });
  after(async () => {
    await dp.clear();
    sh('ipvsadm -C');
  });

  it('applies the whole table and reads it back intact: a reconcile changes nothing', async () => {
    await dp.apply(ipvsScaleTable(() => 1));
    const rows = saved();
    assert.equal(rows.length, 2000);
    assert.equal(new Set(rows).size, 2000);
    assert.equal(await dp.reconcile(), false, 'the table read back differs from the one applied');
  });

  it('one weight change is applied alone, from the table last written (no dump)', async () => {
    let t = process.hrtime.bigint();
    assert.equal(await dp.reconcile(), false);
    const dumpMs = Number(process.hrtime.bigint() - t) / 1e6;
    const before = { ...dp.requests };
    t = process.hrtime.bigint();
    await dp.apply(ipvsScaleTable((v, r) => (v === 7 && r === 42 ? 0 : 1)));
    const changeMs = Number(process.hrtime.bigint() - t) / 1e6;
    console.log(
      `      reading the table back ${dumpMs.toFixed(1)} ms, one change ${changeMs.toFixed(1)} ms`,
    );
    const zero = saved().filter((l) => / -w 0$/.test(l.trim()));
    assert.deepEqual(zero, [`-a -t ${VIP}:8007 -r 198.51.100.21:10371 -m -w 0`]);
    // counted, not timed: the VM's clock under emulation makes a ratio noisy
    assert.deepEqual(
      { dumps: dp.requests.dumps - before.dumps, commands: dp.requests.commands - before.commands },
      { dumps: 0, commands: 1 },
      'one change is one netlink command and no read of the table',
    );
    assert.equal(dp.errors, 0);
  });

  it('a change to what someone else removed falls back to reading the table', async () => {
    sh(`ipvsadm -d -t ${VIP}:8003 -r 198.51.100.22:10160`);
    await dp.apply(ipvsScaleTable((v, r) => (v === 3 && r === 21 ? 5 : 1)));
    assert.ok(saved().includes(`-a -t ${VIP}:8003 -r 198.51.100.22:10160 -m -w 5`));
    assert.equal(saved().length, 2000);
    assert.equal(dp.errors, 0);
  });
});
