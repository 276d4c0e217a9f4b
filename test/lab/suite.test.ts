// The Pulumi suite's host steps, end to end: the exact create/delete scripts
// the components hand to remote.Command, run over SSH (pinned host keys, from
// the ops namespace) against the lab hosts. Checks the hosts afterwards and
// that delete brings every host back to its state before.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { buildBundle } from '../../components/bundle';
import { directorSteps, realServerSteps } from '../../components/plan';
import { applySteps, sshRun } from '../../scripts/lab/direct';
import { readStackSpec } from '../../components/stack-file';
import type { Lab } from '../../scripts/lab/lab';
import { ROOT, VIP } from '../../scripts/lab/daemons';
import { run } from '../../scripts/lab/sys';
import { waitFor } from '../../scripts/lab/sys';
import { auditLabSecrets } from '../../scripts/lab/secret-audit';
import { sharedLab } from './fixture';

const HOSTS = ['d1', 'd2', 'rs1', 'rs2'];

const ssh = sshRun;
const apply = applySteps;

/** Everything the suite may touch on a host: its sysctls, addresses, files, processes. */
async function snapshot(lab: Lab, host: string): Promise<string> {
  const state = await ssh(
    lab,
    host,
    "sysctl -a 2>/dev/null | grep -E 'arp_ignore|arp_announce|send_redirects|ip_forward' | sort; ip -o -4 addr | awk '{print $2, $4}'; " +
      "find /etc/keepalived /etc/keepalive-ts /etc/sysctl.d /etc/systemd/system -mindepth 1 -printf '%p %m %s\\n' 2>&1 | sort; nft list ruleset 2>&1",
  );
  const pids = (await run('ip', ['netns', 'pids', lab.host(host).ns])).stdout
    .split('\n')
    .filter(Boolean);
  const procs: string[] = [];
  for (const p of pids) {
    const c = (await run('cat', [`/proc/${p}/cmdline`])).stdout.replace(/\0/g, ' ');
    if (/keepalive/.test(c)) procs.push(c);
  }
  return state + procs.sort().join('\n');
}

describe('Pulumi suite host steps over SSH (lab)', function () {
  this.timeout(300_000);
  let lab: Lab;
  const spec = readStackSpec('lab');
  const bundle = buildBundle();
  const rs = realServerSteps(spec, 'lab');
  const ds = directorSteps(spec, 'lab', bundle);
  const baseline: Record<string, string> = {};

  before(async () => {
    lab = await sharedLab();
    for (const h of HOSTS) baseline[h] = await snapshot(lab, h);
  });

  it('configures both directors and every real server; the client is served through the VIP', async () => {
    await apply(lab, rs, 'create');
    await apply(lab, ds, 'create');
    for (const h of ['rs1', 'rs2']) {
      const out = await ssh(
        lab,
        h,
        'sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lan0.arp_ignore; ip -o addr show dev lo',
      );
      assert.match(out, /^1\n2\n1\n/);
      assert.match(out, new RegExp(`${VIP.replace(/\./g, '\\.')}/32`));
    }
    for (const h of ['d1', 'd2']) {
      assert.equal((await ssh(lab, h, 'sysctl -n net.ipv4.conf.all.send_redirects')).trim(), '0');
      assert.equal((await ssh(lab, h, 'stat -c %a /etc/keepalived/keepalived.conf')).trim(), '600');
    }
    await waitFor(
      'VIP on d1 (MASTER)',
      async () => (await ssh(lab, 'd1', 'ip -o addr show dev lan0')).includes(VIP),
      15_000,
      200,
    );
    const st = JSON.parse(
      await ssh(
        lab,
        'd1',
        'node /etc/keepalive-ts/app/bin/keepalive-ts status --json --control /run/keepalive-ts.sock',
      ),
    );
    assert.equal(st.instances[0].state, 'MASTER');
    await waitFor(
      'both real servers in service',
      async () => {
        const s = JSON.parse(
          await ssh(
            lab,
            'd1',
            'node /etc/keepalive-ts/app/bin/keepalive-ts status --json --control /run/keepalive-ts.sock',
          ),
        );
        return s.virtualServers[0].servers.every((x: { inService: boolean }) => x.inService);
      },
      20_000,
      500,
    );
    const r = await lab.exec('cl', [
      process.execPath,
      path.join(ROOT, 'dist/scripts/lab/http-probe.js'),
      '--url',
      `http://${VIP}/`,
      '--count',
      '100',
    ]);
    assert.ok(r.stdout.trim(), `the client probe printed nothing (exit ${r.code}): ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.equal(out.errors, 0, r.stdout);
    assert.ok(out.counts.rs1 > 20 && out.counts.rs2 > 20, r.stdout);
  });

  it('neither the VRRP password nor a private key is in any log, event, status, metric or command line', async () => {
    assert.ok(spec.authPass && spec.metricsListen, 'the lab stack has a password and metrics');
    const { searched, exposures } = await auditLabSecrets(lab, spec);
    assert.deepEqual(exposures, []);
    // every place answered (an empty place throws), including the metrics of both directors
    for (const d of ['d1', 'd2'])
      for (const w of ['log', 'events', 'status --json', 'metrics', 'command line'])
        assert.ok(searched.includes(`${d} ${w}`), `${d} ${w} searched`);
  });

  it('is idempotent: running every create step again changes nothing and keeps the VIP on the master', async () => {
    const pidBefore = await ssh(lab, 'd1', 'cat /run/keepalive-ts.pid');
    await apply(lab, rs, 'create');
    await apply(lab, ds, 'create');
    assert.equal(
      await ssh(lab, 'd1', 'cat /run/keepalive-ts.pid'),
      pidBefore,
      'reloaded (SIGHUP), not restarted',
    );
    assert.ok((await ssh(lab, 'd1', 'ip -o addr show dev lan0')).includes(VIP));
  });

  it('refuses to activate a config the daemon rejects, leaving the running one', async () => {
    // the config's text is in the step's script (its secrets come on stdin)
    const broken = ds[0][2].create.replace('priority 150', 'priority 999');
    assert.notEqual(broken, ds[0][2].create);
    await assert.rejects(ssh(lab, 'd1', broken, ds[0][2].stdin), /rejected by the config test/);
    assert.match(await ssh(lab, 'd1', 'cat /etc/keepalived/keepalived.conf'), /priority 150/);
  });

  it('delete brings every host back to its state before (sysctls, addresses, files, processes)', async () => {
    await apply(lab, ds, 'delete');
    await apply(lab, rs, 'delete');
    for (const h of HOSTS)
      assert.equal(await snapshot(lab, h), baseline[h], `${h} differs after delete`);
  });
});
