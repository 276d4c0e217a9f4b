// old_unicast_checksum: keepalived <= 1.3.5 put the multicast group in the
// pseudo-header of unicast VRRPv3 adverts. With the keyword we send that form;
// without it we switch to it when a peer uses it; with `never` we do not.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { decode, encode } from '../../../daemon/vrrp/codec';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const A = '198.51.100.11';
const B = '198.51.100.12';
const conf = (self: string, peer: string, prio: number, extra = '') =>
  parseText(
    `global_defs {\n vrrp_version 3\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 7\n priority ${prio}\n advert_int 1\n unicast_src_ip ${self}\n unicast_peer {\n  ${peer}\n }\n${extra}\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`,
  ).config;

function pair(extraA: string, extraB: string) {
  const clock = new FakeClock();
  const lan = new FakeLan();
  const mk = (ip: string, peer: string, prio: number, extra: string) => {
    const net = new FakeNet(lan, ip, clock);
    const logs: string[] = [];
    const engine = new VrrpEngine(conf(ip, peer, prio, extra), {
      net,
      clock,
      scripts: { run: async () => 0 },
      log: (_l, m) => logs.push(m),
    });
    return { net, engine, logs, state: () => engine.status()[0].state };
  };
  const a = mk(A, B, 200, extraA);
  const b = mk(B, A, 100, extraB);
  a.engine.start();
  b.engine.start();
  clock.advance(10_000);
  /** a stops: b takes over and sends; its latest advert */
  const bTakesOver = () => {
    a.engine.stop();
    clock.advance(5000);
    return b.net.sent.at(-1)!.vrrp;
  };
  return { a, b, bTakesOver };
}

describe('old_unicast_checksum (keepalived <= 1.3.5 compatibility)', () => {
  it('the codec verifies the old form only when asked to', () => {
    const adv = {
      version: 3 as const,
      vrid: 7,
      priority: 1,
      advertInt: 1,
      addresses: ['10.0.0.1'],
    };
    const old = encode(adv, { src: A, dst: '224.0.0.18' });
    assert.equal(decode(old, A, B).ok, false);
    const d = decode(old, A, B, '224.0.0.18');
    assert.ok(d.ok && d.checksumForm === 'old-unicast');
  });

  it('a peer sending the old form: we switch to it (and say so), the election works', () => {
    const { a, b, bTakesOver } = pair(' old_unicast_checksum', '');
    assert.equal(a.state(), 'MASTER');
    assert.equal(b.state(), 'BACKUP');
    assert.ok(b.logs.some((l) => /checksum to old version/.test(l)));
    const sent = bTakesOver();
    assert.equal(b.state(), 'MASTER');
    assert.equal(decode(sent, B, A).ok, false, 'b now sends the old form too');
    assert.ok(decode(sent, B, A, '224.0.0.18').ok);
  });

  it('never: the old form is a checksum error, both go MASTER', () => {
    const { a, b } = pair(' old_unicast_checksum', ' old_unicast_checksum never');
    assert.equal(a.state(), 'MASTER');
    assert.equal(b.state(), 'MASTER');
    assert.ok(b.engine.status()[0].counters.drops.checksum > 0);
  });

  it('neither side old: the current form, nobody switches', () => {
    const { b, bTakesOver } = pair('', '');
    assert.equal(b.state(), 'BACKUP');
    assert.ok(!b.logs.some((l) => /old version/.test(l)));
    assert.ok(decode(bTakesOver(), B, A).ok);
  });
});
