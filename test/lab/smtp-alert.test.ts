// SMTP alerts end to end: keepalive-ts in a network namespace of this test's
// own, Postfix's smtp-sink as the mail server. A lone instance goes MASTER and
// its mail arrives with keepalived's subject, sender and recipients; an
// unreachable mail server delays neither the takeover nor the adverts.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { which } from '../../scripts/lab/deps';
import { must, run, sleep, waitFor } from '../../scripts/lab/sys';

const BIN = path.resolve(__dirname, '../../../bin/keepalive-ts');
const ns = `ka-smtp${process.pid % 100000}`;

const config = (smtp: string, extra = '') => `global_defs {
  router_id LAB_SMTP
  notification_email {
    ops@example.org
    noc@example.org
  }
  notification_email_from keepalive@example.org
  ${smtp}
  vrrp_version 3
${extra}}
vrrp_instance VI_1 {
  state MASTER
  interface lan0
  virtual_router_id 51
  priority 150
  advert_int 0.1
  smtp_alert
  virtual_ipaddress {
    198.51.100.10/24
  }
}
`;

interface Daemon {
  proc: ChildProcess;
  out: () => string;
  startedAt: number;
  control: string;
}

describe('SMTP alerts (own namespace, smtp-sink)', function () {
  this.timeout(60_000);
  let dir: string;
  let sink: ChildProcess | undefined;
  const daemons: ChildProcess[] = [];

  const ex = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);

  function startDaemon(name: string, text: string): Daemon {
    const conf = path.join(dir, `${name}.conf`);
    writeFileSync(conf, text);
    const control = path.join(dir, `${name}.sock`);
    let out = '';
    const startedAt = Date.now();
    const proc = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, BIN, '-f', conf, '-n', '-l', '--control', control],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    daemons.push(proc);
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { proc, out: () => out, startedAt, control };
  }

  async function stopDaemon(d: Daemon) {
    if (d.proc.exitCode !== null) return;
    const gone = new Promise((r) => d.proc.once('exit', r));
    d.proc.kill('SIGTERM');
    await Promise.race([gone, sleep(5000)]);
    if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
  }

  async function status(d: Daemon) {
    const r = await ex(process.execPath, [BIN, 'status', '--json', '--control', d.control]);
    return JSON.parse(r.stdout) as {
      instances: {
        state: string;
        lastTransition?: { to: string; wallTime: number };
        counters: { advertsSent: number };
      }[];
    };
  }

  const masterAt = async (d: Daemon, boundMs: number) => {
    let wall: number | undefined;
    await waitFor(
      'MASTER',
      async () => {
        try {
          const s = await status(d);
          const t = s.instances[0]?.lastTransition;
          if (s.instances[0]?.state === 'MASTER' && t) wall = t.wallTime;
        } catch {
          /* control socket not up yet */
        }
        return wall !== undefined;
      },
      boundMs,
      20,
    );
    return wall!;
  };

  const mails = (sub: string) => {
    const d = path.join(dir, sub);
    return readdirSync(d).map((f) => ({
      text: readFileSync(path.join(d, f), 'utf8'),
      mtime: statSync(path.join(d, f)).mtimeMs,
    }));
  };

  before(async function () {
    if (!which('smtp-sink')) this.skip();
    dir = mkdtempSync(path.join(tmpdir(), 'kts-smtp-'));
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    await must('ip', ['-n', ns, 'addr', 'add', '198.51.100.11/24', 'dev', 'lan0']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan1', 'up']);
    // smtp-sink dumps each mail into a file of its own (strftime template + random suffix)
    await must('mkdir', ['-p', path.join(dir, 'mail')]);
    sink = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        which('smtp-sink')!,
        '-d',
        path.join(dir, 'mail', '%M.'),
        '-u',
        'root',
        '127.0.0.1:2525',
        '100',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      'smtp-sink',
      async () => (await ex('ss', ['-ltn'])).stdout.includes('127.0.0.1:2525'),
      5000,
      20,
    );
  });

  after(async () => {
    for (const p of daemons) if (p.exitCode === null) p.kill('SIGKILL');
    sink?.kill('SIGKILL');
    await sleep(100);
    await run('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a MASTER transition mails every recipient with keepalived subject, sender and body', async () => {
    // a host name: resolved when the mail is sent
    const d = startDaemon('ok', config('smtp_server localhost 2525\n  smtp_connect_timeout 5'));
    try {
      const wall = await masterAt(d, 10_000);
      let mail: { text: string; mtime: number } | undefined;
      await waitFor(
        'the MASTER mail',
        () => {
          mail = mails('mail').find((m) => m.text.includes('Entering MASTER state'));
          return mail !== undefined;
        },
        10_000,
        10,
      );
      const m = mail!.text;
      assert.match(m, /^Subject: \[LAB_SMTP\] VRRP Instance VI_1 - Entering MASTER state$/m);
      assert.match(m, /^From: keepalive@example\.org$/m);
      assert.match(m, /^To: ops@example\.org, noc@example\.org$/m);
      assert.match(m, /^X-Mail-Args: <keepalive@example\.org>$/m);
      assert.match(m, /^X-Rcpt-Args: <ops@example\.org>$/m);
      assert.match(m, /^X-Rcpt-Args: <noc@example\.org>$/m);
      assert.match(m, /=> VRRP Instance is now owning VRRP VIPs <=/);
      // the BACKUP state it started in was mailed first, as keepalived does
      assert.ok(mails('mail').some((x) => x.text.includes('Entering BACKUP state')));
      const sent = /SMTP alert sent in (\d+) ms: \S+ VRRP Instance VI_1 - Entering MASTER/.exec(
        d.out(),
      );
      console.log(
        `      transition -> mail file written: ${Math.round(mail!.mtime - wall)} ms; daemon: queued -> accepted ${sent?.[1]} ms`,
      );
      await stopDaemon(d);
      // "Stopping" leaves while the daemon stops (bounded flush after the VIPs are gone)
      await waitFor(
        'the Stopping mail',
        () => mails('mail').some((x) => x.text.includes('VI_1 - Stopping')),
        5000,
        20,
      );
    } finally {
      await stopDaemon(d);
    }
  });

  it('an unreachable smtp_server delays neither the takeover nor the adverts', async () => {
    // an address on the LAN that nobody holds: connect hangs (no ARP answer) until the timeout
    const slow = startDaemon(
      'down',
      config('smtp_server 198.51.100.99 25\n  smtp_connect_timeout 2'),
    );
    try {
      const wall = await masterAt(slow, 10_000);
      const takeover = wall - slow.startedAt;
      const before = (await status(slow)).instances[0].counters.advertsSent;
      await sleep(1000);
      const after = (await status(slow)).instances[0].counters.advertsSent;
      // advert_int 0.1: ~10 a second while a mail hangs on its connect
      assert.ok(after - before >= 9, `adverts in 1 s: ${after - before}`);
      await waitFor('the failure logged', () => /SMTP alert failed/.test(slow.out()), 10_000, 50);
      assert.equal(slow.proc.exitCode, null, 'the daemon is still running');
      // the same start without mail, for comparison
      await stopDaemon(slow);
      const plain = startDaemon('plain', config('', ''));
      const wall2 = await masterAt(plain, 10_000);
      await stopDaemon(plain);
      const takeover2 = wall2 - plain.startedAt;
      console.log(
        `      start -> MASTER: ${takeover} ms with the server unreachable, ${takeover2} ms without mail`,
      );
      // master-down interval at advert_int 0.1 is ~0.35 s; allow start-up differences
      assert.ok(takeover < takeover2 + 500, `${takeover} ms vs ${takeover2} ms`);
    } finally {
      await stopDaemon(slow);
    }
  });
});
