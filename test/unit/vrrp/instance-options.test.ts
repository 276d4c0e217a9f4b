// vrrp_instance options of keepalived 2.2.7 that shape one instance's
// sockets and fault state: mcast_dst_ip, track_src_ip, unicast_fault_no_peer,
// promote_secondaries, kernel_rx_buf_size / vrrp_rx_bufs_policy,
// vrrp_down_timer_adverts.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { rxBufs } from '../../../daemon/vrrp/paths';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const conf = (inst: string, global = '') => {
  const r = parseText(
    `global_defs {\n${global}\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority 100\n advert_int 1\n${inst}\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`,
  );
  assert.deepEqual(
    r.diagnostics.filter((d) => d.level === 'error'),
    [],
  );
  return r.config;
};

function run(inst: string, global = '', ms = 5000) {
  const clock = new FakeClock();
  const net = new FakeNet(new FakeLan(), '198.51.100.11', clock);
  const engine = new VrrpEngine(conf(inst, global), {
    net,
    clock,
    scripts: { run: async () => 0 },
    log: () => {},
  });
  engine.start();
  clock.advance(ms);
  return { clock, net, engine, state: () => engine.status()[0].state };
}

describe('vrrp_instance socket and fault options (keepalived semantics)', () => {
  it('mcast_dst_ip sends to that group instead of vrrp_mcast_group4', () => {
    const { net } = run(' mcast_dst_ip 224.0.0.99');
    assert.equal(net.channels[0].opts.group, '224.0.0.99');
    assert.equal(run('').net.channels[0].opts.group, '224.0.0.18');
  });

  it('track_src_ip: FAULT while the configured source is not on the host, MASTER once it is', () => {
    const r = run(' mcast_src_ip 198.51.100.77\n track_src_ip');
    assert.equal(r.state(), 'FAULT');
    r.net.setAddress('198.51.100.77', true);
    r.clock.advance(5000);
    assert.equal(r.state(), 'MASTER');
    r.net.setAddress('198.51.100.77', false);
    assert.equal(r.state(), 'FAULT');
    assert.equal(run(' mcast_src_ip 198.51.100.77').state(), 'MASTER', 'not tracked without it');
  });

  it('unicast_fault_no_peer: unicast keywords without a peer are FAULT, not multicast', () => {
    assert.equal(run(' unicast_src_ip 198.51.100.11\n unicast_fault_no_peer').state(), 'FAULT');
    assert.equal(run(' unicast_src_ip 198.51.100.11').state(), 'MASTER');
  });

  it('promote_secondaries is set while the instance runs and restored at stop', () => {
    const r = run(' promote_secondaries');
    const key = 'net/ipv4/conf/eth0/promote_secondaries';
    assert.equal(r.net.sysctls.get(key), '1');
    r.engine.stop();
    assert.equal(r.net.sysctls.get(key), '0');
  });

  it('vrrp_down_timer_adverts is the default of down_timer_adverts', () => {
    // a backup with no master: Master_Down_Interval = N * 1 s + skew (0.609 s at priority 100)
    const three = run(' state BACKUP', '', 0);
    three.clock.advance(3500);
    assert.equal(three.state(), 'BACKUP');
    three.clock.advance(200);
    assert.equal(three.state(), 'MASTER', 'RFC default: 3 adverts + skew');
    const five = run(' state BACKUP', 'vrrp_down_timer_adverts 5', 0);
    five.clock.advance(5500);
    assert.equal(five.state(), 'BACKUP', 'still waiting: 5 adverts + skew');
    five.clock.advance(200);
    assert.equal(five.state(), 'MASTER');
    const own = run(' state BACKUP\n down_timer_adverts 2', 'vrrp_down_timer_adverts 5', 0);
    own.clock.advance(2700);
    assert.equal(own.state(), 'MASTER', "the instance's own setting wins");
  });

  it('receive buffers: kernel_rx_buf_size, else vrrp_rx_bufs_policy (size, MTU or ADVERT times the multiplier)', () => {
    const c = (inst: string, global = '') => {
      const k = conf(inst, global);
      return rxBufs(k.vrrp_instance[0], k, 4);
    };
    assert.equal(c(''), undefined);
    assert.deepEqual(c(' kernel_rx_buf_size 65536', 'vrrp_rx_bufs_policy MTU'), { bytes: 65536 });
    assert.deepEqual(c('', 'vrrp_rx_bufs_policy 4096'), { bytes: 4096 });
    assert.deepEqual(c('', 'vrrp_rx_bufs_policy MTU\n vrrp_rx_bufs_multiplier 4'), {
      mtuTimes: 4,
    });
    // IPv4 header 20 + VRRP 8 + one address 4 = 32 bytes, times the default multiplier 3
    assert.deepEqual(c('', 'vrrp_rx_bufs_policy ADVERT'), { bytes: 96 });
    assert.deepEqual(run(' kernel_rx_buf_size 65536').net.channels[0].opts.rcvbuf, {
      bytes: 65536,
    });
  });
});
