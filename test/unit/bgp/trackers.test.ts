// bgp_announce's trackers in the main process: vrrp_script with keepalived's
// rise/fall/init_fail, track_file (non-zero withdraws), track_interface, the
// `reverse` of a declaration (keepalived's weight-0 rule), and a reload that
// keeps a script's state.
import { strict as assert } from 'node:assert';
import { BgpTrackers } from '../../../daemon/bgp-trackers';
import type { FileSource } from '../../../daemon/core/file-source';
import { parse } from '../config/helpers';
import { FakeClock } from '../vrrp/fakes';

const CONF = `vrrp_script chk {
 script "/usr/local/bin/chk"
 interval 2
 rise 2
 fall 3
}
vrrp_script slow {
 script "/usr/local/bin/slow"
 init_fail
}
vrrp_script passive {
 script "/usr/local/bin/passive"
 weight 0 reverse
}
track_file maint {
 file /run/maint
}
track_file standby {
 file /run/standby
 weight 1 reverse
}
virtual_server 198.51.100.10 80 {
 protocol TCP
 real_server 198.51.100.21 80 {
 }
}
bgp_announce {
 track_script {
  chk
  slow
  passive
 }
 track_interface {
  lan0
 }
 track_file {
  maint
  standby
 }
}
`;

function setup() {
  const r = parse(CONF);
  assert.deepEqual(
    r.diags.filter((d) => / error /.test(d)),
    [],
  );
  const clock = new FakeClock();
  const exits = new Map<string, number>([
    ['/usr/local/bin/chk', 0],
    ['/usr/local/bin/slow', 0],
    ['/usr/local/bin/passive', 1],
  ]);
  const runs: string[] = [];
  const files = new Map<string, string>([
    ['/run/maint', '0\n'],
    ['/run/standby', '1\n'],
  ]);
  const watchers = new Map<string, () => void>();
  const fs: FileSource = {
    read: (f) => files.get(f),
    kind: (f) => (files.has(f) ? 'regular' : 'no'),
    write: (f, t) => files.set(f, t),
    dirExists: () => true,
    watch: (f, cb) => {
      watchers.set(f, cb);
      return { close: () => watchers.delete(f) };
    },
  };
  const links = { lan0: true } as Record<string, boolean>;
  let linkEvent: (() => void) | undefined;
  let changes = 0;
  const trackers = new BgpTrackers({
    clock,
    log: () => {},
    runScript: async (argv) => {
      runs.push(argv[0]);
      return exits.get(argv[0]) ?? 127;
    },
    files: fs,
    links: {
      linkUp: (i) => links[i] ?? false,
      watchLinks: (cb) => {
        linkEvent = cb;
        return { close: () => (linkEvent = undefined) };
      },
    },
    changed: () => changes++,
  });
  const state = () => Object.fromEntries(trackers.view().map((t) => [`${t.kind} ${t.name}`, t.ok]));
  /** let script runs (promises) settle, then advance the clock */
  const tick = async (ms: number) => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    r,
    trackers,
    exits,
    runs,
    files,
    watchers,
    links,
    state,
    tick,
    changes: () => changes,
    linkEvent: () => linkEvent,
  };
}

describe('active-active: bgp_announce trackers', () => {
  it('a script fails after `fall` failures and recovers after `rise` successes', async () => {
    const t = setup();
    t.trackers.apply(t.r.config, t.r.config.bgp_announce!, false);
    await t.tick(0);
    assert.deepEqual(t.state(), {
      'script chk': true,
      'script slow': true, // init_fail, then one success with rise 1
      'script passive': true, // reverse: failing is serving
      'interface lan0': true,
      'file maint': true,
      'file standby': true, // reverse: non-zero is serving
    });
    t.exits.set('/usr/local/bin/chk', 1);
    await t.tick(2000);
    await t.tick(2000);
    assert.equal(t.state()['script chk'], true, 'two failures of fall 3');
    await t.tick(2000);
    assert.equal(t.state()['script chk'], false);
    t.exits.set('/usr/local/bin/chk', 0);
    await t.tick(2000);
    assert.equal(t.state()['script chk'], false, 'one success of rise 2');
    await t.tick(2000);
    assert.equal(t.state()['script chk'], true);
    assert.ok(t.changes() >= 3);
    t.trackers.stop();
    const n = t.runs.length;
    await t.tick(10_000);
    assert.equal(t.runs.length, n, 'stopped trackers run no script');
  });

  it('init_fail: failed until the first success', async () => {
    const t = setup();
    t.exits.set('/usr/local/bin/slow', 1);
    t.trackers.apply(t.r.config, t.r.config.bgp_announce!, false);
    await t.tick(0);
    assert.equal(t.state()['script slow'], false);
    t.trackers.stop();
  });

  it('track_file: a non-zero value fails (reverse: zero does); track_interface follows the link', async () => {
    const t = setup();
    t.trackers.apply(t.r.config, t.r.config.bgp_announce!, false);
    await t.tick(0);
    t.files.set('/run/maint', '1\n');
    t.watchers.get('/run/maint')!();
    assert.equal(t.state()['file maint'], false);
    t.files.set('/run/standby', '0\n');
    t.watchers.get('/run/standby')!();
    assert.equal(t.state()['file standby'], false);
    t.exits.set('/usr/local/bin/passive', 0);
    await t.tick(1000);
    assert.equal(t.state()['script passive'], false, 'reverse: a succeeding script withdraws');
    t.links.lan0 = false;
    const before = t.changes();
    t.linkEvent()!();
    assert.equal(t.changes(), before + 1, 'a link event asks for a round');
    assert.equal(t.state()['interface lan0'], false);
    t.trackers.stop();
    assert.equal(t.linkEvent(), undefined, 'the link watch is closed');
  });

  it('a reload keeps a script state (no flap) and restarts its runs', async () => {
    const t = setup();
    t.trackers.apply(t.r.config, t.r.config.bgp_announce!, false);
    await t.tick(0);
    t.exits.set('/usr/local/bin/chk', 1);
    for (let i = 0; i < 3; i++) await t.tick(2000);
    assert.equal(t.state()['script chk'], false);
    t.trackers.apply(t.r.config, t.r.config.bgp_announce!, true);
    assert.equal(t.state()['script chk'], false);
    t.trackers.stop();
  });
});
