// The real Pulumi engine against the lab: preview, up, a no-op second up, a
// weight change that touches only the configs (VIP stays), a new real server
// configured alone, a clear error when a host's sshd is down (and a re-run
// that converges), and destroy leaving every host as before. Skipped with a
// message only when the engine cannot be had (scripts/pulumi-engine.sh).
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
  const pulumi = (args: string[]) => {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', lab.topo.opsNs, 'pulumi', ...args, '--stack', stack, '--non-interactive'],
      {
        cwd: REPO,
        env: env(),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        timeout: 600_000,
      },
    );
    return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const ok = (args: string[]) => {
    const r = pulumi(args);
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
  const writeStack = (mutate: (c: Record<string, unknown>) => void = () => {}) => {
    const doc = parse(readFileSync(path.join(REPO, 'stacks/Pulumi.lab.yaml'), 'utf8')) as {
      config: Record<string, Record<string, unknown>>;
    };
    const c = doc.config['keepalive:cluster'];
    c.ssh = { privateKeyFile: lab.clientKey, knownHostsFile: lab.knownHosts };
    mutate(c);
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
    writeStack();
    ok(['stack', 'init', stack]);
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
  const snapshot = async (h: string) =>
    (
      await lab.exec(h, [
        'sh',
        '-c',
        "sysctl -a 2>/dev/null | grep -E 'arp_ignore|arp_announce|send_redirects|ip_forward' | sort; ip -o -4 addr | awk '{print $2, $4}'; find /etc/keepalived /etc/keepalive-ts /etc/sysctl.d -mindepth 1 -printf '%p %m %s\\n' 2>&1 | sort; pgrep -af keepalive-ts || true",
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

  it('a second up is a no-op', async () => {
    assert.deepEqual(changes().map(name), []);
  });

  it('a weight change updates only the two configs, and the VIP never leaves the master', async () => {
    writeStack((c) => ((c.realServers as { weight?: number }[])[0].weight = 3));
    assert.deepEqual(
      changes()
        .map((s) => `${s.op} ${name(s)}`)
        .sort(),
      ['update pair-d1-config', 'update pair-d2-config'],
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
    writeStack((c) => {
      (c.realServers as { weight?: number }[])[0].weight = 3;
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

  it('destroy leaves every host as before (sysctls, addresses, files, processes)', async () => {
    ok(['destroy', '--yes', '--skip-preview']);
    for (const h of ['d1', 'd2', 'rs1', 'rs2', 'rs3'])
      assert.equal(await snapshot(h), snapshots[h], `${h} differs after destroy`);
  });
});
