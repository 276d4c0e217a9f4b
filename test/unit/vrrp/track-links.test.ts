// interface_up_down_delays and linkbeat_interfaces (keepalived semantics).
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { changeDelayMs, polledFor } from '../../../daemon/vrrp/track-links';
import { soloEngine } from './fakes';

const conf = (top: string) =>
  parseText(
    `${top}vrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority 100\n advert_int 1\n virtual_ipaddress {\n  198.51.100.10/24\n }\n}\n`,
  );

describe('link tracking: interface_up_down_delays, linkbeat_interfaces', () => {
  it('a link change counts only after its delay; one undone within the delay moves nothing', () => {
    const { config, diagnostics } = conf('interface_up_down_delays {\n eth0 2 0.5\n}\n');
    assert.deepEqual(diagnostics, []);
    assert.equal(changeDelayMs(config, 'eth0', false), 2000);
    assert.equal(changeDelayMs(config, 'eth0', true), 500);
    const { clock, net, engine: e } = soloEngine(config);
    clock.advance(5000);
    const state = () => e.status()[0].state;
    assert.equal(state(), 'MASTER');
    net.setLink('eth0', false);
    clock.advance(1500);
    assert.equal(state(), 'MASTER', 'still inside the down delay');
    net.setLink('eth0', true);
    clock.advance(3000);
    assert.equal(state(), 'MASTER', 'the flap was undone within the delay');
    net.setLink('eth0', false);
    clock.advance(2100);
    assert.equal(state(), 'FAULT', 'down for longer than the delay');
    net.setLink('eth0', true);
    clock.advance(400);
    assert.equal(state(), 'FAULT', 'inside the up delay');
    clock.advance(200);
    assert.notEqual(state(), 'FAULT');
  });

  it('without delays a change acts at once', () => {
    const { config } = conf('');
    const { clock, net, engine: e } = soloEngine(config);
    clock.advance(5000);
    net.setLink('eth0', false);
    assert.equal(e.status()[0].state, 'FAULT');
  });

  it('linkbeat_interfaces names interfaces to poll; bad polling types are refused', () => {
    const { config } = conf('linkbeat_interfaces {\n eth2\n eth3 ETHTOOL\n}\n');
    const i = { name: 'V', cfg: { interface: 'eth0' }, trackers: [], applyTrackers() {} };
    assert.equal(polledFor(config, i, 'eth2'), true);
    assert.equal(polledFor(config, i, 'eth3'), true);
    assert.equal(polledFor(config, i, 'eth0'), false);
    const bad = conf('linkbeat_interfaces {\n eth2 FOO\n}\n');
    assert.match(bad.diagnostics[0].message, /not MII, ETHTOOL or IOCTL/);
  });
});
