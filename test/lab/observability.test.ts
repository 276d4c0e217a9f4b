// A failover as operators see it: Prometheus metrics, the event stream and
// the log agree on what happened and when.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { Lab } from '../../scripts/lab/lab';
import { BIN, holders, LabDaemon, vrrpConf } from '../../scripts/lab/daemons';
import { waitFor } from '../../scripts/lab/sys';
import { sharedLab } from './fixture';

describe('metrics, events and logs on a failover (lab)', function () {
  this.timeout(120_000);
  let lab: Lab;
  const running: LabDaemon[] = [];
  before(async () => {
    lab = await sharedLab();
  });
  after(async () => {
    for (const d of running) await d.stop().catch(() => {});
    await lab.exec('d2', ['sh', '-c', 'ip addr del 198.51.100.10/24 dev lan0 2>/dev/null; true']);
  });

  it('a failover shows up in metrics, events and logs with matching timestamps', async () => {
    const conf = (prio: number) =>
      vrrpConf({
        priority: prio,
        version: 2,
        advertInt: 1,
        global: '  metrics_listen 127.0.0.1:9650\n',
      });
    const m = new LabDaemon(lab, 'd1', 'ks', conf(150));
    const b = new LabDaemon(lab, 'd2', 'ks', conf(100));
    running.push(m, b);
    await m.start();
    await waitFor(
      'VIP on d1',
      async () => (await holders(lab, ['d1', 'd2'])).join() === 'd1',
      10_000,
      50,
    );
    await b.start();
    const scrape = async () =>
      (await lab.exec('d2', ['curl', '-s', '--max-time', '2', 'http://127.0.0.1:9650/metrics']))
        .stdout;
    await waitFor(
      'metrics up',
      async () =>
        (await scrape()).includes('keepalive_vrrp_state{instance="VI_1",state="BACKUP"} 1'),
      10_000,
      200,
    );

    const [bin, ...args] = await lab.hostArgv('d2', [
      process.execPath,
      BIN,
      'events',
      '--follow',
      '--control',
      b.control,
    ]);
    const follower = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const events: { kind: string; to?: string; time: string; seq: number }[] = [];
    let buf = '';
    follower.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    });
    try {
      await m.term();
      await waitFor(
        'MASTER event',
        () => events.some((e) => e.kind === 'instance' && e.to === 'MASTER'),
        5000,
        50,
      );
      const ev = events.find((e) => e.kind === 'instance' && e.to === 'MASTER')!;
      const metrics = await scrape();
      assert.match(metrics, /keepalive_vrrp_state\{instance="VI_1",state="MASTER"\} 1/);
      assert.match(
        metrics,
        /keepalive_vrrp_transitions_total\{instance="VI_1",cause="master-down"\} 1/,
      );
      const line = (await b.log()).split('\n').find((l) => l.includes('VI_1: BACKUP -> MASTER'))!;
      assert.ok(line, 'the log has the transition');
      const logTime = Date.parse(line.split(' ')[0]);
      assert.ok(
        Math.abs(logTime - Date.parse(ev.time)) < 1000,
        `log ${line.split(' ')[0]} vs event ${ev.time}`,
      );
      assert.ok(
        events.every((e, i) => i === 0 || e.seq > events[i - 1].seq),
        'events in order',
      );
    } finally {
      follower.kill();
    }
  });
});
