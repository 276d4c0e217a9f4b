// The active-active lab end to end on the direct path (the suite's host steps
// over SSH, as remote.Command runs them): three directors announce the VIP by
// BGP (BIRD) to gw, gw installs one route with three next hops, the client
// behind gw is served by the real servers, new flows spread over all three
// directors (counted by an nft counter on each), and delete puts every host
// back as it was.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { daemonArtifact } from '../../components/bundle';
import { hostSteps } from '../../components/plan';
import type { ClusterSpec } from '../../components/spec';
import { writeLabStack } from '../../scripts/lab/deploy';
import { waitForEcmp } from '../../scripts/lab/deploy-aa';
import { applySteps } from '../../scripts/lab/direct';
import type { Lab } from '../../scripts/lab/lab';
import { run } from '../../scripts/lab/sys';
import { hostState } from './host-state';
import { testLab } from './fixture';

const VIP = '198.51.100.10';
const FLOWS = 30;
/** a SYN counter ahead of the daemon's DR chain (priority -10 < 0), removed by the test */
const COUNTER = 'aa_test_syn';

const counterScript = (dev: string) =>
  [
    `nft add table netdev ${COUNTER}`,
    `nft add chain netdev ${COUNTER} c '{ type filter hook ingress device "${dev}" priority -10; }'`,
    `nft add rule netdev ${COUNTER} c ip daddr ${VIP} tcp dport 80 'tcp flags & (syn | ack) == syn' counter`,
  ].join(' && ');

describe('active-active lab: BGP ECMP over three directors (direct path)', function () {
  this.timeout(150_000);
  let lab: Lab;
  let spec: ClusterSpec;
  let dir: string;
  let deployed = false;
  const hosts = () => lab.topo.hosts.filter((h) => h.role !== 'client').map((h) => h.name);
  const baseline: Record<string, string> = {};

  before(async function () {
    if ((await run('sh', ['-c', 'command -v bird && command -v birdc'])).code !== 0)
      return this.skip(); // BIRD 2 (Debian bird2) is not installed: nothing to announce with
    lab = testLab('aa', { mode: 'active-active' });
    await lab.up();
    dir = mkdtempSync(path.join(tmpdir(), 'kts-aa-stack-'));
    spec = writeLabStack(lab, dir);
    for (const h of hosts()) baseline[h] = await hostState(lab, h);
  });

  after(async () => {
    if (deployed)
      await applySteps(lab, hostSteps(spec, lab.stack).reverse(), 'delete').catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
    lab?.down();
  });

  it('deploys; gw routes the VIP over 3 directors; cl is served; new flows use every director', async () => {
    const t0 = Date.now();
    deployed = true;
    await applySteps(lab, hostSteps(spec, lab.stack, daemonArtifact(spec)), 'create');
    const deploySeconds = (Date.now() - t0) / 1000;
    const ecmpSeconds = await waitForEcmp(lab, spec, 30_000);
    console.log(
      `      deploy (direct) ${deploySeconds.toFixed(1)} s; gw has 3 next hops ${ecmpSeconds.toFixed(1)} s later`,
    );

    const gw = lab.host('gw').ns;
    const routes = JSON.parse((await run('ip', ['-n', gw, '-j', 'route', 'show', VIP])).stdout) as {
      dst: string;
      protocol: string;
      nexthops?: { gateway: string; dev: string }[];
    }[];
    assert.equal(routes.length, 1, JSON.stringify(routes));
    assert.equal(routes[0].protocol, 'bird');
    assert.deepEqual((routes[0].nexthops ?? []).map((h) => h.gateway).sort(), [
      '198.51.100.11',
      '198.51.100.12',
      '198.51.100.13',
    ]);

    const directors = spec.directors.map((d) => d.name);
    for (const d of directors) {
      const r = await lab.exec(d, ['sh', '-c', counterScript(spec.interface)]);
      assert.equal(r.code, 0, `${d}: ${r.stderr}`);
    }
    try {
      // one new connection (new source port) per request
      const r = await lab.exec(
        'cl',
        ['sh', '-c', `for i in $(seq ${FLOWS}); do curl -s -m 2 http://${VIP}/ || echo FAIL; done`],
        { timeoutMs: 90_000 },
      );
      const answers = r.stdout.trim().split('\n');
      assert.equal(answers.length, FLOWS, r.stdout + r.stderr);
      const realServers = new Set(spec.realServers.map((s) => s.name));
      for (const a of answers)
        assert.ok(realServers.has(a), `answer "${a}" is not a real server's`);

      const syns: Record<string, number> = {};
      for (const d of directors) {
        const out = (await lab.exec(d, ['nft', 'list', 'table', 'netdev', COUNTER])).stdout;
        syns[d] = Number(/packets (\d+)/.exec(out)?.[1] ?? 0);
      }
      console.log(`      new flows per director: ${JSON.stringify(syns)}`);
      const total = Object.values(syns).reduce((a, b) => a + b, 0);
      assert.ok(total >= FLOWS, `${total} SYNs counted for ${FLOWS} flows`);
      for (const d of directors)
        assert.ok(syns[d] > 0, `no new flow reached ${d}: ${JSON.stringify(syns)}`);
    } finally {
      for (const d of directors) await lab.exec(d, ['nft', 'delete', 'table', 'netdev', COUNTER]);
    }
  });

  it('delete leaves every host as it was before the deploy', async () => {
    const t0 = Date.now();
    await applySteps(lab, hostSteps(spec, lab.stack).reverse(), 'delete');
    deployed = false;
    console.log(`      destroy (direct) ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const h of hosts()) assert.equal(await hostState(lab, h), baseline[h], `${h} differs`);
  });
});
