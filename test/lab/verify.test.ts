// The failover verifier against a real deployment in the lab: it passes a
// healthy pair and pool (the control), and FAILS, naming the cause, when a
// real server answers ARP for the VIP (arp_ignore=0) and when the backup has
// a wrong virtual_router_id (two masters).
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildBundle } from '../../components/bundle';
import { directorSteps, realServerSteps } from '../../components/plan';
import { readStackSpec } from '../../components/stack-file';
import { VIP } from '../../scripts/lab/daemons';
import { verifierArgv, writeLabStack } from '../../scripts/lab/deploy';
import { applySteps } from '../../scripts/lab/direct';
import type { Lab } from '../../scripts/lab/lab';
import { run, waitFor } from '../../scripts/lab/sys';
import type { Report } from '../../verify/report';
import { sharedLab } from './fixture';

describe('failover verification (lab)', function () {
  this.timeout(300_000);
  let lab: Lab;
  let dir: string;
  const spec = readStackSpec('lab');
  const rs = realServerSteps(spec, 'lab');
  const ds = directorSteps(spec, 'lab', buildBundle());
  const holders = async () => {
    const out: string[] = [];
    for (const d of ['d1', 'd2'])
      if ((await lab.exec(d, ['ip', '-o', '-4', 'addr'])).stdout.includes(` ${VIP}/`)) out.push(d);
    return out;
  };

  /** The verifier's CLI from the lab's ops namespace, as `npm run verify` runs it. */
  const runVerifier = (stacksDir: string, args: string[]) =>
    run(process.execPath, verifierArgv(lab, args, stacksDir), { timeoutMs: 240_000 });

  /** ... with --json, the report parsed */
  async function verifyCli(
    args: string[],
  ): Promise<{ code: number; report: Report; stderr: string }> {
    const r = await runVerifier(dir, ['--json', ...args]);
    assert.ok(r.stdout.trim().startsWith('{'), `no JSON report (exit ${r.code}): ${r.stderr}`);
    return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
  }

  before(async () => {
    lab = await sharedLab();
    // the lab stack's declaration with this lab's key and pinned host keys
    dir = mkdtempSync(path.join(tmpdir(), 'kts-verify-'));
    writeLabStack(lab, dir);
    await applySteps(lab, rs, 'create');
    await applySteps(lab, ds, 'create');
    await waitFor(
      'the VIP on d1 alone',
      async () => (await holders()).join() === 'd1',
      20_000,
      100,
    );
  });

  after(async () => {
    await applySteps(lab, ds, 'delete').catch(() => {});
    await applySteps(lab, rs, 'delete').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes a healthy pair and pool, every measured step within its bound (control)', async () => {
    const { code, report } = await verifyCli([]);
    assert.equal(report.verdict, 'pass', JSON.stringify(report.steps, null, 1));
    assert.equal(code, 0);
    const timed = report.steps.filter((s) => s.measured_s !== null);
    assert.ok(timed.length >= 4, 'move, outage, preemption and real-server steps were measured');
    for (const s of report.steps) {
      assert.equal(typeof s.name, 'string');
      assert.equal(s.pass, true);
      if (s.measured_s !== null) assert.ok(s.measured_s <= s.bound_s!, s.name);
    }
    const svg = readFileSync(path.join(dir, 'out/timeline.svg'), 'utf8');
    assert.match(svg, /VIP on d2/);
    // the method checked where the truth is known: the lab's hosts share one clock, so every
    // estimated offset is zero within its stated uncertainty (plus 1 ms for the clock reads)
    const full = JSON.parse(readFileSync(path.join(dir, 'out/report.json'), 'utf8')) as {
      clocks: Record<string, { offsetMs: number; uncertaintyMs: number }>;
    };
    assert.ok(Object.keys(full.clocks).length >= 5, JSON.stringify(full.clocks));
    for (const [h, c] of Object.entries(full.clocks))
      assert.ok(
        Math.abs(c.offsetMs) <= c.uncertaintyMs + 1,
        `${h}: offset ${c.offsetMs} ms ± ${c.uncertaintyMs}`,
      );
    // and the VIP cannot move later than the clients get the service back
    const move = report.steps.find((s) => /^VIP moves to/.test(s.name))!;
    const outage = report.steps.find((s) => /^client outage/.test(s.name))!;
    assert.ok(
      move.measured_s! <= outage.measured_s! + move.uncertainty_s! + outage.uncertainty_s! + 0.05,
      `VIP move ${move.measured_s} s vs client outage ${outage.measured_s} s`,
    );
    console.log(
      `      ${timed.map((s) => `${s.name}: ${s.measured_s} s (<= ${s.bound_s})`).join('\n      ')}`,
    );
  });

  it('refuses a director whose host key is not the pinned one (no command runs there)', async () => {
    // pin rs1's key for d1: d1's real key no longer matches
    const lines = readFileSync(lab.knownHosts, 'utf8').trim().split('\n');
    const keyOf = (name: string) =>
      lines
        .find((l) => l.split(',')[0] === name)!
        .split(' ')
        .slice(1)
        .join(' ');
    const forged = lines.map((l) =>
      l.split(',')[0] === 'd1' ? `${l.split(' ')[0]} ${keyOf('rs1')}` : l,
    );
    const bad = mkdtempSync(path.join(tmpdir(), 'kts-verify-bad-'));
    try {
      writeFileSync(path.join(bad, 'known_hosts'), forged.join('\n') + '\n');
      writeLabStack(lab, bad, (c) => (c.ssh.knownHostsFile = path.join(bad, 'known_hosts')));
      const r = await runVerifier(bad, ['--scenarios', 'preflight']);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /d1 \(198\.51\.100\.11\): Host denied \(verification failed\)/);
      console.log(`      ${r.stderr.trim()}`);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'a message, not a stack trace');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('FAILS when a real server answers ARP for the VIP (arp_ignore=0), naming it', async () => {
    const before = (
      await lab.exec('rs1', [
        'sysctl',
        '-n',
        'net.ipv4.conf.all.arp_ignore',
        'net.ipv4.conf.lan0.arp_ignore',
      ])
    ).stdout
      .trim()
      .split(/\s+/);
    await lab.exec('rs1', [
      'sysctl',
      '-qw',
      'net.ipv4.conf.all.arp_ignore=0',
      'net.ipv4.conf.lan0.arp_ignore=0',
    ]);
    try {
      const { code, report, stderr } = await verifyCli(['--scenarios', 'preflight']);
      assert.equal(code, 1);
      assert.equal(report.verdict, 'fail');
      const arp = report.steps.find((s) => /ARP/.test(s.name))!;
      assert.equal(arp.pass, false);
      assert.match(arp.detail, /rs1 answers ARP for 198\.51\.100\.10/);
      assert.match(arp.detail, /rs1: arp_ignore=0/);
      assert.match(stderr, /FAIL/, 'the table goes to stderr when it fails');
    } finally {
      await lab.exec('rs1', [
        'sysctl',
        '-qw',
        `net.ipv4.conf.all.arp_ignore=${before[0]}`,
        `net.ipv4.conf.lan0.arp_ignore=${before[1]}`,
      ]);
    }
  });

  it('FAILS when the backup has a wrong virtual_router_id, naming the mismatch', async () => {
    const conf = `${spec.configDir}/keepalived.conf`;
    const setVrid = async (vrid: number) => {
      await lab.exec('d2', [
        'sed',
        '-i',
        `s/virtual_router_id .*/virtual_router_id ${vrid}/`,
        conf,
      ]);
      await lab.exec('d2', ['sh', '-c', 'kill -HUP "$(cat /run/keepalive-ts.pid)"']);
    };
    await setVrid(52);
    try {
      await waitFor('two masters', async () => (await holders()).length === 2, 15_000, 100);
      const { code, report } = await verifyCli(['--scenarios', 'preflight']);
      assert.equal(code, 1);
      const one = report.steps.find((s) => s.name === 'VIP on exactly one director')!;
      assert.equal(one.pass, false);
      assert.match(one.detail, /on d1 and d2: virtual_router_id differs \(d1 51, d2 52\)/);
    } finally {
      await setVrid(spec.virtualRouterId);
      await waitFor(
        'the VIP back on d1 alone',
        async () => (await holders()).join() === 'd1',
        20_000,
        100,
      );
    }
  });
});
