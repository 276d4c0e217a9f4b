// Runs INSIDE the test VM (after ipvs.guest.ts): virtual_server_group, ops,
// uthreshold/lthreshold, lvs_timeouts, lvs_flush and lvs_flush_on_stop
// against the real IPVS of Debian's kernel, read back with ipvsadm.
import { strict as assert } from 'node:assert';
import { Daemon, down, inNs, ipvsTable, RS, seedConfig, up, waitFor } from './world';

const check = '    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n    }\n';
const rs = (addr: string, port: number, extra = '') =>
  `  real_server ${addr} ${port} {\n    weight 1\n${extra}${check}  }\n`;

const conf = () =>
  seedConfig({
    backend: 'ipvs',
    extra: `
virtual_server_group web {
  203.0.113.50-51 80
  fwmark 5
}
virtual_server group web {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${rs(RS.rs1, 8080, '    uthreshold 1000\n    lthreshold 300\n')}${rs(RS.rs2, 8080)}}
virtual_server 203.0.113.60 8080 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol UDP
  ops
${rs(RS.rs1, 8080)}}
`,
  }).replace(
    /global_defs \{/,
    'global_defs {\n  lvs_flush\n  lvs_flush_on_stop\n  lvs_timeouts tcp 900 tcpfin 120 udp 300',
  );

describe('virtual_server_group and the IPVS globals (inside the VM)', function () {
  this.timeout(120_000);
  let daemon: Daemon | undefined;
  before(() => up());
  after(async () => {
    await daemon?.stop().catch(() => {});
    down();
  });

  it('lvs_flush removes a foreign service at start; the group gives one service per address and the fwmark', async () => {
    inNs('kd', 'modprobe ip_vs');
    inNs('kd', 'ipvsadm -A -t 203.0.113.99:7 -s rr');
    daemon = new Daemon(conf());
    await waitFor(
      'the group services with both real servers',
      () => {
        const t = ipvsTable();
        return ['TCP 203.0.113.50:80', 'TCP 203.0.113.51:80'].every(
          (k) => t.get(k)?.dests.length === 2,
        );
      },
      30_000,
    ).catch(() => assert.fail(inNs('kd', 'ipvsadm -Sn') + daemon!.logText()));
    const saved = inNs('kd', 'ipvsadm -Sn');
    assert.doesNotMatch(saved, /203\.0\.113\.99/, 'lvs_flush removed the foreign service');
    assert.match(saved, /-A -f 5 -s rr/);
    assert.match(saved, new RegExp(`-a -f 5 -r ${RS.rs1.replace(/\./g, '\\.')}:8080 -m -w 1`));
    const t = ipvsTable();
    assert.deepEqual(
      t.get('TCP 203.0.113.50:80')!.dests.map((d) => `${d.address}:${d.port} ${d.method}`),
      [`${RS.rs1}:8080 NAT`, `${RS.rs2}:8080 NAT`],
    );
  });

  it('uthreshold / lthreshold, ops and lvs_timeouts reach the kernel', () => {
    const list = inNs('kd', 'ipvsadm -Ln --thresholds');
    assert.match(list, new RegExp(`${RS.rs1.replace(/\./g, '\\.')}:8080\\s+1000\\s+300`), list);
    assert.match(inNs('kd', 'ipvsadm -Sn'), /-A -u 203\.0\.113\.60:8080 -s rr.* -o/);
    assert.match(inNs('kd', 'ipvsadm -L --timeout'), /900 120 300/);
  });

  it('lvs_flush_on_stop (no value) flushes every IPVS service at stop, foreign ones too', async () => {
    inNs('kd', 'ipvsadm -A -t 203.0.113.98:7 -s rr');
    await daemon!.stop();
    daemon = undefined;
    assert.equal(inNs('kd', 'ipvsadm -Sn').trim(), '');
  });
});
