// dynamic_interfaces on a real kernel: the instance waits for an interface
// that does not exist yet, and keeps working when it is deleted and made again
// (a new index: the old socket is bound to a device that is gone).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { must, run, waitFor } from '../../scripts/lab/sys';
import { testNetns, type TestNetns } from './netns-daemon';

describe('dynamic_interfaces (netns)', function () {
  this.timeout(40_000);
  let t: TestNetns;
  before(async () => {
    t = await testNetns('dyn');
  });
  after(async () => {
    await t.close();
  });

  const sh = (c: string) => must('ip', ['netns', 'exec', t.ns, 'sh', '-c', c]);
  const makeLan9 = () =>
    sh(
      'ip link add lan9 type veth peer name lan9p; ip link set lan9 up; ip link set lan9p up; ip addr add 203.0.113.1/24 dev lan9',
    );
  /** what lan9p hears: VRRP adverts from the instance, counted by tcpdump-free means (the peer's rx packets) */
  const rx = async () =>
    Number(
      (
        await run('ip', [
          'netns',
          'exec',
          t.ns,
          'cat',
          '/sys/class/net/lan9p/statistics/rx_packets',
        ])
      ).stdout,
    );
  const holds = async () =>
    (
      await run('ip', ['netns', 'exec', t.ns, 'ip', '-o', 'addr', 'show', 'dev', 'lan9'])
    ).stdout.includes('203.0.113.10/');

  it('waits for its interface, then runs; survives the interface being made again', async () => {
    const conf = path.join(t.dir, 'k.conf');
    writeFileSync(
      conf,
      'global_defs {\n dynamic_interfaces\n}\n' +
        'vrrp_instance V {\n interface lan9\n virtual_router_id 9\n priority 100\n advert_int 0.1\n version 3\n virtual_ipaddress {\n  203.0.113.10/24\n }\n}\n',
    );
    const { child, out } = t.daemon(conf);
    try {
      await waitFor(
        'FAULT while lan9 is missing',
        async () => /does not exist yet/.test(out()),
        5000,
      );
      await makeLan9();
      await waitFor('VIP on lan9', holds, 8000);
      await sh('ip link del lan9');
      await makeLan9();
      await waitFor('VIP on the new lan9', holds, 8000);
      const a = await rx();
      await new Promise((r) => setTimeout(r, 1000));
      const b = await rx();
      assert.ok(b - a >= 5, `adverts on the new lan9: ${b - a} packets in 1 s\n${out()}`);
      assert.match(out(), /re-opening|VRRP socket open/);
      assert.equal(child.exitCode, null);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
