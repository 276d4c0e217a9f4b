// keepalived's notify events from the engine (MASTER_RX_LOWER_PRI, priority
// changes, deletion at reload) on the fake LAN, and how the main thread's
// Notifier turns them into FIFO lines and scripts.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseText } from '../../../daemon/config/index';
import { parseUmask } from '../../../daemon/config/keywords/umask';
import { eventFifoLine, notifiesPriority, Notifier } from '../../../daemon/control/notify';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import type { InstanceEvent, Transition } from '../../../daemon/vrrp/status';
import { FakeClock, FakeLan, FakeNet } from './fakes';

const text = (prio: number, extra = '', global = '') =>
  `global_defs {\n${global}\n}\nvrrp_script chk {\n script "/bin/chk"\n interval 1\n weight -30\n}\n` +
  `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority ${prio}\n advert_int 1\n` +
  ` virtual_ipaddress {\n  198.51.100.10/24\n }\n${extra}\n}\n`;

function node(
  lan: FakeLan,
  clock: FakeClock,
  ip: string,
  conf: string,
  scripts: Record<string, number>,
) {
  const net = new FakeNet(lan, ip, clock);
  const events: InstanceEvent[] = [];
  const transitions: Transition[] = [];
  const engine = new VrrpEngine(parseText(conf).config, {
    net,
    clock,
    scripts: { run: async (argv) => scripts[argv.join(' ')] ?? 0 },
    log: () => {},
    onTransition: (t) => transitions.push(t),
    onEvent: (e) => events.push(e),
  });
  return { net, engine, events, transitions };
}

describe('notify events (keepalived vrrp_notify.c)', () => {
  it('a master hearing a lower priority reports MASTER_RX_LOWER_PRI with its own priority; a backup never does', async () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const a = node(lan, clock, '198.51.100.11', text(100), {});
    const b = node(lan, clock, '198.51.100.12', text(50), {});
    a.engine.start();
    b.engine.start();
    clock.advance(10_000);
    assert.equal(a.events.length, 0);
    a.net.cut = true; // partition: b takes over too
    clock.advance(5000);
    a.net.cut = false;
    clock.advance(1000);
    const rx = a.events.filter((e) => e.kind === 'master_rx_lower_pri');
    assert.ok(rx.length >= 1);
    assert.deepEqual(rx[0], {
      kind: 'master_rx_lower_pri',
      instance: 'VI_1',
      priority: 100,
      from: '198.51.100.12',
      theirs: 50,
    });
    assert.ok(!b.events.some((e) => e.kind === 'master_rx_lower_pri'));
  });

  it('reports a change of effective priority with the state it happened in', async () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const scripts: Record<string, number> = {};
    const a = node(lan, clock, '198.51.100.11', text(100, ' track_script {\n  chk\n }'), scripts);
    a.engine.start();
    clock.advance(5000);
    await new Promise((r) => setImmediate(r));
    assert.equal(a.events.length, 0);
    scripts['/bin/chk'] = 1;
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(a.events, [
      { kind: 'priority', instance: 'VI_1', state: 'MASTER', priority: 70, previous: 100 },
    ]);
  });

  it('a reload that removes an instance stops it with cause "deleted"', () => {
    const clock = new FakeClock();
    const a = node(new FakeLan(), clock, '198.51.100.11', text(100), {});
    a.engine.start();
    clock.advance(5000);
    a.engine.reload(parseText('global_defs {\n}\n').config);
    assert.deepEqual(a.transitions.map((t) => [t.from, t.to, t.cause]).slice(-1), [
      ['MASTER', 'INIT', 'deleted'],
    ]);
  });
});

