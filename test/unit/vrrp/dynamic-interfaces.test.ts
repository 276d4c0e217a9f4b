// dynamic_interfaces (keepalived): an instance on an interface that does not
// exist waits for it in FAULT, and re-opens its sockets when the interface is
// made again under a new index; without the keyword it is refused (FAULT, no
// retry), as keepalived refuses it.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { soloEngine } from './fakes';

const conf = (global: string) =>
  parseText(
    `global_defs {\n${global}\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority 100\n advert_int 1\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`,
  ).config;

describe('dynamic_interfaces', () => {
  it('without it, a missing interface is FAULT for good (an error, no retry)', () => {
    const { clock, net, engine } = soloEngine(
      conf(''),
      '198.51.100.11',
      (n) => (n.ifindexes = new Map()),
    );
    clock.advance(3000);
    net.ifindexes!.set('eth0', 7);
    clock.advance(5000);
    assert.equal(engine.status()[0].state, 'FAULT');
    assert.equal(net.channels.length, 0);
  });

  it('with it, the instance waits for the interface, then runs', () => {
    const { clock, net, engine } = soloEngine(
      conf(' dynamic_interfaces'),
      '198.51.100.11',
      (n) => (n.ifindexes = new Map()),
    );
    clock.advance(3000);
    assert.equal(engine.status()[0].state, 'FAULT');
    net.ifindexes!.set('eth0', 7);
    clock.advance(5000);
    assert.equal(engine.status()[0].state, 'MASTER');
    assert.equal(net.channels.length, 1);
  });

  it('with it, an interface made again under a new index gets new sockets', () => {
    const { clock, net, engine } = soloEngine(
      conf(' dynamic_interfaces'),
      '198.51.100.11',
      (n) => (n.ifindexes = new Map([['eth0', 7]])),
    );
    clock.advance(5000);
    assert.equal(engine.status()[0].state, 'MASTER');
    const first = net.channels[0];
    net.ifindexes!.delete('eth0');
    net.setLink('eth0', false);
    assert.equal(engine.status()[0].state, 'FAULT');
    net.ifindexes!.set('eth0', 9);
    net.setLink('eth0', true);
    clock.advance(5000);
    assert.equal(engine.status()[0].state, 'MASTER');
    assert.equal(net.channels.length, 1);
    assert.notEqual(net.channels[0], first, 'the old socket was closed, a new one opened');
  });
});
