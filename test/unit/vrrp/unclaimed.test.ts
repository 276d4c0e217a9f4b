// Packets no instance claims are counted once per socket kind, by reason;
// a packet naming an instance's VRID is that instance's alone (its drops).
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { encode } from '../../../daemon/vrrp/codec';
import { vrrpPacket } from '../../../daemon/vrrp/receive';
import { socketKind, Unclaimed, type Listener, type Socket } from '../../../daemon/vrrp/unclaimed';
import { soloEngine } from './fakes';

const instance = (name: string, vrid: number, extra = '') =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n priority 100\n advert_int 1\n${extra} virtual_ipaddress {\n  198.51.100.${vrid}/24\n }\n}\n`;

const SRC = '198.51.100.99';
const advert = (vrid: number) =>
  vrrpPacket(
    encode(
      { version: 2, vrid, priority: 90, advertInt: 1, addresses: [`198.51.100.${vrid}`] },
      { src: SRC, dst: '224.0.0.18' },
    ),
    SRC,
    '224.0.0.18',
  );

describe('unclaimed VRRP packets (engine)', () => {
  const setup = () => {
    const { net, engine } = soloEngine(
      parseText(instance('VI_1', 51) + instance('VI_2', 52)).config,
    );
    // the kernel hands every packet to every instance's socket
    const wire = (p: Uint8Array) => {
      for (const ch of net.channels) ch.onPacket(p);
    };
    const drops = (i: number) =>
      Object.values(engine.status()[i].counters.drops).reduce((a, b) => a + b, 0);
    return { engine, wire, drops };
  };

  it('a VRID no instance has: one unknown_vrid per packet, however many instances heard it', () => {
    const { engine, wire, drops } = setup();
    for (let i = 0; i < 3; i++) wire(advert(77));
    assert.deepEqual(engine.unclaimed.drops, { short: 0, unknown_vrid: 3 });
    assert.equal(drops(0) + drops(1), 0, 'not a drop of either instance');
  });

  it("a broken packet naming an instance's VRID is that instance's drop only", () => {
    const { engine, wire, drops } = setup();
    const bad = advert(52);
    bad[20 + 7] ^= 0xff;
    wire(bad);
    assert.equal(engine.status()[1].counters.drops.checksum, 1);
    assert.equal(drops(0), 0);
    assert.deepEqual(engine.unclaimed.drops, { short: 0, unknown_vrid: 0 });
  });

  it('too short to name a VRID (or not IP at all): short, once', () => {
    const { engine, wire } = setup();
    wire(advert(51).subarray(0, 21)); // IPv4 header and one byte
    wire(Uint8Array.from([0x45, 0, 0]));
    wire(new Uint8Array(0));
    assert.deepEqual(engine.unclaimed.drops, { short: 3, unknown_vrid: 0 });
  });
});

describe('Unclaimed (pure)', () => {
  const opts = (ifname: string, group = '224.0.0.18') => ({
    ifname,
    group,
    src: '198.51.100.11',
    unicastPeers: [] as string[],
  });
  const socket = (ifname = 'eth0'): Socket => ({ opts: opts(ifname), channel: {} });
  const listener = (vrid: number, s: Socket): Listener => ({ vrid, listening: () => [s] });

  it('one socket of a kind counts; another takes over when it closes', () => {
    const [sa, sb] = [socket(), socket()];
    const u = new Unclaimed(() => [listener(1, sa), listener(2, sb)]);
    assert.equal(u.heard(9, sa), 'unknown_vrid');
    assert.equal(u.heard(9, sb), undefined, 'the same packet, another copy');
    delete sa.channel; // closed
    assert.equal(u.heard(9, sb), 'unknown_vrid');
    assert.equal(u.heard(1, sb), undefined, 'VRID 1 has an instance here');
    assert.equal(u.drops.unknown_vrid, 2);
  });

  it('owners are per socket kind: a VRID on another interface is unknown here', () => {
    const [sa, sb] = [socket('eth0'), socket('eth1')];
    const u = new Unclaimed(() => [listener(1, sa), listener(2, sb)]);
    assert.equal(u.heard(2, sa), 'unknown_vrid');
    assert.equal(u.heard(1, sb), 'unknown_vrid');
    assert.equal(u.heard(undefined, sb), 'short');
    assert.notEqual(socketKind(opts('eth0')), socketKind(opts('eth0', 'ff02::12')));
  });
});
