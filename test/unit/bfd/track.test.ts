// bfd_instance and track_bfd as keepalived 2.2.7 reads them, the session
// table routing packets between two daemons' tables, and a VRRP engine whose
// instance follows its BFD session (weight: priority; weight 0: FAULT).
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { BfdSessions, type BfdTransport, type Received } from '../../../daemon/bfd/sessions';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { trackersFor } from '../../../daemon/vrrp/track';
import { FakeClock, FakeLan, FakeNet } from '../vrrp/fakes';

const bfd = (name: string, body: string) => `bfd_instance ${name} {\n${body}\n}\n`;
const vi = (extra = '', prio = 100) =>
  `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n virtual_ipaddress {\n  198.51.100.10/24\n }\n${extra}\n}\n`;
const diags = (text: string) => parseText(text).diagnostics.map((d) => `${d.level} ${d.message}`);

describe('bfd: configuration (keepalived 2.2.7 bfd_parser.c)', () => {
  it("keepalived's defaults: 10 ms rx/tx, 1 s idle, multiplier 5, TTL 255 (IPv4) / hop limit 64 (IPv6)", () => {
    const r = parseText(
      bfd('a', 'neighbor_ip 198.51.100.12') + bfd('b', 'neighbour_ip 2001:db8::12\nhoplimit 255'),
    );
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    const [a, b] = r.config!.bfd_instance;
    assert.deepEqual(
      [a.min_rx, a.min_tx, a.idle_tx, a.multiplier, a.ttl, a.max_hops, a.passive],
      [10, 10, 1000, 5, 255, 0, false],
    );
    assert.equal(a.weight.value, 0);
    assert.equal(b.neighbor_ip, '2001:db8::12');
    assert.equal(b.ttl, 255);
    assert.equal(parseText(bfd('c', 'neighbor_ip 2001:db8::1')).config!.bfd_instance[0].ttl, 64);
  });

  it('refuses authentication, a missing neighbour, mixed families and out-of-range timers', () => {
    assert.match(
      diags(bfd('a', 'neighbor_ip 10.0.0.1\nauthentication {\n auth_type md5\n}')).join(),
      /error bfd_instance: BFD authentication is not supported \(keepalived 2.2.7 implements none either/,
    );
    assert.ok(!parseText(bfd('a', 'neighbor_ip 10.0.0.1\nauthentication md5 secret')).ok);
    assert.match(diags(bfd('a', 'min_rx 10')).join(), /error bfd_instance a: no neighbor_ip set/);
    assert.match(
      diags(bfd('a', 'neighbor_ip 10.0.0.1\nsource_ip 2001:db8::1')).join(),
      /not of the same family/,
    );
    assert.match(diags(bfd('a', 'neighbor_ip 10.0.0.1\nidle_tx 999')).join(), /outside range/);
    assert.match(diags(bfd('a', 'neighbor_ip 10.0.0.1\nmin_rx 0.0001')).join(), /three decimals/);
    assert.match(diags(bfd('a', 'neighbor_ip 10.0.0.1\nmultiplier 256')).join(), /outside range/);
    assert.match(
      diags(bfd('a', 'neighbor_ip 10.0.0.1\nttl 10\nmax_hops 20')).join(),
      /max_hops exceeds/,
    );
    assert.match(diags(bfd('a'.repeat(32), 'neighbor_ip 10.0.0.1')).join(), /longer than 31/);
  });

  it("track_bfd: the bfd_instance's weight unless the line gives one; sync groups' FAULT unless tracking weight", () => {
    const cfg = parseText(
      bfd('a', 'neighbor_ip 10.0.0.2\nweight -20 reverse') +
        bfd('b', 'neighbor_ip 10.0.0.3') +
        bfd('g', 'neighbor_ip 10.0.0.4\nweight 30') +
        vi(' track_bfd {\n  a\n  b weight 15\n  missing\n }') +
        vi('', 90).replace('VI_1', 'VI_2').replace('51', '52') +
        'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n track_bfd {\n  g\n }\n}\n',
    ).config!;
    const t = trackersFor(cfg.vrrp_instance[0], cfg, { linkUp: () => true }).filter(
      (x) => x.kind === 'bfd',
    );
    assert.deepEqual(
      t.map((x) => [x.name, x.weight, x.reverse, x.ok]),
      [
        ['a', -20, true, false],
        ['b', 15, false, false],
        ['g', 0, false, false],
      ],
    );
  });
});

/** Two session tables joined by a fake wire; `cut` drops everything. */
function wire(clock: FakeClock) {
  const ends: ((r: Received) => void)[] = [];
  const state = { cut: false, ttl: 255 };
  const make = (me: string, other: () => number): BfdTransport => ({
    listen: (on) => void (ends[me === 'a' ? 0 : 1] = on),
    sender: () => ({
      send: (data) => {
        if (state.cut) return;
        const copy = Buffer.from(data);
        clock.at(clock.now() + 0.1, () =>
          ends[other()]?.({
            data: copy,
            from: me === 'a' ? '10.0.0.1' : '10.0.0.2',
            to: me === 'a' ? '10.0.0.2' : '10.0.0.1',
            ttl: state.ttl,
          }),
        );
      },
      close: () => {},
    }),
    close: () => {},
  });
  return { state, a: make('a', () => 1), b: make('b', () => 0) };
}

describe('bfd: sessions and VRRP tracking', () => {
  it('two tables bring their sessions Up, route by discriminator, and a TTL of 254 is dropped', () => {
    const clock = new FakeClock();
    const w = wire(clock);
    const cfgA = parseText(bfd('p', 'neighbor_ip 10.0.0.2')).config!;
    const cfgB = parseText(bfd('q', 'neighbor_ip 10.0.0.1')).config!;
    const a = new BfdSessions(w.a, clock, () => {});
    const b = new BfdSessions(w.b, clock, () => {});
    const seen: string[] = [];
    a.subscribe((n, up) => seen.push(`${n} ${up}`));
    a.apply(cfgA.bfd_instance);
    b.apply(cfgB.bfd_instance);
    clock.advance(3000);
    assert.deepEqual(seen, ['p true']);
    assert.equal(b.isUp('q'), true);
    w.state.ttl = 254; // one hop away: GTSM drops it
    clock.advance(100);
    assert.deepEqual(seen, ['p true', 'p false']);
    assert.ok([...a.drops.keys()].some((k) => /TTL 254 < 255/.test(k)));
    a.stop();
    b.stop();
  });

  it('an instance tracking a session: FAULT until Up (weight 0), priority moves by the weight, follows reloads', () => {
    const clock = new FakeClock();
    const w = wire(clock);
    const peer = new BfdSessions(w.b, clock, () => {});
    peer.apply(parseText(bfd('q', 'neighbor_ip 10.0.0.1')).config!.bfd_instance);
    const sessions = new BfdSessions(w.a, clock, () => {});
    const conf = (line: string) =>
      parseText(bfd('p', 'neighbor_ip 10.0.0.2') + vi(` track_bfd {\n  ${line}\n }`)).config!;
    const engine = new VrrpEngine(conf('p'), {
      net: new FakeNet(new FakeLan(), '10.0.0.1', clock),
      clock,
      scripts: { run: async () => 0 },
      log: () => {},
      bfd: sessions,
    });
    engine.start();
    const st = () => engine.status()[0];
    assert.equal(st().state, 'FAULT', 'a session starts down');
    clock.advance(3000);
    assert.notEqual(st().state, 'FAULT');
    w.state.cut = true;
    clock.advance(60); // detection time 5 x 10 ms
    assert.equal(st().state, 'FAULT');
    w.state.cut = false;
    clock.advance(6000); // the handshake, then Master_Down_Interval
    assert.equal(st().state, 'MASTER');
    // reload to a weight: the session is kept (still Up), the instance restarts with it
    engine.reload(conf('p weight -30'));
    assert.equal(st().priority, 100);
    w.state.cut = true;
    clock.advance(60);
    assert.equal(st().priority, 70);
    assert.notEqual(st().state, 'FAULT');
    engine.stop();
    peer.stop();
  });
});
