import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { LinuxNet } from '../../../daemon/net/linux';
import { rcvbufOption, SO_RCVBUF, SO_RCVBUFFORCE } from '../../../daemon/net/native';
import { parse } from '../config/helpers';

describe('netlink receive buffers (vrrp_netlink_*_rcv_bufs, process_monitor_rcv_bufs)', () => {
  it('reads the sizes and the force flags into global_defs', () => {
    const r = parse(
      [
        'global_defs {',
        ' vrrp_netlink_cmd_rcv_bufs 1048576',
        ' vrrp_netlink_cmd_rcv_bufs_force',
        ' vrrp_netlink_monitor_rcv_bufs 524288',
        ' vrrp_netlink_monitor_rcv_bufs_force false',
        ' process_monitor_rcv_bufs 4194304',
        ' process_monitor_rcv_bufs_force on',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(r.diags, []);
    const g = r.config.global_defs;
    assert.equal(g.vrrp_netlink_cmd_rcv_bufs, 1048576);
    assert.equal(g.vrrp_netlink_cmd_rcv_bufs_force, true);
    assert.equal(g.vrrp_netlink_monitor_rcv_bufs, 524288);
    assert.equal(g.vrrp_netlink_monitor_rcv_bufs_force, false);
    assert.equal(g.process_monitor_rcv_bufs, 4194304);
    assert.equal(g.process_monitor_rcv_bufs_force, true);
    assert.match(
      parse('global_defs {\n vrrp_netlink_cmd_rcv_bufs lots\n}\n').diags.join('\n'),
      /error/,
    );
  });

  it('sets SO_RCVBUF, or SO_RCVBUFFORCE (33) when forced, with a native int', () => {
    assert.equal(SO_RCVBUFFORCE, 33);
    const plain = rcvbufOption({ bytes: 1048576, force: false });
    assert.equal(plain.name, SO_RCVBUF);
    assert.deepEqual([...plain.value], [0x00, 0x00, 0x10, 0x00]);
    const forced = rcvbufOption({ bytes: 300000, force: true });
    assert.equal(forced.name, SO_RCVBUFFORCE);
    assert.equal(forced.value.readInt32LE(0), 300000);
    // keepalived takes an unsigned; the kernel's int must not turn negative
    assert.equal(rcvbufOption({ bytes: 4294967295, force: true }).value.readInt32LE(0), 0x7fffffff);
  });

  it('the link monitor socket gets the configured size, also when reconfigured (ss -m)', function () {
    if (process.getuid?.() !== 0) this.skip();
    const net = new LinuxNet();
    const warnings: string[] = [];
    const bufs = () =>
      execFileSync('ss', ['-f', 'netlink', '-m', '-p'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(`rtnl:`) && l.includes(`/${process.pid} `))
        .map((l) => Number(/rb(\d+)/.exec(l)![1]));
    try {
      // beyond net.core.rmem_max (212992 here): only SO_RCVBUFFORCE gets it
      net.configure({
        monitorRcvbuf: { bytes: 400000, force: true },
        warn: (m) => warnings.push(m),
      });
      const w = net.watchLinks(() => undefined);
      try {
        assert.ok(bufs().includes(800000), `kernel doubles: ${bufs().join(',')}`);
        net.configure({ monitorRcvbuf: { bytes: 150000, force: false } });
        assert.ok(bufs().includes(300000), `after reload: ${bufs().join(',')}`);
      } finally {
        w.close();
      }
      assert.deepEqual(warnings, []);
    } finally {
      net.close();
    }
  });
});
