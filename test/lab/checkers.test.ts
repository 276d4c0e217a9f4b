// The checkers of issue 19 for real, in a network namespace of this test's
// own: SMTP_CHECK against a real Postfix smtpd (master -s with a private
// config, queue and data directory), up while it greets and answers HELO,
// down when HELO is refused (554) and when it stops; SSL_GET through the SSL
// block's client certificate to a TLS server that requires one; FILE_CHECK
// following a track_file; MISC_CHECK run as `user nobody`; rs_init_notifies
// and the checker lines on lvs_notify_fifo (its script reads them); omega's
// DOWN notifies at shutdown. Also measures SMTP_CHECK against Postfix.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { requestControl } from '../../daemon/control/socket';
import type { DaemonStatus } from '../../daemon/control/status';
import { must, run, waitFor } from '../../scripts/lab/sys';
import { testNetns, type TestNetns } from '../interop/netns-daemon';
import { makePki } from '../unit/check/test-pki';

const ROOT = path.resolve(__dirname, '../../..');
const MX = '198.51.100.25';
const TLS_RS = '198.51.100.26';
const FILE_RS = '198.51.100.27';
const POSTFIX_DAEMONS = '/usr/lib/postfix/sbin';

/** Postfix's master with a config, queue and data directory of its own, in `ns`. */
class Postfix {
  private proc?: ChildProcess;
  readonly etc: string;
  constructor(
    private readonly ns: string,
    private readonly dir: string,
  ) {
    this.etc = path.join(dir, 'etc');
    for (const d of ['etc', 'data', 'log', 'queue/pid', 'queue/private', 'queue/public'])
      mkdirSync(path.join(dir, d), { recursive: true });
    for (const d of ['data', 'log', 'queue/private', 'queue/public'])
      execOwn('chown', ['postfix', path.join(dir, d)]);
    this.configure('');
    writeFileSync(
      path.join(this.etc, 'master.cf'),
      [
        `${MX}:25 inet n - n - - smtpd`,
        'postlog unix-dgram n - n - 1 postlogd',
        'anvil unix - - n - 1 anvil',
        'proxymap unix - - n - - proxymap',
      ].join('\n') + '\n',
    );
  }

  /** main.cf: ours plus `extra` (smtpd restrictions) */
  configure(extra: string) {
    writeFileSync(
      path.join(this.etc, 'main.cf'),
      `compatibility_level = 3.6
queue_directory = ${this.dir}/queue
data_directory = ${this.dir}/data
command_directory = /usr/sbin
daemon_directory = ${POSTFIX_DAEMONS}
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = ${MX}
inet_protocols = ipv4
myhostname = mx.lab.example
mydomain = lab.example
mydestination =
smtpd_banner = $myhostname ESMTP
smtpd_peername_lookup = no
maillog_file = ${this.dir}/log/maillog
maillog_file_prefixes = ${this.dir}/log
${extra}`,
    );
  }

  private out = '';
  /** what Postfix logged (postlogd writes the file; spawn's stdout is a socket it cannot open) */
  get log() {
    const file = path.join(this.dir, 'log/maillog');
    return this.out + (existsSync(file) ? readFileSync(file, 'utf8') : '');
  }

