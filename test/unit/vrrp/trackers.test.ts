// track_file, vrrp_track_process, sync group trackers and linkbeat polling:
// keepalived 2.2.7's rules, on fakes under a fake clock.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import type { Config } from '../../../daemon/config/model';
import {
  decodeProcEvents,
  encodeProcEvent,
  listenRequest,
  PROC_EVENT,
} from '../../../daemon/net/proc-connector';
import type { FileSource } from '../../../daemon/system/file-watch';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { contribution, trackersFor, type Tracker } from '../../../daemon/vrrp/track';
import { initialFileWrite, parseTrackValue } from '../../../daemon/vrrp/track-file';
import { matches, ProcessMonitor, type ProcInfo } from '../../../daemon/vrrp/track-process';
import type { ProcessIO } from '../../../daemon/vrrp/track-watch';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const vi = (name: string, vrid: number, body: string, prio = 100) =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n priority ${prio}\n virtual_ipaddress {\n  198.51.100.${vrid}/24\n }\n${body}\n}\n`;
const cfg = (text: string): Config => {
  const r = parseText(text);
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config!;
};

class FakeFiles implements FileSource {
  readonly text = new Map<string, string>();
  readonly watchers = new Map<string, () => void>();
  read(f: string) {
    return this.text.get(f);
  }
  kind(f: string) {
    return this.text.has(f) ? ('regular' as const) : ('no' as const);
  }
  write(f: string, t: string) {
    this.text.set(f, t);
  }
  dirExists() {
    return true;
  }
  watch(f: string, on: () => void) {
    this.watchers.set(f, on);
    return { close: () => void this.watchers.delete(f) };
  }
  set(f: string, t: string | undefined) {
    if (t === undefined) this.text.delete(f);
    else this.text.set(f, t);
    this.watchers.get(f)?.();
  }
}

class FakeProcs implements ProcessIO {
  readonly procs = new Map<number, ProcInfo>();
  onEvent?: Parameters<ProcessIO['subscribe']>[0];
  available = true;
  scans = 0;
  pids() {
    this.scans++;
    return [...this.procs.keys()];
  }
  info(pid: number) {
    return this.procs.get(pid);
  }
  subscribe(on: Parameters<ProcessIO['subscribe']>[0]) {
    if (!this.available) throw new Error('sendto: Connection refused');
    this.onEvent = on;
    queueMicrotask(() => on({ type: 'ack', err: 0 }));
    return { close: () => (this.onEvent = undefined) };
  }
  start(pid: number, comm: string, argv = [comm]) {
    this.procs.set(pid, { comm, argv });
    this.onEvent?.({ type: 'exec', pid });
  }
  stop(pid: number) {
    this.procs.delete(pid);
    this.onEvent?.({ type: 'exit', pid, code: 0, signal: 17 });
  }
}

function engine(config: Config, extra: { files?: FakeFiles; procs?: FakeProcs } = {}) {
  const clock = new FakeClock();
  const net = new FakeNet(new FakeLan(), '198.51.100.2', clock);
  const carriers = new Map<string, boolean>();
  const e = new VrrpEngine(config, {
    net,
    clock,
    scripts: { run: async () => 0 },
    log: () => {},
    carrier: (i) => carriers.get(i) ?? true,
    ...extra,
  });
  e.start();
  const st = (name: string) => e.status().find((s) => s.name === name)!;
  return { e, clock, net, carriers, st };
}

describe('trackers: keepalived 2.2.7 weights', () => {
  const file = (value: number, weight: number, reverse = false): Tracker => ({
    name: 'f',
    kind: 'file',
    ok: true,
    value,
    weight,
    reverse,
  });

  it('a track file adds value*weight (reverse negates), clamped to [-254, 253]; -254 is FAULT', () => {
    assert.deepEqual(contribution(file(5, 2)), { fault: false, delta: 10 });
    assert.deepEqual(contribution(file(5, 2, true)), { fault: false, delta: -10 });
    assert.deepEqual(contribution(file(-3, 10)), { fault: false, delta: -30 });
    assert.deepEqual(contribution(file(1000, 1)), { fault: false, delta: 253 });
    assert.deepEqual(contribution(file(-253, 1)), { fault: false, delta: -253 });
    assert.deepEqual(contribution(file(-254, 1)), { fault: true, delta: 0 });
    assert.deepEqual(contribution(file(127, -2)), { fault: true, delta: 0 });
  });

  it('weight 0: a non-zero value is FAULT; reversed, zero is', () => {
    assert.equal(contribution(file(0, 0)).fault, false);
    assert.equal(contribution(file(7, 0)).fault, true);
    assert.equal(contribution(file(0, 0, true)).fault, true);
    assert.equal(contribution(file(-1, 0, true)).fault, false);
  });

  it('reads the file as C strtol base 0 does', () => {
    const cases: [string | undefined, number | undefined][] = [
      [undefined, 0],
      ['', 0],
      ['  42\n', 42],
      ['-7', -7],
      ['+3x', 3],
      ['0x1F', 31],
      ['010', 8],
      ['08', 0],
      ['abc', 0],
      ['2147483648', 2147483648],
      ['2147483649', undefined],
      ['-2147483649', undefined],
    ];
    for (const [text, want] of cases) assert.equal(parseTrackValue(text), want, String(text));
  });

  it('init_file: written when missing, over an existing regular file only with overwrite, never on reload', () => {
    const f = { init_file: { value: 5, overwrite: false } };
    const o = { init_file: { value: -2, overwrite: true } };
    assert.equal(initialFileWrite(f, 'no', false), '5\n');
    assert.equal(initialFileWrite(f, 'regular', false), undefined);
    assert.equal(initialFileWrite(o, 'regular', false), '-2\n');
    assert.equal(initialFileWrite(o, 'regular', true), undefined);
    assert.equal(initialFileWrite(o, 'other', false), undefined);
    assert.equal(initialFileWrite({ init_file: undefined }, 'no', false), undefined);
  });

  it('sync groups: members take the group trackers; weighted member trackers lose their weight or go', () => {
    const c = cfg(
      'vrrp_script s {\n script /bin/true\n weight 10\n}\n' +
        'track_file f {\n file /run/f\n}\ntrack_file g {\n file /run/g\n weight 5\n}\n' +
        vi(
          'A',
          1,
          ' track_script {\n  s\n }\n track_interface {\n  eth1 weight 20\n }\n track_file {\n  f\n  g\n }',
        ) +
        vi('B', 2, '') +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n track_interface {\n  eth2 weight -5\n }\n}\n',
    );
    const a = trackersFor(c.vrrp_instance[0], c, { linkUp: () => true });
    assert.deepEqual(
      a.map((t) => [t.kind, t.name, t.weight, t.group]),
      [
        ['interface', 'eth1', 0, undefined], // weight cleared
        ['file', 'f', 0, undefined], // default weight 1 -> 0; g (weight 5) and the script dropped
        ['interface', 'eth2', -5, 'G'],
        ['interface', 'eth0', 0, undefined],
      ],
    );
    const b = trackersFor(c.vrrp_instance[1], c, { linkUp: () => true });
    assert.deepEqual(
      b.map((t) => [t.name, t.weight, t.group]),
      [
        ['eth2', -5, 'G'],
        ['eth0', 0, undefined],
      ],
    );
    // with sync_group_tracking_weight the member keeps its weights
    const w = cfg(
      'track_file f {\n file /run/f\n}\n' +
        vi('A', 1, ' track_file {\n  f weight 3\n }') +
        vi('B', 2, '') +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n sync_group_tracking_weight\n}\n',
    );
    assert.equal(trackersFor(w.vrrp_instance[0], w, { linkUp: () => true })[0].weight, 3);
  });

  it('an address owner keeps only unweighted trackers; a group with an owner applies its own unweighted', () => {
    const c = cfg(
      vi('A', 1, ' track_interface {\n  eth1 weight 20\n  eth3\n }', 255) +
        vi('B', 2, '') +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n track_interface {\n  eth2 weight -5\n }\n}\n',
    );
    const b = trackersFor(c.vrrp_instance[1], c, { linkUp: () => true });
    assert.deepEqual(b[0], {
      name: 'eth2',
      kind: 'interface',
      weight: 0,
      reverse: false,
      ok: true,
      group: 'G',
    });
    const a = trackersFor(c.vrrp_instance[0], c, { linkUp: () => true });
    assert.deepEqual(
      a.map((t) => [t.name, t.weight]),
      [
        ['eth3', 0],
        ['eth2', 0],
        ['eth0', 0],
      ],
    );
  });
});

describe('trackers: track_file in the engine', () => {
  it('starts from the value in the file, follows every change, FAULT at -254, deletion reads 0', () => {
    const files = new FakeFiles();
    files.text.set('/run/tf', '5\n');
    const c = cfg(
      'track_file tf {\n file /run/tf\n weight 2\n}\n' + vi('A', 1, ' track_file {\n  tf\n }'),
    );
    const { st } = engine(c, { files });
    assert.equal(st('A').priority, 110);
    files.set('/run/tf', '-20');
    assert.equal(st('A').priority, 60);
    files.set('/run/tf', '-127');
    assert.equal(st('A').state, 'FAULT');
    files.set('/run/tf', undefined);
    assert.equal(st('A').state, 'BACKUP');
    assert.equal(st('A').priority, 100);
    assert.deepEqual(
      st('A').trackers.find((t) => t.kind === 'file'),
      { name: 'tf', kind: 'file', ok: true, weight: 2, value: 0 },
    );
  });

  it('init_file creates the file before the first reading; weight 0 reverse is FAULT at zero', () => {
    const files = new FakeFiles();
    const c = cfg(
      'track_file tf {\n file /run/tf\n weight 0 reverse\n init_file 3\n}\n' +
        vi('A', 1, ' track_file {\n  tf\n }'),
    );
    const { st } = engine(c, { files });
    assert.equal(files.text.get('/run/tf'), '3\n');
    assert.equal(st('A').state, 'BACKUP');
    files.set('/run/tf', '0');
    assert.equal(st('A').state, 'FAULT');
  });
});

describe('trackers: vrrp_track_process', () => {
  const spec = (over: object = {}) => ({
    name: 'p',
    process: { path: 'nginx', params: [] as string[] },
    param_match: undefined,
    full_command: false,
    quorum: 1,
    quorum_max: undefined,
    fork_delay: undefined,
    terminate_delay: undefined,
    ...over,
  });

  it('matches the name exactly, or the command line with param_match exact / partial / initial', () => {
    assert.equal(matches(spec(), { comm: 'nginx' }), true);
    assert.equal(matches(spec(), { comm: 'nginx2' }), false);
    const cmd = (m: 'exact' | 'partial' | 'initial', params: string[]) =>
      spec({ process: { path: '/usr/sbin/nginx', params }, param_match: m, full_command: true });
    const p = { comm: 'nginx', argv: ['/usr/sbin/nginx', '-c', '/etc/nginx.conf'] };
    assert.equal(matches(cmd('exact', ['-c', '/etc/nginx.conf']), p), true);
    assert.equal(matches(cmd('exact', ['-c']), p), false);
    assert.equal(matches(cmd('partial', ['-c']), p), true);
    assert.equal(matches(cmd('initial', ['-c', '/etc/ng']), p), true);
    assert.equal(matches(cmd('initial', ['-c', '/etc/x']), p), false);
    assert.equal(matches(cmd('exact', []), { comm: 'nginx', argv: ['/usr/sbin/nginx'] }), true);
    assert.equal(
      matches(spec({ full_command: true }), { comm: 'nginx', argv: ['nginx', 'x'] }),
      true,
    );
  });

  it('counts forks, execs, name changes and exits against quorum and quorum_max', () => {
    const clock = new FakeClock();
    const src = new FakeProcs();
    src.procs.set(10, { comm: 'nginx' });
    const seen: [string, boolean][] = [];
    const m = new ProcessMonitor([spec({ quorum: 2, quorum_max: 3 })], src, clock, (n, up) =>
      seen.push([n, up]),
    );
    assert.equal(m.isUp('p'), false);
    m.handle({ type: 'fork', parent: 10, child: 11 });
    assert.deepEqual(seen, [['p', true]]);
    m.handle({ type: 'fork', parent: 10, child: 12 });
    m.handle({ type: 'fork', parent: 10, child: 13 });
    assert.deepEqual(seen.at(-1), ['p', false], 'over quorum_max');
    src.procs.set(13, { comm: 'bash' });
    m.handle({ type: 'exec', pid: 13 });
    assert.deepEqual(seen.at(-1), ['p', true]);
    m.handle({ type: 'comm', pid: 12, comm: 'worker' });
    assert.equal(m.processes('p'), 2);
    m.handle({ type: 'exit', pid: 11 });
    assert.deepEqual(seen.at(-1), ['p', false]);
    m.handle({ type: 'exit', pid: 999 });
    assert.equal(seen.length, 4);
  });

  it('fork_delay and terminate_delay hold a change back; a bounce within the delay is no change', () => {
    const clock = new FakeClock();
    const src = new FakeProcs();
    src.procs.set(10, { comm: 'nginx' });
    const seen: boolean[] = [];
    const m = new ProcessMonitor(
      [spec({ fork_delay: 0.5, terminate_delay: 2 })],
      src,
      clock,
      (_n, up) => seen.push(up),
    );
    assert.equal(m.isUp('p'), true);
    m.handle({ type: 'exit', pid: 10 });
    clock.advance(1000);
    src.procs.set(20, { comm: 'nginx' });
    m.handle({ type: 'exec', pid: 20 }); // restarted within terminate_delay
    clock.advance(5000);
    assert.deepEqual(seen, []);
    m.handle({ type: 'exit', pid: 20 });
    clock.advance(1999);
    assert.deepEqual(seen, []);
    clock.advance(1);
    assert.deepEqual(seen, [false]);
  });

  it('in the engine: quorum lost = FAULT (weight 0), weights move the priority; a scan where events are unavailable', async () => {
    const procs = new FakeProcs();
    procs.procs.set(5, { comm: 'haproxy' });
    const c = cfg(
      'vrrp_track_process hp {\n process haproxy\n}\nvrrp_track_process ng {\n process nginx\n weight 10\n}\n' +
        vi('A', 1, ' track_process {\n  hp\n  ng\n }'),
    );
    const { st, clock } = engine(c, { procs });
    assert.deepEqual([st('A').state, st('A').priority], ['BACKUP', 100]);
    procs.start(6, 'nginx');
    assert.equal(st('A').priority, 110);
    procs.stop(5);
    assert.equal(st('A').state, 'FAULT');
    await Promise.resolve();
    clock.advance(5000);
    const scans = procs.scans;
    assert.equal(scans, 1, 'one /proc scan at start, then events only');

    const fallback = new FakeProcs();
    fallback.available = false;
    const f = engine(c, { procs: fallback });
    assert.equal(f.st('A').state, 'FAULT');
    fallback.procs.set(7, { comm: 'haproxy' });
    f.clock.advance(999);
    assert.equal(f.st('A').state, 'FAULT');
    f.clock.advance(1);
    assert.equal(f.st('A').state, 'BACKUP', 'seen by the 1 s rescan');
  });
});

describe('the process events connector (cn_proc) codec', () => {
  it('builds the listen request keepalived sends', () => {
    const b = listenRequest(1234);
    assert.equal(b.length, 40);
    assert.equal(b.readUInt32LE(0), 40);
    assert.equal(b.readUInt16LE(4), 3); // NLMSG_DONE
    assert.equal(b.readUInt32LE(12), 1234);
    assert.deepEqual([b.readUInt32LE(16), b.readUInt32LE(20), b.readUInt16LE(32)], [1, 1, 4]);
    assert.equal(b.readUInt32LE(36), 1); // PROC_CN_MCAST_LISTEN
  });

  it('decodes fork, exec, comm and exit; skips threads, other events and other connectors', () => {
    const msgs = Buffer.concat([
      encodeProcEvent(PROC_EVENT.NONE, [0]),
      encodeProcEvent(PROC_EVENT.FORK, [100, 100, 200, 200]),
      encodeProcEvent(PROC_EVENT.FORK, [100, 100, 201, 200]), // a thread
      encodeProcEvent(PROC_EVENT.EXEC, [200, 200]),
      encodeProcEvent(PROC_EVENT.COMM, [200, 200], 'worker-process-long'),
      encodeProcEvent(PROC_EVENT.UID, [200, 200, 0, 0]),
      encodeProcEvent(PROC_EVENT.EXIT, [200, 200, 256, 17]),
      encodeProcEvent(PROC_EVENT.EXIT, [201, 200, 0, 0]),
      encodeProcEvent(PROC_EVENT.EXEC, [300, 300], undefined, 7),
    ]);
    assert.deepEqual(decodeProcEvents(msgs), [
      { type: 'ack', err: 0 },
      { type: 'fork', parent: 100, child: 200 },
      { type: 'exec', pid: 200 },
      { type: 'comm', pid: 200, comm: 'worker-process-' },
      { type: 'exit', pid: 200, code: 256, signal: 17 },
    ]);
    assert.deepEqual(decodeProcEvents(Buffer.alloc(10)), []);
  });
});

describe('trackers: linkbeat_use_polling', () => {
  it('polls the carrier every second instead of waiting for link events', () => {
    const c = cfg(vi('A', 1, ' linkbeat_use_polling\n track_interface {\n  eth1 weight -20\n }'));
    const { st, clock, carriers, net } = engine(c);
    assert.equal(net.linkWatcherCount, 1, 'eth1 still follows link events');
    carriers.set('eth0', false);
    clock.advance(999);
    assert.equal(st('A').state, 'BACKUP');
    clock.advance(1);
    assert.equal(st('A').state, 'FAULT');
    net.setLink('eth1', false);
    carriers.set('eth0', true);
    clock.advance(1000);
    assert.deepEqual([st('A').state, st('A').priority], ['BACKUP', 80]);
  });

  it('global linkbeat_use_polling: no link events at all', () => {
    const c = cfg('global_defs {\n linkbeat_use_polling\n}\n' + vi('A', 1, ''));
    const { net, carriers, clock, st } = engine(c);
    assert.equal(net.linkWatcherCount, 0);
    carriers.set('eth0', false);
    clock.advance(1000);
    assert.equal(st('A').state, 'FAULT');
  });
});