describe('notify events: FIFO lines and scripts', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kts-nev-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('formats keepalived lines: MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY', () => {
    const e = { instance: 'VI_1', priority: 70 };
    assert.equal(
      eventFifoLine({ ...e, kind: 'master_rx_lower_pri', from: 'x', theirs: 50 }),
      'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 70\n',
    );
    assert.equal(
      eventFifoLine({ ...e, kind: 'priority', state: 'MASTER', previous: 100 }),
      'INSTANCE "VI_1" MASTER_PRIORITY 70\n',
    );
    for (const state of ['BACKUP', 'FAULT', 'INIT'] as const)
      assert.equal(
        eventFifoLine({ ...e, kind: 'priority', state, previous: 100 }),
        'INSTANCE "VI_1" BACKUP_PRIORITY 70\n',
      );
  });

  it('notify_priority_changes: the instance, else its sync group, else global (default off)', () => {
    const cfg = (g: string, sg: string, vi: string) =>
      parseText(
        `global_defs {\n${g}\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n${sg}\n}\n` +
          `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n${vi}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
      ).config;
    const on = (g: string, sg: string, vi: string) => {
      const c = cfg(g, sg, vi);
      return notifiesPriority(c, c.vrrp_instance[0]);
    };
    assert.equal(on('', '', ''), false);
    assert.equal(on('vrrp_notify_priority_changes', '', ''), true);
    assert.equal(on('vrrp_notify_priority_changes', 'notify_priority_changes false', ''), false);
    assert.equal(on('', 'notify_priority_changes', 'notify_priority_changes no'), false);
    assert.equal(on('vrrp_notify_priority_changes no', '', 'notify_priority_changes'), true);
  });

  const setup = (extra: string, global = '') => {
    const log = path.join(dir, 'log');
    const script = path.join(dir, 'n.sh');
    writeFileSync(script, `#!/bin/sh\necho "$*" >> ${log}\n`);
    chmodSync(script, 0o755);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, 'r+');
    const cfg = parseText(
      `global_defs {\n notify_fifo ${fifo}\n${global}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n` +
        extra.replaceAll('SCRIPT', script) +
        '\n}\n',
    ).config;
    const read = () => {
      const buf = Buffer.alloc(500);
      return buf.subarray(0, readSync(reader, buf)).toString();
    };
    return { cfg, read, lines: () => readFileSync(log, 'utf8').trim().split('\n') };
  };

  it('runs notify_master_rx_lower_pri without arguments and writes its line; priority lines only when asked', async () => {
    const s = setup(' notify_master_rx_lower_pri "SCRIPT rx"\n notify_priority_changes');
    const n = new Notifier(s.cfg, () => {});
    await n.onEvent({
      kind: 'priority',
      instance: 'VI_1',
      state: 'BACKUP',
      priority: 90,
      previous: 100,
    });
    await n.onEvent({
      kind: 'master_rx_lower_pri',
      instance: 'VI_1',
      priority: 90,
      from: 'x',
      theirs: 50,
    });
    assert.deepEqual(s.lines(), ['rx']);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(
      s.read(),
      'INSTANCE "VI_1" BACKUP_PRIORITY 90\nINSTANCE "VI_1" MASTER_RX_LOWER_PRI 90\n',
    );
    await n.close();
  });

  const deleted = (from: Transition['from']): Transition => ({
    instance: 'VI_1',
    from,
    to: 'INIT',
    cause: 'deleted',
    priority: 100,
    at: 0,
    wallTime: 0,
  });
  const empty = (c: ReturnType<typeof parseText>['config']) => ({ ...c, vrrp_instance: [] });

  it('an instance removed by a reload: FAULT to notify_fault and notify by default (keepalived compatibility)', async () => {
    const s = setup(' notify_fault "SCRIPT fault"\n notify_stop "SCRIPT stop"\n notify SCRIPT');
    const n = new Notifier(s.cfg, () => {});
    n.setConfig(empty(s.cfg));
    await n.onTransition(deleted('MASTER'));
    assert.deepEqual(s.lines(), ['fault', 'INSTANCE VI_1 FAULT 100']);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.read(), 'INSTANCE "VI_1" FAULT 100\n');
    await n.close();
  });

  it('notify_deleted: DELETED and its script, even from FAULT', async () => {
    const s = setup(
      ' notify_deleted "SCRIPT deleted"\n notify_fault "SCRIPT fault"\n notify SCRIPT',
    );
    const n = new Notifier(s.cfg, () => {});
    n.setConfig(empty(s.cfg));
    await n.onTransition(deleted('FAULT'));
    assert.deepEqual(s.lines(), ['deleted', 'INSTANCE VI_1 DELETED 100']);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.read(), 'INSTANCE "VI_1" DELETED 100\n');
    await n.close();
  });

  it('fifo_write_vrrp_states_on_reload: kept BACKUP and FAULT instances (not MASTER, as keepalived 2.2.7)', async () => {
    const s = setup('', 'fifo_write_vrrp_states_on_reload');
    const n = new Notifier(s.cfg, () => {});
    n.onReloaded([
      { name: 'VI_1', state: 'BACKUP', priority: 100 },
      { name: 'VI_2', state: 'MASTER', priority: 100 },
      { name: 'VI_3', state: 'FAULT', priority: 90 },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.read(), 'INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_3" FAULT 90\n');
    await n.close();
  });
});

describe('notify FIFOs across a reload', () => {
  it('a reload that changes the FIFO closes the old one (removing it: it was created) and writes to the new one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kts-nfr-'));
    try {
      const cfg = (fifo: string) =>
        parseText(
          `global_defs {\n notify_fifo ${fifo}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
        ).config;
      const a = path.join(dir, 'a');
      const b = path.join(dir, 'b');
      const n = new Notifier(cfg(a), () => {});
      assert.ok(existsSync(a), 'created at start');
      n.setConfig(cfg(b));
      n.onReloaded([]);
      await n.onEvent({
        kind: 'master_rx_lower_pri',
        instance: 'VI_1',
        priority: 9,
        from: 'x',
        theirs: 1,
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(!existsSync(a), 'the old FIFO is gone');
      const fd = openSync(b, 'r+');
      const buf = Buffer.alloc(100);
      assert.equal(
        buf.subarray(0, readSync(fd, buf)).toString(),
        'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 9\n',
      );
      closeSync(fd);
      await n.close();
      assert.ok(!existsSync(b));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('global umask (keepalived global_parser.c)', () => {
  it('reads numbers in C base-0 notation and |-joined bits', () => {
    assert.equal(parseUmask(['022']), 0o22);
    assert.equal(parseUmask(['0x12']), 0o22);
    assert.equal(parseUmask(['18']), 0o22);
    assert.equal(parseUmask(['0']), 0);
    assert.equal(parseUmask(['IWGRP|IWOTH']), 0o22);
    assert.equal(parseUmask(['IWGRP', '|', 'IWOTH']), 0o22);
    assert.equal(parseUmask(['IRWXU']), 'Unknown umask bit IRWXU');
    assert.equal(parseUmask(['01000']), 'invalid umask value 01000');
    assert.equal(parseUmask(['089']), 'invalid umask value 089');
    assert.equal(parseUmask(['IWGRP|']), 'umask missing bit value');
    assert.equal(parseUmask(['022', 'x']), 'Extra parameter(s) to umask option');
    assert.equal(
      parseText('global_defs {\n umask IWGRP|IWOTH|IROTH\n}\n').config.global_defs.umask,
      0o26,
    );
  });
});
