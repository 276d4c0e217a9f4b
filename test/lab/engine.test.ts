// The real Pulumi engine against the lab, as an operator drives it: preview,
// up with the failover verification, a no-op second up, refresh without
// drift, a weight change reviewed as a readable diff and applied without the
// VIP ever leaving the master, a new real server configured alone, a clear
// error when a host's sshd is down (and a re-run that converges), secrets that
// never appear in plaintext in the state or the output, and destroy leaving
// every host as before. Skipped with the reason only when no engine can be had
// (scripts/pulumi-engine.sh).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO } from '../../scripts/lab/deploy';
import { Lab } from '../../scripts/lab/lab';
import { VIP } from '../../scripts/lab/daemons';
import { sleep, waitFor } from '../../scripts/lab/sys';
import { testLab } from './fixture';

interface Step {
  op: string;
  urn: string;
}

describe('the real Pulumi engine against the lab', function () {
  this.timeout(900_000);
  let lab: Lab;
  let bin = '';
  let home = '';
  const stack = `e2e-${process.pid}`;
  const stackFile = path.join(REPO, 'stacks', `Pulumi.${stack}.yaml`);

  const env = () => ({
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${home}/state`,
    PULUMI_CONFIG_PASSPHRASE: 'e2e',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
  });
  /** everything the engine printed, searched for secrets at the end */
  const transcript: string[] = [];
  const pulumi = (args: string[], input?: string) => {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', lab.topo.opsNs, 'pulumi', ...args, '--stack', stack, '--non-interactive'],
      {
        cwd: REPO,
        env: env(),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        timeout: 600_000,
        input,
      },
    );
    transcript.push(r.stdout ?? '', r.stderr ?? '');
    return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const ok = (args: string[], input?: string) => {
    const r = pulumi(args, input);
    if (r.code !== 0)
      throw new Error(
        `pulumi ${args.join(' ')}: exit ${r.code}\n${r.out.slice(-3000)}\n${r.err.slice(-3000)}`,
      );
    return r.out;
  };
  const changes = (): Step[] => {
    const j = JSON.parse(ok(['preview', '--json', '--diff'])) as { steps?: Step[] };
    return (j.steps ?? []).filter((s) => s.op !== 'same');
  };
  const name = (s: Step) => s.urn.split('::').pop()!;
  // the VRRP password and the SSH key are Pulumi secrets of the stack (set below)
  const password = `p${process.pid % 10000}x`.slice(0, 8);
  const keyBody = () =>
    readFileSync(lab.clientKey, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
  /** the declaration: the lab's, without the secrets (they are set with --secret) */
  const writeFirstStack = () => {
    const doc = parse(readFileSync(path.join(REPO, 'stacks/Pulumi.lab.yaml'), 'utf8')) as {
      config: Record<string, Record<string, unknown>>;
      encryptionsalt?: string;
    };
    // `stack init` wrote the stack's encryption salt: keep it
    doc.encryptionsalt = (parse(readFileSync(stackFile, 'utf8')) as typeof doc).encryptionsalt;
    const c = doc.config['keepalive:cluster'];
    delete c.authPass;
    c.ssh = { knownHostsFile: lab.knownHosts };
    writeFileSync(stackFile, stringify(doc));
  };
  /** change the declaration in place (the encrypted secrets stay as they are) */
  const editStack = (mutate: (c: Record<string, unknown>) => void) => {
    const doc = parse(readFileSync(stackFile, 'utf8')) as {
      config: Record<string, Record<string, unknown>>;
    };
    mutate(doc.config['keepalive:cluster']);
    writeFileSync(stackFile, stringify(doc));
  };

  before(async function () {
    const r = spawnSync('bash', [path.join(REPO, 'scripts/pulumi-engine.sh')], {
      encoding: 'utf8',
      timeout: 1_800_000,
    });
    if (r.status !== 0) {
      console.log(`      skipped: no Pulumi engine: ${r.stderr.trim().split('\n').pop()}`);
      this.skip();
    }
    bin = r.stdout.trim();
    home = mkdtempSync(path.join(tmpdir(), 'kts-pulumi-'));
    // a file backend's folder must exist before `stack init`
    mkdirSync(path.join(home, 'state'));
    lab = testLab('e', { realServers: 3 });
    await lab.up();
    ok(['stack', 'init']);
    writeFirstStack();
    ok(['config', 'set', '--secret', '--path', 'keepalive:cluster.authPass', password]);
    ok(
      ['config', 'set', '--secret', '--path', 'keepalive:cluster.ssh.privateKey'],
      readFileSync(lab.clientKey, 'utf8'),
    );
  });
  after(async () => {
    if (lab) {
      try {
        if (bin) pulumi(['destroy', '--yes', '--skip-preview']);
      } finally {
        await lab.down();
      }
    }
    rmSync(stackFile, { force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const snapshots: Record<string, string> = {};
  /** the processes in a host's network namespace, by command line (pids change when sshd restarts) */
  const processes = (h: string) =>
    spawnSync(
      'sh',
      ['-c', `ps -o args= -p "$(ip netns pids ${lab.topo.prefix}-${h} | tr '\\n' ,)0" | sort`],
      { encoding: 'utf8' },
    ).stdout;
  const snapshot = async (h: string) =>
    processes(h) +
    (
      await lab.exec(h, [
        'sh',
        '-c',
        "sysctl -a 2>/dev/null | grep -E 'arp_ignore|arp_announce|send_redirects|ip_forward' | sort; ip -o addr | awk '{print $2, $4}'; find /etc/keepalived /etc/keepalive-ts /etc/sysctl.d /etc/systemd/system -mindepth 1 -printf '%p %m %s\\n' 2>&1 | sort; nft list ruleset",
      ])
    ).stdout;

  it('preview on a fresh stack shows the expected creates', async () => {
    for (const h of ['d1', 'd2', 'rs1', 'rs2', 'rs3']) snapshots[h] = await snapshot(h);
    const c = changes();
    assert.ok(
      c.every((s) => s.op === 'create'),
      JSON.stringify(c.map((s) => s.op)),
    );
    const commands = c
      .filter((s) => s.urn.includes('command:remote:Command'))
      .map(name)
      .sort();
    assert.deepEqual(commands, [
      'pair-d1-config',
      'pair-d1-install-cmd',
      'pair-d1-sysctl',
      'pair-d2-config',
      'pair-d2-install-cmd',
      'pair-d2-sysctl',
      'pool-rs1-sysctl',
      'pool-rs1-vip',
      'pool-rs2-sysctl',
      'pool-rs2-vip',
    ]);
  });

  it('up converges: VIP on d1, clients served by both real servers', async () => {
    ok(['up', '--yes', '--skip-preview']);
    await waitFor(
      'VIP on d1',
      async () =>
        (await lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(VIP),
      15_000,
    );
    await waitFor(
      'served by rs1 and rs2',
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 20; i++)
          seen.add(
            (
              await lab.exec('cl', ['curl', '-s', '--max-time', '1', `http://${VIP}/`])
            ).stdout.trim(),
          );
        return seen.has('rs1') && seen.has('rs2');
      },
      30_000,
      500,
    );
  });

  it('the failover verification ran inside up and its verdict is the stack output', () => {
    const out = JSON.parse(ok(['stack', 'output', '--json'])) as {
      failover: { verdict: string; steps: { name: string; pass: boolean }[] };
    };
    assert.equal(out.failover.verdict, 'pass', JSON.stringify(out.failover));
    const names = out.failover.steps.map((s) => s.name);
    for (const n of [
      /^VIP on exactly one/,
      /^VIP moves to d2/,
      /preempts back/,
      /rs1 back in service/,
    ])
      assert.ok(
        names.some((x) => n.test(x)),
        `${n} in ${names.join(' | ')}`,
      );
  });

  it('a second up is a no-op (0 changes)', async () => {
    assert.deepEqual(changes().map(name), []);
    ok(['up', '--yes', '--skip-preview', '--expect-no-changes']);
  });

  it('refresh finds no drift', () => {
    ok(['refresh', '--yes', '--skip-preview', '--expect-no-changes']);
  });

  it('a weight change: a readable diff of both configs (secret masked), applied by reload, the VIP never leaves the master', async () => {
    editStack((c) => ((c.realServers as { weight?: number }[])[0].weight = 3));
    const diff = ok(['preview', '--diff']);
    for (const d of ['pair-d1-config', 'pair-d2-config'])
      assert.match(diff, new RegExp(`${d}[\\s\\S]*-\\s+weight 1\\n\\s+\\+\\s+weight 3`), diff);
    assert.ok(!diff.includes(password), 'the password is not in the diff');
    // the only host steps that change are the two configs; the verification runs again
    assert.deepEqual(
      changes()
        .map((s) => `${s.op} ${name(s)}`)
        .sort(),
      ['replace failover-verify', 'update pair-d1-config', 'update pair-d2-config'],
    );
    let missing = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        if (
          !(await lab.exec('d1', ['ip', '-o', 'addr', 'show', 'dev', 'lan0'])).stdout.includes(VIP)
        )
          missing++;
        await sleep(20);
      }
    })();
    ok(['up', '--yes', '--skip-preview']);
    watching = false;
    await watch;
    assert.equal(missing, 0);
    assert.match(
      (await lab.exec('d1', ['cat', '/etc/keepalived/keepalived.conf'])).stdout,
      /real_server 198\.51\.100\.21 80 \{\n\s+weight 3/,
    );
  });

  it("a new real server is configured alone (plus the directors' configs that list it)", async () => {
    editStack((c) => {
      (c.realServers as object[]).push({
        name: 'rs3',
        ssh: '198.51.100.23',
        address: '198.51.100.23',
      });
    });
    assert.deepEqual(
      changes()
        .map((s) => `${s.op} ${name(s)}`)
        .sort(),
      [
        'create pool-rs3-sysctl',
        'create pool-rs3-vip',
        'replace failover-verify',
        'update pair-d1-config',
        'update pair-d2-config',
      ],
    );
    ok(['up', '--yes', '--skip-preview']);
    assert.equal(
      (await lab.exec('rs3', ['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim(),
      '1',
    );
  });

  it('a host whose sshd is down fails with an error naming it; a re-run after restarting sshd converges', async () => {
    const st = (await lab.readState())!;
    const sshd = st.hosts.rs3.sshd!;
    process.kill(sshd, 'SIGTERM');
    await sleep(300);
    // re-run rs3's VIP step (replace) while its sshd is down
    const r = pulumi([
      'up',
      '--yes',
      '--skip-preview',
      '--replace',
      `urn:pulumi:${stack}::keepalive::keepalive:lvs:RealServerPool$command:remote:Command::pool-rs3-vip`,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /198\.51\.100\.23/, 'the error names the host');
    // restart sshd the way the lab starts it and converge
    await lab.restartSshd('rs3');
    ok(['up', '--yes', '--skip-preview']);
    assert.deepEqual(changes().map(name), []);
  });

  it('neither the VRRP password nor the SSH key is in plaintext in the state or the output', () => {
    const files = spawnSync('grep', ['-rlF', '-e', password, '-e', keyBody().slice(20, 60), home], {
      encoding: 'utf8',
    });
    assert.equal(files.stdout.trim(), '', `plaintext secret in ${files.stdout}`);
    // the state was written (checkpoints, history, backups): the search saw something
    const n = spawnSync('find', [home, '-type', 'f', '-path', '*/.pulumi/*'], { encoding: 'utf8' });
    assert.ok(n.stdout.split('\n').filter(Boolean).length > 3, n.stdout);
    const text = transcript.join('\n');
    assert.ok(text.length > 1000, 'the updates printed something');
    assert.ok(!text.includes(password), 'password in the engine output');
    assert.ok(!text.includes(keyBody().slice(20, 60)), 'private key in the engine output');
    // and it did reach the hosts: the directors' configs have it
  });

  it('the password reached the directors (it was used, not dropped)', async () => {
    assert.match(
      (await lab.exec('d1', ['cat', '/etc/keepalived/keepalived.conf'])).stdout,
      new RegExp(`auth_pass ${password}\\n`),
    );
  });

  it('destroy leaves every host as before (sysctls, addresses, files, processes, nft)', async () => {
    ok(['destroy', '--yes', '--skip-preview']);
    for (const h of ['d1', 'd2', 'rs1', 'rs2', 'rs3'])
      assert.equal(await snapshot(h), snapshots[h], `${h} differs after destroy`);
  });
});
