// lvs_sync_daemon's netlink messages against bytes laid out by hand from
// include/uapi/linux/ip_vs.h (IPVS_CMD_*_DAEMON = 9..11, IPVS_CMD_ATTR_DAEMON = 3,
// IPVS_DAEMON_ATTR_* = 1..8) and libipvs's ipvs_start_daemon, and the plan.
import { strict as assert } from 'node:assert';
import { parseMessages } from '../../../daemon/net/genl';
import {
  delDaemonMessage,
  getDaemonsMessage,
  newDaemonMessage,
  parseDaemon,
  planSyncDaemons,
  resyncDecision,
  wantedRoles,
  type RunningSyncDaemon,
} from '../../../daemon/dataplane/ipvs-sync';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const h = (s: string) => s.replace(/\s+/g, '');

describe('IPVS sync daemon messages (golden bytes)', () => {
  it('NEW_DAEMON backup with only the interface and syncid (what keepalived sends by default)', () => {
    assert.equal(
      hex(newDaemonMessage(0x1c, { ifname: 'eth0', syncId: 5 }, 'backup', 7)),
      h(`34000000 1c00 0500 07000000 00000000  09 01 0000
         20000300
           08000100 02000000
           09000200 65746830 00 000000
           08000300 05000000`),
    );
  });

  it('NEW_DAEMON master with maxlen, port (host order), ttl and an IPv4 group (network order)', () => {
    assert.equal(
      hex(
        newDaemonMessage(
          0x1c,
          { ifname: 'eth1', syncId: 51, maxlen: 1472, port: 8848, ttl: 2, group: '239.1.2.3' },
          'master',
          1,
        ),
      ),
      h(`54000000 1c00 0500 01000000 00000000  09 01 0000
         40000300
           08000100 01000000
           09000200 65746831 00 000000
           08000300 33000000
           06000400 c005 0000
           06000700 9022 0000
           05000800 02 000000
           08000500 ef010203`),
    );
  });

  it('an IPv6 group goes in MCAST_GROUP6 (16 bytes)', () => {
    const m = newDaemonMessage(0x1c, { ifname: 'e', syncId: 0, group: 'ff02::1:2' }, 'backup', 1);
    assert.match(hex(m), new RegExp(h('14000600 ff020000 00000000 00000000 00010002') + '$'));
  });

  it('DEL_DAEMON names only the state; GET_DAEMON is a dump', () => {
    assert.equal(
      hex(delDaemonMessage(0x1c, 'master', 9)),
      h('20000000 1c00 0500 09000000 00000000  0a 01 0000  0c000300 08000100 01000000'),
    );
    assert.equal(
      hex(getDaemonsMessage(0x1c, 3)),
      h('14000000 1c00 0103 03000000 00000000  0b 01 0000'),
    );
  });

  it('parses a GET_DAEMON answer as the kernel writes it (every parameter)', () => {
    const reply = Buffer.from(
      h(`54000000 1c00 0200 03000000 00000000  0b 01 0000
         40000300
           08000100 02000000
           09000200 65746830 00 000000
           08000300 05000000
           06000400 c805 0000
           06000700 9022 0000
           05000800 01 000000
           08000500 e0000051`),
      'hex',
    );
    const [m] = parseMessages(reply);
    assert.deepEqual(parseDaemon(m), {
      role: 'backup',
      ifname: 'eth0',
      syncId: 5,
      maxlen: 1480,
      port: 8848,
      ttl: 1,
      group: '224.0.0.81',
    });
  });
});

describe('IPVS sync daemon plan', () => {
  const p = { ifname: 'eth0', syncId: 5 };
  const run = (role: 'master' | 'backup', extra: Partial<RunningSyncDaemon> = {}) => ({
    role,
    ifname: 'eth0',
    syncId: 5,
    maxlen: 1480,
    port: 8848,
    ttl: 1,
    group: '224.0.0.81',
    ...extra,
  });

  it('BACKUP thread always; MASTER only while the followed instance is MASTER', () => {
    assert.deepEqual(wantedRoles(undefined, true), ['backup']);
    assert.deepEqual(wantedRoles('BACKUP', true), ['backup']);
    assert.deepEqual(wantedRoles('FAULT', true), ['backup']);
    assert.deepEqual(wantedRoles('MASTER', true), ['backup', 'master']);
    // no instance named (keepalived's checker): both, always
    assert.deepEqual(wantedRoles(undefined, false), ['backup', 'master']);
  });

  it('starts what is missing, keeps what runs with the same parameters (kernel defaults count as unset)', () => {
    assert.deepEqual(planSyncDaemons([], ['backup'], p), [{ op: 'start', role: 'backup' }]);
    assert.deepEqual(planSyncDaemons([run('backup')], ['backup', 'master'], p), [
      { op: 'start', role: 'master' },
    ]);
    assert.deepEqual(planSyncDaemons([run('backup'), run('master')], ['backup', 'master'], p), []);
    // the kernel clamps maxlen (a BACKUP's to at least 1024): its report is not compared
    assert.deepEqual(
      planSyncDaemons([run('backup', { maxlen: 1024 })], ['backup'], { ...p, maxlen: 600 }),
      [],
    );
    // an explicit group, port or ttl equal to the kernel's default is the same thread
    assert.deepEqual(
      planSyncDaemons([run('backup')], ['backup'], {
        ...p,
        group: '224.0.0.81',
        port: 8848,
        ttl: 1,
      }),
      [],
    );
  });

  it("the resend rule: ours over the kernel's defaults, ours kept, an operator's left alone", () => {
    assert.equal(resyncDecision('3\t50\n', '0\n'), 'set');
    assert.equal(resyncDecision('3\t0\n', '1\n'), 'ours');
    assert.equal(resyncDecision('3\t50\n', '30\n'), 'operator');
    assert.equal(resyncDecision('2\t100\n', '0\n'), 'operator');
  });

  it('leaving MASTER stops only the MASTER thread; a changed parameter restarts; no setting stops both', () => {
    assert.deepEqual(planSyncDaemons([run('backup'), run('master')], ['backup'], p), [
      { op: 'stop', role: 'master' },
    ]);
    assert.deepEqual(planSyncDaemons([run('backup', { syncId: 7 })], ['backup'], p), [
      { op: 'stop', role: 'backup' },
      { op: 'start', role: 'backup' },
    ]);
    assert.deepEqual(planSyncDaemons([run('backup')], ['backup'], { ...p, port: 9000 }), [
      { op: 'stop', role: 'backup' },
      { op: 'start', role: 'backup' },
    ]);
    assert.deepEqual(planSyncDaemons([run('backup'), run('master')], ['backup'], undefined), [
      { op: 'stop', role: 'master' },
      { op: 'stop', role: 'backup' },
    ]);
  });
});
