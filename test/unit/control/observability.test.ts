// Metrics, the event stream, JSON logs and systemd notifications, without a network.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventLog } from '../../../daemon/control/events';
import { formatLogLine } from '../../../daemon/control/log';
import { buildRegistry } from '../../../daemon/control/metrics';
import { sdNotify, sockaddrUn, watchdogIntervalMs } from '../../../daemon/system/sdnotify';
import { followEvents, serveControl } from '../../../daemon/control/socket';
import { native } from '../../../daemon/net/native';
import type { DaemonStatus } from '../../../daemon/control/status';

const ROOT = path.resolve(__dirname, '../../../..');

/** a unix datagram socket standing in for systemd's NOTIFY_SOCKET */
function fakeNotifySocket(file: string) {
  const n = native();
  const fd = n.socket(1, 2, 0);
  n.bind(fd, sockaddrUn(file));
  const buf = Buffer.alloc(4096);
  return {
    next: (timeoutMs = 5000) => {
      const len = n.recv(fd, buf, timeoutMs);
      return len < 0 ? undefined : buf.subarray(0, len).toString();
    },
    close: () => n.close(fd),
  };
}

describe('observability', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kts-obs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('streams events in order over the control socket: a burst of 1,000 real-server flaps, none lost', async () => {
    const events = new EventLog();
    const sock = path.join(dir, 'c.sock');
    const srv = serveControl(sock, async () => ({}), events);
    await new Promise((r) => srv.once('listening', r));
    const got: { seq: number; up: boolean }[] = [];
    const follow = followEvents(sock, true, (l) => got.push(JSON.parse(l)));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 1000; i++) {
      events.emit({
        kind: 'real_server',
        virtualServer: 'TCP 198.51.100.10:80',
        realServer: '198.51.100.21:80',
        up: i % 2 === 1,
        reason: 'flap',
        wallTime: Date.now(),
      });
    }
    for (let i = 0; i < 100 && got.length < 1000; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 1000);
    assert.deepEqual(
      got.map((e) => e.seq),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    assert.ok(got.every((e, i) => e.up === (i % 2 === 1)));
    // a late reader gets the backlog after a sequence number
    const late: { seq: number }[] = [];
    await followEvents(sock, false, (l) => late.push(JSON.parse(l)), 990);
    assert.deepEqual(
      late.map((e) => e.seq),
      [991, 992, 993, 994, 995, 996, 997, 998, 999, 1000],
    );
    srv.close();
    await follow;
  });

  it('exposes Prometheus metrics from the status', async () => {
    const st = {
      pid: 1,
      config: '/x',
      startedAt: '',
      reloads: 0,
      instances: [
        {
          name: 'VI_1',
          state: 'MASTER',
          vrid: 51,
          interface: 'lan0',
          version: 2,
          priority: 150,
          configuredPriority: 150,
          vips: [],
          counters: {
            advertsSent: 7,
            advertsReceived: 3,
            drops: { ttl: 2, auth: 1 },
            lateAdverts: 0,
            masterDownFired: 1,
            transitions: 2,
            lowerPriorityMasterSeen: 0,
            otherMasterSeen: 0,
            addressMismatch: 0,
          },
          trackers: [{ name: '198.51.100.1', kind: 'reference', ok: true, weight: 0 }],
          paths: [{ name: 'lan0', rx: 3, lastRxAgoMs: 100, up: true }],
          fencing: { runs: 1, failures: 0 },
        },
      ],
      virtualServers: [
        {
          id: 'TCP 198.51.100.10:80',
          quorumUp: true,
          sorry: false,
          servers: [
            {
              address: '198.51.100.21',
              port: 80,
              up: false,
              weight: 1,
              inService: false,
              sinceMs: 2500,
              checks: [],
            },
          ],
        },
      ],
      dataplane: { backend: 'nftables', errors: 0 },
      checks: { checks: 42, applies: 3, lastApplyMs: 5, maxApplyMs: 9, applyErrors: 0 },
      loop: { mainP99Ms: 1, mainMaxMs: 2 },
      bgp: {
        announced: false,
        reason: 'withdraw: drained: disk swap',
        causes: ['drained: disk swap'],
        drained: 'disk swap',
        protocol: 'vip_announce',
        protocolState: 'down',
        sessions: ['upstream: up Established'],
        changes: { announce: 3, withdraw: 2 },
      },
    } as unknown as DaemonStatus;
    const m = buildRegistry({
      status: async () => st,
      transitions: () => new Map([['VI_1\0master-down', 1]]),
    });
    const text = await m.scrape();
    for (const line of [
      'keepalive_vrrp_state{instance="VI_1",state="MASTER"} 1',
      'keepalive_vrrp_state{instance="VI_1",state="BACKUP"} 0',
      'keepalive_vrrp_priority{instance="VI_1"} 150',
      'keepalive_vrrp_adverts_sent_total{instance="VI_1"} 7',
      'keepalive_vrrp_drops_total{instance="VI_1",reason="ttl"} 2',
      'keepalive_vrrp_transitions_total{instance="VI_1",cause="master-down"} 1',
      'keepalive_vrrp_tracker_up{instance="VI_1",kind="reference",name="198.51.100.1"} 1',
      'keepalive_vrrp_fence_runs_total{instance="VI_1",result="ok"} 1',
      'keepalive_real_server_up{virtual_server="TCP 198.51.100.10:80",real_server="198.51.100.21:80"} 0',
      'keepalive_real_server_seconds_since_change{virtual_server="TCP 198.51.100.10:80",real_server="198.51.100.21:80"} 2.5',
      'keepalive_checks_total 42',
      'keepalive_bgp_announced 0',
      'keepalive_bgp_drained 1',
      'keepalive_bgp_changes_total{change="announce"} 3',
      'keepalive_bgp_changes_total{change="withdraw"} 2',
    ]) {
      assert.ok(text.includes(line), `missing: ${line}`);
    }
  });

  it('asks for watchdog pings at half of WATCHDOG_USEC, only for this process', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '10000000' }), 5000);
    assert.equal(
      watchdogIntervalMs({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: String(process.pid + 1) }),
      undefined,
    );
    assert.equal(watchdogIntervalMs({}), undefined);
  });

  it('logs JSON lines with --log-format json, journald priorities under systemd', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    assert.deepEqual(JSON.parse(formatLogLine('warn', 'x', { format: 'json', now })), {
      time: '2026-11-26T10:00:00.000Z',
      level: 'warn',
      msg: 'x',
      pid: process.pid,
    });
    assert.equal(formatLogLine('error', 'boom', { journal: true }), '<3>boom');
    assert.equal(formatLogLine('info', 'hi', { now }), '2026-11-26T10:00:00.000Z info  hi');
  });

  it('notifies systemd: READY after start, RELOADING/READY around SIGHUP, STOPPING on SIGTERM', async () => {
    const sockPath = path.join(dir, 'notify');
    const fake = fakeNotifySocket(sockPath);
    assert.equal(sdNotify('X=1', sockPath), true);
    assert.equal(fake.next(), 'X=1');
    const conf = path.join(dir, 'k.conf');
    writeFileSync(conf, 'global_defs {\n  router_id t\n}\n');
    const p = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/keepalive-ts'),
        '-f',
        conf,
        '-n',
        '--control',
        path.join(dir, 'c.sock'),
      ],
      {
        env: { ...process.env, NOTIFY_SOCKET: sockPath },
        stdio: 'ignore',
      },
    );
    try {
      assert.match(fake.next()!, /^READY=1/);
      p.kill('SIGHUP');
      assert.equal(fake.next(), 'RELOADING=1');
      assert.equal(fake.next(), 'READY=1');
      p.kill('SIGTERM');
      assert.equal(fake.next(), 'STOPPING=1');
      const code = await new Promise((r) => p.on('exit', r));
      assert.equal(code, 0);
    } finally {
      p.kill('SIGKILL');
      fake.close();
    }
  });
});
