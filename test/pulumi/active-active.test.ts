// deployCluster for mode active-active under Pulumi's mock runtime (offline):
// the managed upstream router's steps (sysctl, BIRD), the directors' VIP and
// BIRD steps, and the verifier's active-active check (FailoverCheck).
import { strict as assert } from 'node:assert';
import * as pulumi from '@pulumi/pulumi';
import { deployCluster } from '../../components/cluster';
import { parseClusterSpec } from '../../components/spec';
import { activeActive } from '../unit/components/spec-fixtures';

interface Registered {
  type: string;
  name: string;
}

const value = <T>(o: pulumi.Input<T>) =>
  new Promise<unknown>((resolve) => pulumi.output(o).apply((v) => resolve(v)));

describe('Pulumi components (mocks): active-active', function () {
  this.timeout(60_000);
  const registered: Registered[] = [];

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.push({ type: a.type, name: a.name });
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
      },
      'keepalive',
      'aa',
      false,
    );
  });

  it('router and director BIRD/VIP steps, then the active-active verification', async () => {
    const hosts = ['d1', 'd-2', 'd3', 'rs1', 'gw'];
    const spec = parseClusterSpec(
      activeActive(
        {
          ssh: {
            privateKey: 'PRIVATE',
            hostKeys: Object.fromEntries(
              hosts.map((h) => [h, `ssh-ed25519 K${h.replace('-', '')}`]),
            ),
          },
        },
        { router: { address: '198.51.100.1', asn: 65000, name: 'gw', ssh: '198.51.100.1' } },
      ),
    );
    const out = deployCluster(spec, 'aa');
    assert.equal(await value(out.master), '');
    // commands register once their inputs resolve
    for (let i = 0; i < 100 && registered.length < 25; i++)
      await new Promise((r) => setTimeout(r, 20));
    const cmds = registered.filter((x) => x.type === 'command:remote:Command').map((x) => x.name);
    for (const n of [
      'router-gw-sysctl',
      'router-gw-bird',
      'pair-d1-vip',
      'pair-d1-bird',
      'pair-d3-config',
    ])
      assert.ok(cmds.includes(n), `${n} in ${cmds.join(', ')}`);
    // the verifier runs from where the engine runs (a local command), with the declaration on stdin
    const local = registered.filter((x) => x.type === 'command:local:Command').map((x) => x.name);
    assert.deepEqual(local, ['failover-verify']);
  });
});