  start() {
    this.proc = spawn(
      'ip',
      ['netns', 'exec', this.ns, `${POSTFIX_DAEMONS}/master`, '-c', this.etc, '-s'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  /** postfix reload: the master reads main.cf again and restarts its services */
  reload() {
    this.proc?.kill('SIGHUP');
  }

  async stop() {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  }
}

function execOwn(cmd: string, args: string[]) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:child_process') as typeof import('node:child_process')).execFileSync(cmd, args);
}

describe('checkers against real servers: SMTP_CHECK with Postfix, SSL client cert, FILE_CHECK, MISC_CHECK user, FIFO, omega (own namespace)', function () {
  this.timeout(90_000);
  let t: TestNetns;
  let postfix: Postfix | undefined;
  let tlsServer: ChildProcess | undefined;

  before(async function () {
    if (!existsSync(`${POSTFIX_DAEMONS}/master`)) this.skip();
    t = await testNetns('chk');
    // postfix's own processes (user postfix) walk into the queue directory
    chmodSync(t.dir, 0o755);
    await must('ip', [
      'netns',
      'exec',
      t.ns,
      'sh',
      '-c',
      `for a in ${MX} ${TLS_RS} ${FILE_RS} 198.51.100.10; do ip addr add $a/32 dev lo; done`,
    ]);
  });
  after(async () => {
    await postfix?.stop();
    tlsServer?.kill('SIGKILL');
    await t?.close();
  });

  it('marks each real server as its check says, writes the FIFO lines, and tells omega DOWN at shutdown', async () => {
    const d = t.dir;
    const f = (n: string) => path.join(d, n);
    mkdirSync(f('out'), { mode: 0o777 });
    chmodSync(f('out'), 0o777);
    const script = (name: string, body: string) => {
      writeFileSync(f(name), `#!/bin/sh\n${body}\n`);
      chmodSync(f(name), 0o755);
    };
    script('note.sh', `echo "$@" >> ${f('out/notes')}`);
    script('fifo.sh', `exec cat "$1" >> ${f('out/fifo')}`);
    script('whoami.sh', `id -u > ${f('out/misc-uid')}`);
    writeFileSync(f('tf'), '0\n');

    // a TLS server that requires a client certificate of the test CA
    const pki = makePki(d);
    const tlsJs = `const tls=require('tls'),fs=require('fs');tls.createServer({cert:fs.readFileSync(${JSON.stringify(pki.serverCert)}),key:fs.readFileSync(${JSON.stringify(pki.serverKey)}),ca:fs.readFileSync(${JSON.stringify(pki.ca)}),requestCert:true,rejectUnauthorized:true},s=>{console.log('peer '+s.getPeerCertificate().subject.CN);s.end('HTTP/1.0 200 OK\\r\\n\\r\\nok\\n')}).on('tlsClientError',e=>console.log('refused '+e.code)).listen(443,'${TLS_RS}')`;
    let tlsLog = '';
    tlsServer = spawn('ip', ['netns', 'exec', t.ns, process.execPath, '-e', tlsJs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tlsServer.stdout!.on('data', (b: Buffer) => (tlsLog += b.toString()));

    postfix = new Postfix(t.ns, f('postfix'));
    postfix.start();

    const conf = f('k.conf');
    writeFileSync(
      conf,
      `global_defs {
 lvs_backend nftables
 rs_init_notifies
 lvs_notify_fifo ${f('lvs.fifo')}
 lvs_notify_fifo_script ${f('fifo.sh')}
}
track_file tf {
 file ${f('tf')}
}
SSL {
 ca ${pki.ca}
 certificate ${pki.clientCert}
 key ${pki.clientKey}
 password "${pki.password}"
}
virtual_server 198.51.100.10 25 {
 protocol TCP
 lb_kind DR
 omega
 quorum_down "${f('note.sh')} quorum_down 25"
 real_server ${MX} 25 {
  notify_up "${f('note.sh')} up ${MX}"
  notify_down "${f('note.sh')} down ${MX}"
  SMTP_CHECK {
   helo_name lb1.lab.example
   connect_timeout 2
   retry 0
   delay_loop 0.3
   alpha
  }
 }
}
virtual_server 198.51.100.10 443 {
 protocol TCP
 lb_kind DR
 real_server ${TLS_RS} 443 {
  SSL_GET {
   url {
    path /
   }
   connect_timeout 2
   retry 0
   delay_loop 0.3
   alpha
  }
 }
}
virtual_server 198.51.100.10 80 {
 protocol TCP
 lb_kind DR
 real_server ${FILE_RS} 80 {
  weight 5
  FILE_CHECK {
   track_file tf
   weight 2
  }
  MISC_CHECK {
   misc_path ${f('whoami.sh')}
   user nobody
   delay_loop 0.3
  }
 }
}
`,
    );
    const { child, out } = t.daemon(conf);
    const status = async () =>
      (await requestControl(f('kts.sock'), { cmd: 'status' })) as DaemonStatus;
    const server = async (addr: string) =>
      (await status()).virtualServers.flatMap((v) => v.servers).find((s) => s.address === addr)!;
    const rsUp = async (addr: string) => (await server(addr).catch(() => undefined))?.up === true;
    const show = () => `daemon:\n${out()}\npostfix:\n${postfix?.log}\ntls:\n${tlsLog}`;
    try {
      // SMTP_CHECK (alpha): up once Postfix greets and accepts HELO
      await waitFor('the SMTP real server UP', () => rsUp(MX), 20_000).catch((e) => {
        throw new Error(`${(e as Error).message}\n${show()}`);
      });
      // Postfix logs each session: keepalived's dialogue is HELO then QUIT
      await waitFor('Postfix logging the session', () => /helo=1 quit=1/.test(postfix!.log), 5000);

      // SSL_GET with the SSL block's client certificate
      await waitFor('the TLS real server UP', () => rsUp(TLS_RS), 10_000).catch((e) => {
        throw new Error(`${(e as Error).message}\n${show()}`);
      });
      assert.match(tlsLog, /peer client/);

      // MISC_CHECK as nobody, FILE_CHECK weight: 5 + 0 x 2
      await waitFor('the MISC_CHECK ran', () => existsSync(f('out/misc-uid')), 10_000);
      assert.equal(readFileSync(f('out/misc-uid'), 'utf8').trim(), '65534', 'run as nobody');
      assert.equal((await server(FILE_RS)).weight, 5);
      writeFileSync(f('tf'), '3\n');
      await waitFor(
        'FILE_CHECK weight 5 + 3 x 2',
        async () => (await server(FILE_RS)).weight === 11,
        5000,
      );

      // the SMTP check's latency against Postfix, connect to verdict
      const bench = await run('ip', [
        'netns',
        'exec',
        t.ns,
        process.execPath,
        '-e',
        `const {smtpProbe}=require(${JSON.stringify(path.join(ROOT, 'dist/daemon/check/smtp-probe.js'))});(async()=>{const ms=[];for(let i=0;i<20;i++){const t0=performance.now();const r=await smtpProbe({host:'${MX}',port:25,helo:'bench.lab.example',timeoutMs:2000});if(!r.ok)throw new Error(r.reason);ms.push(performance.now()-t0)}ms.sort((a,b)=>a-b);console.log(JSON.stringify({median:ms[10],min:ms[0],max:ms[19]}))})()`,
      ]);
      assert.equal(bench.code, 0, bench.stderr);
      const lat = JSON.parse(bench.stdout) as { median: number; min: number; max: number };
      console.log(
        `      SMTP_CHECK vs Postfix (connect to verdict, 20 probes): median ${lat.median.toFixed(1)} ms, min ${lat.min.toFixed(1)}, max ${lat.max.toFixed(1)}`,
      );
      assert.ok(lat.median > 0 && lat.median < 2000);

      // Postfix refusing HELO (554): down, with the reply as the reason
      postfix.configure('smtpd_delay_reject = no\nsmtpd_helo_restrictions = reject\n');
      postfix.reload();
      await waitFor('the SMTP real server DOWN on 554', async () => !(await rsUp(MX)), 10_000);
      assert.match(
        out(),
        /real server 198\.51\.100\.25:25 DOWN \(SMTP_CHECK failed: bad HELO response "554/,
      );
      postfix.configure('');
      postfix.reload();
      await waitFor('UP again', () => rsUp(MX), 10_000);

      // Postfix stopped: down
      await postfix.stop();
      await waitFor(
        'the SMTP real server DOWN when Postfix stops',
        async () => !(await rsUp(MX)),
        10_000,
      );
      assert.match(
        out(),
        /real server 198\.51\.100\.25:25 DOWN \(SMTP_CHECK failed: .*ECONNREFUSED/,
      );
      postfix.start();
      await waitFor('UP again after the restart', () => rsUp(MX), 15_000);

      // a reload removing the TLS virtual server: its server and quorum tell DOWN
      const fifoNow = () => (existsSync(f('out/fifo')) ? readFileSync(f('out/fifo'), 'utf8') : '');
      writeFileSync(
        conf,
        readFileSync(conf, 'utf8').replace(/virtual_server 198\.51\.100\.10 443 \{[^]*?\n\}\n/, ''),
      );
      child.kill('SIGHUP');
      await waitFor(
        "the removed virtual server's DOWN lines",
        () =>
          /^RS \[198\.51\.100\.26\]:tcp:443 \[198\.51\.100\.10\]:tcp:443 DOWN\nVS \[198\.51\.100\.10\]:tcp:443 DOWN$/m.test(
            fifoNow(),
          ),
        10_000,
      );
      assert.equal((await status()).virtualServers.length, 2);
      // (a reload starts the kept checkers afresh: the alpha SMTP check comes up again)
      await waitFor('the SMTP server UP after the reload', () => rsUp(MX), 10_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(0) : child.once('exit', r)));
    }

    const fifo = readFileSync(f('out/fifo'), 'utf8');
    const notes = readFileSync(f('out/notes'), 'utf8');
    // start: rs_init_notifies lines for servers up at start (FILE_CHECK's real
    // server is; the alpha ones are not), each VS's quorum; then the changes
    assert.match(fifo, /^RS \[198\.51\.100\.27\]:tcp:80 \[198\.51\.100\.10\]:tcp:80 UP$/m, fifo);
    // the alpha servers: starting with quorum down, then gained
    assert.match(
      fifo,
      /^VS \[198\.51\.100\.10\]:tcp:25 DOWN\nVS \[198\.51\.100\.10\]:tcp:443 DOWN$/m,
    );
    assert.match(fifo, /^VS \[198\.51\.100\.10\]:tcp:25 UP$/m);
    assert.doesNotMatch(fifo, /:tcp:80 DOWN/, 'the FILE_CHECK server stayed up');
    assert.match(fifo, /^RS \[198\.51\.100\.25\]:tcp:25 \[198\.51\.100\.10\]:tcp:25 DOWN$/m);
    assert.match(fifo, /^VS \[198\.51\.100\.10\]:tcp:25 DOWN$/m);
    // omega at shutdown: the SMTP server (up again) goes DOWN last, then its quorum
    const tail = fifo.trim().split('\n').slice(-2);
    assert.deepEqual(tail, [
      'RS [198.51.100.25]:tcp:25 [198.51.100.10]:tcp:25 DOWN',
      'VS [198.51.100.10]:tcp:25 DOWN',
    ]);
    const n = notes.trim().split('\n');
    // the two scripts run side by side (keepalived: each with a one-second limit)
    assert.deepEqual(n.slice(-2).sort(), [`down ${MX}`, 'quorum_down 25'], notes);
    assert.ok(n.includes(`up ${MX}`), notes);
  });
});
