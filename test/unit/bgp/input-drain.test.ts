// The announcement's input from checker states, and the persisted drain.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decideAnnouncement } from '../../../daemon/bgp/announce';
import { decodeDrain, DrainStore, drainedValue, encodeDrain } from '../../../daemon/bgp/drain';
import { announceInput, serviceHealth } from '../../../daemon/bgp/input';

describe('active-active: announcement input', () => {
  it('counts real servers that are up with a weight above 0; a lost quorum serves nothing', () => {
    const servers = [
      { up: true, weight: 1 },
      { up: true, weight: 0 },
      { up: false, weight: 5 },
    ];
    assert.deepEqual(serviceHealth({ id: 'a', quorumUp: true, servers }), {
      name: 'a',
      alive: 1,
      total: 3,
    });
    assert.deepEqual(serviceHealth({ id: 'a', quorumUp: false, servers }), {
      name: 'a',
      alive: 0,
      total: 3,
    });
  });

  it('names trackers by kind and applies the policy', () => {
    const services = [
      { id: 'web', quorumUp: true, servers: [{ up: true, weight: 1 }] },
      { id: 'dns', quorumUp: true, servers: [{ up: false, weight: 1 }] },
    ];
    const trackers = [
      { kind: 'script' as const, name: 'chk', ok: true },
      { kind: 'interface' as const, name: 'lan0', ok: false },
    ];
    const any = announceInput(services, trackers, false, 'any-service-down');
    assert.deepEqual(any.trackers, [
      { name: 'script chk', ok: true },
      { name: 'interface lan0', ok: false },
    ]);
    assert.deepEqual(decideAnnouncement(any).causes, [
      'tracker interface lan0 failing',
      'dns: all 1 real servers down',
    ]);
    const all = announceInput(services, [], false, 'all-services-down');
    assert.equal(decideAnnouncement(all).announce, true);
    assert.equal(decideAnnouncement(any).announce, false);
  });
});

describe('active-active: the persisted drain', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'drain-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('encodes reason and time; decodes what it wrote, and anything else as drained', () => {
    const text = encodeDrain('kernel upgrade', Date.UTC(2026, 11, 3, 10, 0, 0));
    assert.equal(text, '{"reason":"kernel upgrade","since":"2026-12-03T10:00:00.000Z"}\n');
    assert.deepEqual(decodeDrain(text), {
      drained: true,
      reason: 'kernel upgrade',
      since: '2026-12-03T10:00:00.000Z',
    });
    assert.deepEqual(decodeDrain(undefined), { drained: false });
    assert.equal(decodeDrain('maintenance\n').drained, true);
    assert.equal(drainedValue(decodeDrain(encodeDrain(undefined, 0))), true);
    assert.equal(drainedValue({ drained: false }), false);
    assert.equal(encodeDrain('x'.repeat(500), 0).length < 260, true);
  });

  it('a restarted daemon stays drained until undrain; the directory is created', () => {
    const file = path.join(dir, 'state/drained');
    const now = () => Date.UTC(2026, 11, 3, 11, 0, 0);
    const a = new DrainStore(file, now);
    assert.equal(a.current.drained, false);
    a.drain('swap disk');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).reason, 'swap disk');
    const restarted = new DrainStore(file, now);
    assert.deepEqual(restarted.current, {
      drained: true,
      reason: 'swap disk',
      since: '2026-12-03T11:00:00.000Z',
    });
    restarted.undrain();
    assert.equal(existsSync(file), false);
    assert.equal(new DrainStore(file, now).current.drained, false);
    restarted.undrain(); // twice is fine
  });

  it('a file someone else put there drains', () => {
    const file = path.join(dir, 'drained');
    writeFileSync(file, '');
    assert.deepEqual(new DrainStore(file).current, {
      drained: true,
      reason: 'drain file present (not readable as keepalive-ts wrote it)',
    });
  });
});
