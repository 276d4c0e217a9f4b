// The nftables backend hears nftables change events to reconcile after
// outside changes, and must not take the events of its own applies for
// outside changes: the watch callback can run before the `nft` child's exit
// is seen, so it used to re-apply every ~100 ms, forever (a NAT virtual
// server whose real server answers, in a namespace without the VIP).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { which } from '../../scripts/lab/deps';
import { must, run, sleep } from '../../scripts/lab/sys';
import { testNetns, type TestNetns } from './netns-daemon';

describe('nftables backend: its own applies are not outside changes (netns)', function () {
  this.timeout(30_000);
  let t: TestNetns;
  before(async function () {
    if (!which('nft')) this.skip();
    t = await testNetns('nftown');
  });
  after(async () => t?.close());

  it('a quiet NAT service is applied once and then left alone; an outside change is repaired', async () => {
    const conf = path.join(t.dir, 'k.conf');
    writeFileSync(
      conf,
      [
        'global_defs {\n  lvs_backend nftables\n}',
        'virtual_server 203.0.113.10 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP',
        '  real_server 198.51.100.21 80 {\n    weight 1\n  }',
        '  real_server 198.51.100.22 80 {\n    weight 1\n  }\n}\n',
      ].join('\n'),
    );
    const d = t.daemon(conf);
    await sleep(4000);
    const outside = (d.out().match(/changed outside keepalive-ts/g) ?? []).length;
    assert.equal(
      outside,
      0,
      `re-applied ${outside} times with nobody else touching nftables:\n${d.out()}`,
    );
    // someone deletes our NAT table: heard and repaired
    await must('ip', ['netns', 'exec', t.ns, 'nft', 'delete', 'table', 'ip', 'keepalive_ts_nat']);
    await sleep(1500);
    assert.match(d.out(), /changed outside keepalive-ts; re-applying/);
    const listed = await run('ip', [
      'netns',
      'exec',
      t.ns,
      'nft',
      'list',
      'table',
      'ip',
      'keepalive_ts_nat',
    ]);
    assert.equal(listed.code, 0, 'the NAT table was not put back');
    await sleep(1500);
    const after = (d.out().match(/changed outside keepalive-ts/g) ?? []).length;
    assert.equal(after, 1, `one outside change, ${after} re-applies:\n${d.out()}`);
  });
});
