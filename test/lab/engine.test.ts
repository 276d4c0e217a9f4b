// The real Pulumi engine against the lab, as an operator drives it: preview,
// up with the failover verification, a no-op second up, refresh without
// drift, a weight change reviewed as a readable diff and applied without the
// VIP ever leaving the master, a new real server configured alone, a clear
// error when a host's sshd is down (and a re-run that converges), secrets that
// never appear in plaintext in the state or the output, and destroy leaving
// every host as before. Skipped with the reason only when no engine can be had
// (scripts/pulumi-engine.sh).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PULUMI_COMMANDS } from '../../components/gitops';
import { REPO } from '../../scripts/lab/deploy';
import type { Lab } from '../../scripts/lab/lab';
import { VIP } from '../../scripts/lab/daemons';
import { auditLabSecrets } from '../../scripts/lab/secret-audit';
import { readStackSpec } from '../../components/stack-file';
import { sleep } from '../../scripts/lab/sys';
import { testLab } from './fixture';
import { servedThroughVip } from './deploy-trials';
import { hostState } from './host-state';
import {
  assertVerificationPassed,
  findEngine,
  PulumiCli,
  remoteSteps,
  resourceName,
} from './pulumi-cli';
import { labHostSteps } from '../pulumi/lab-steps';

describe('the real Pulumi engine against the lab', function () {
  this.timeout(900_000);
  let lab: Lab;
  let cli: PulumiCli;
  const stack = `e2e-${process.pid}`;
  const ok = (args: readonly string[], input?: string) => cli.ok(args, input);
  const pulumi = (args: readonly string[]) => cli.run(args);
  const changes = () => cli.changes();
  const name = resourceName;
  const editStack = (mutate: (c: Record<string, unknown>) => void) => cli.edit(mutate);
  /** `up` that re-runs rs3's VIP step (a replace), whatever else is pending */
  const replaceRs3Vip = () =>
    pulumi([
      'up',
      '--yes',
      '--skip-preview',
      '--replace',
      `urn:pulumi:${stack}::keepalive::keepalive:lvs:RealServerPool$command:remote:Command::pool-rs3-vip`,
    ]);
  // the VRRP password and the SSH key are Pulumi secrets of the stack (set below)
  const password = `p${process.pid % 10000}x`.slice(0, 8);
  const keyBody = () => cli.keyBody();

  before(async function () {
    const engine = findEngine();
    if ('reason' in engine) {
      console.log(`      skipped: ${engine.reason}`);
      this.skip();
    }
    lab = testLab('e', { realServers: 3 });
    await lab.up();
    cli = new PulumiCli(lab, stack, engine.bin);
    // the declaration without its secrets, which are set as an operator would
    cli.initWithSecrets(password);
  });
  after(() => {
    try {
      cli?.dispose();
    } finally {
      lab?.down();
    }
  });

  const snapshots: Record<string, string> = {};
  const snapshot = (h: string) => hostState(lab, h);

  it('preview on a fresh stack shows the expected creates', async () => {
    for (const h of ['d1', 'd2', 'rs1', 'rs2', 'rs3']) snapshots[h] = await snapshot(h);
    const c = changes();
    assert.ok(
      c.every((s) => s.op === 'create'),
      JSON.stringify(c.map((s) => s.op)),
    );
    assert.deepEqual(remoteSteps(c), labHostSteps());
  });

  it('up converges: VIP on d1, clients served by both real servers', async () => {
    ok([...PULUMI_COMMANDS.up]);
    await servedThroughVip(lab);
  });

  it('the failover verification ran inside up and its verdict is the stack output', () => {
    assertVerificationPassed(ok([...PULUMI_COMMANDS.verdict]), [
      /^VIP on exactly one/,
      /^VIP moves to d2/,
      /preempts back/,
      /rs1 back in service/,
    ]);
  });

  it('a second up is a no-op (0 changes)', async () => {
    assert.deepEqual(changes().map(name), []);
    ok(['up', '--yes', '--skip-preview', '--expect-no-changes']);
  });

  it('refresh finds no drift', () => {
    ok([...PULUMI_COMMANDS.drift]);
  });

  it('a weight change: a readable diff of both configs (secret masked), applied by reload, the VIP never leaves the master', async () => {
    editStack((c) => ((c.realServers as { weight?: number }[])[0].weight = 3));
    const diff = ok([...PULUMI_COMMANDS.preview]);
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
    // a watcher process on d1 samples its addresses every 20 ms while the (blocking) up runs
    const [bin, ...args] = await lab.hostArgv('d1', [
      'sh',
      '-c',
      `while :; do if ip -o addr show dev lan0 | grep -q ' ${VIP}/'; then echo "held $(date +%s%3N)"; else echo "missing $(date +%s%3N)"; fi; sleep 0.02; done`,
    ]);
    const watcher = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let samples = '';
    watcher.stdout.on('data', (d) => (samples += String(d)));
    try {
      ok([...PULUMI_COMMANDS.up]);
    } finally {
      process.kill(-watcher.pid!, 'SIGKILL');
    }
    await sleep(100); // the pipe's last lines
    // the update ends with the verification, which stops d1 on purpose: count up to its first action
    const report = JSON.parse(
      readFileSync(path.join(REPO, '.verify', stack, 'report.json'), 'utf8'),
    ) as { timeline: { marks: { t: number; label: string }[] } };
    const stopAt = report.timeline.marks[0].t;
    const before = samples
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([, t]) => Number(t) < stopAt);
    const held = before.filter(([w]) => w === 'held').length;
    const missing = before.filter(([w]) => w === 'missing').length;
    // the update lasts seconds: hundreds of samples, or the watch observed nothing
    assert.ok(held > 100, `only ${held} samples taken: not measured`);
    assert.equal(
      missing,
      0,
      `the VIP was missing from d1 in ${missing} of ${held + missing} samples`,
    );
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
    ok([...PULUMI_COMMANDS.up]);
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
    const r = replaceRs3Vip();
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /198\.51\.100\.23/, 'the error names the host');
    // restart sshd the way the lab starts it and converge
    await lab.restartSshd('rs3');
    ok([...PULUMI_COMMANDS.up]);
    assert.deepEqual(changes().map(name), []);
  });

  it('a host whose key is not the pinned one is refused: the step fails naming it and nothing runs there', async () => {
    // a known_hosts in which rs3 has rs2's key
    const lines = readFileSync(lab.knownHosts, 'utf8').split('\n');
    const keyOf = (h: string) => lines.find((l) => l.split(' ')[0].split(',').includes(h));
    const rs2 = keyOf('rs2')!.split(' ').slice(1).join(' ');
    const wrong = lines.map((l) => (l === keyOf('rs3') ? `${l.split(' ')[0]} ${rs2}` : l));
    const file = path.join(cli.home, 'known_hosts.wrong');
    writeFileSync(file, wrong.join('\n'));
    // the VIP step's script and its folder, to the nanosecond: a step that ran rewrites them
    const vipScript = async () =>
      (await lab.exec('rs3', ['ls', '-la', '--time-style=full-iso', '/etc/keepalived'])).stdout;
    const before = await vipScript();
    editStack((c) => (c.ssh = { ...(c.ssh as object), knownHostsFile: file }));
    try {
      const r = replaceRs3Vip();
      assert.notEqual(r.code, 0, 'up with a wrong pinned key must fail');
      // the failing resource is one of rs3's steps (the engine prints its name with the provider's error)
      assert.match(
        r.out + r.err,
        /pool-rs3-\w+ \*\*updating failed\*\*|pool-rs3-vip \*\*replacing failed/,
        r.out + r.err,
      );
      assert.match(r.out + r.err, /host key|knownhosts|key mismatch|handshake/i, r.out + r.err);
      assert.equal(await vipScript(), before, 'nothing ran on rs3');
    } finally {
      editStack((c) => (c.ssh = { ...(c.ssh as object), knownHostsFile: lab.knownHosts }));
    }
    ok([...PULUMI_COMMANDS.up]);
    assert.deepEqual(changes().map(name), []);
  });

  it('neither the VRRP password nor the SSH key is in plaintext in the state or the output', async () => {
    const files = spawnSync(
      'grep',
      ['-rlF', '-e', password, '-e', keyBody().slice(20, 60), cli.home],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(files.stdout.trim(), '', `plaintext secret in ${files.stdout}`);
    // the state was written (checkpoints, history, backups): the search saw something
    const n = spawnSync('find', [cli.home, '-type', 'f', '-path', '*/.pulumi/*'], {
      encoding: 'utf8',
    });
    assert.ok(n.stdout.split('\n').filter(Boolean).length > 3, n.stdout);
    const text = cli.transcript.join('\n');
    assert.ok(text.length > 1000, 'the updates printed something');
    assert.ok(!text.includes(password), 'password in the engine output');
    assert.ok(!text.includes(keyBody().slice(20, 60)), 'private key in the engine output');
    // nor on the hosts: daemon logs, events, status, metrics, command lines, lab logs
    const audit = await auditLabSecrets(lab, readStackSpec('lab'), {
      password,
      extra: { 'engine output': text },
    });
    assert.deepEqual(audit.exposures, []);
    assert.ok(audit.searched.includes('d2 metrics'), audit.searched.join(', '));
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
