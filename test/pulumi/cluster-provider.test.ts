// The component provider under Pulumi's mock runtime (offline): construct of
// keepalive:lvs:Cluster validates the declaration it is given (secrets and
// dependencies included) with the zod ClusterSpec and registers the same
// components and host steps as the TypeScript program, under the Cluster.
import { strict as assert } from 'node:assert';
import * as pulumi from '@pulumi/pulumi';
import { labHostSteps } from './lab-steps';
import { CLUSTER_TYPE } from '../../components/package-schema';
import { KeepaliveProvider, settle } from '../../components/provider';
import { maskSecrets } from '../../components/stack-file';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../components/stack-file';

interface Registered {
  type: string;
  name: string;
  parent?: string;
}

/** the lab's declaration as YAML gives it (raw, defaults not filled), keys inline, keepalived */
function labDeclaration(): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(projectRoot(), 'stacks/Pulumi.lab.yaml'), 'utf8')) as {
    config: Record<string, Record<string, unknown>>;
  };
  const c = maskSecrets(doc.config['keepalive:cluster']) as Record<string, unknown>;
  c.daemon = 'keepalived'; // no bundle to build
  c.ssh = {
    privateKey: 'PRIVATE-KEY-TEXT',
    hostKeys: Object.fromEntries(
      ['d1', 'd2', 'rs1', 'rs2', 'cl'].map((h) => [h, `ssh-ed25519 K${h}`]),
    ),
  };
  return c;
}

/** an Output's value (apply runs once it is known) */
const value = <T>(o: pulumi.Input<T>) =>
  new Promise<unknown>((resolve) => pulumi.output(o).apply((v) => resolve(v)));

describe('keepalive component provider (mocks)', function () {
  this.timeout(30_000);
  const registered: Registered[] = [];
  const provider = new KeepaliveProvider('0.0.0-test');

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          registered.push({ type: a.type, name: a.name });
          const stdout =
            a.type === 'command:local:Command'
              ? JSON.stringify({ verdict: 'pass', steps: [] })
              : '';
          return { id: `${a.name}-id`, state: { ...a.inputs, stdout } };
        },
        call: () => ({}),
      },
      'keepalive',
      'lab',
      false,
    );
  });

  it('settles nested outputs and secrets into plain data; an unknown part is refused with its path', async () => {
    const v = await settle({
      a: pulumi.secret('s'),
      b: [pulumi.output(1), { c: pulumi.output(pulumi.secret(true)) }],
    });
    assert.deepEqual(v, { a: 's', b: [1, { c: true }] });
    // what the engine sends for a value only known after an update
    const unknown = pulumi.output(pulumi.unknown);
    await assert.rejects(settle({ d: [0, unknown] }), /d\[1\]: must be known at preview/);
  });

  it('constructs the Cluster: the same components and host steps, named after it, under it', async () => {
    const raw = labDeclaration();
    // the password arrives as a secret inside the declaration
    raw.authPass = pulumi.secret('lab1234');
    const r = await provider.construct('lvs', CLUSTER_TYPE, { cluster: raw }, {});
    assert.match(String(await value(r.urn)), /::keepalive:lvs:Cluster::lvs$/);
    const state = r.state as Record<string, pulumi.Output<unknown>>;
    assert.equal(await value(state.master), 'd1');
    assert.deepEqual(await value(state.realServers), ['rs1', 'rs2']);
    assert.deepEqual(await value(state.failover), { verdict: 'pass', steps: [] });
    const names = (t: string) =>
      registered
        .filter((x) => x.type === t)
        .map((x) => x.name)
        .sort();
    assert.deepEqual(names('keepalive:lvs:RealServerPool'), ['lvs-pool']);
    assert.deepEqual(names('keepalive:lvs:DirectorPair'), ['lvs-pair']);
    assert.deepEqual(names('keepalive:lvs:FailoverCheck'), ['lvs-failover']);
    assert.deepEqual(names('command:remote:Command'), labHostSteps('lvs'));
  });

  it('refuses an invalid declaration with each problem at its property path, registering nothing', async () => {
    const before = registered.length;
    const raw = labDeclaration();
    (raw.directors as Record<string, unknown>[])[1].priority = 999;
    raw.vrrpVersion = 4;
    await assert.rejects(
      provider.construct('bad', CLUSTER_TYPE, { cluster: raw }, {}),
      (e: pulumi.InputPropertiesError) => {
        assert.ok(pulumi.InputPropertiesError.isInstance(e), String(e));
        assert.deepEqual(e.errors.map((x) => x.propertyPath).sort(), [
          'cluster.directors[1].priority',
          'cluster.vrrpVersion',
        ]);
        return true;
      },
    );
    assert.equal(registered.length, before);
  });

  it('a missing key file is refused naming the property, not with a stack trace', async () => {
    const raw = labDeclaration();
    raw.ssh = {
      privateKeyFile: '/nonexistent/key',
      hostKeys: (raw.ssh as { hostKeys: object }).hostKeys,
    };
    await assert.rejects(
      provider.construct('nokey', CLUSTER_TYPE, { cluster: raw }, {}),
      (e: pulumi.InputPropertiesError) => {
        assert.deepEqual(
          e.errors.map((x) => x.propertyPath),
          ['cluster.ssh.privateKeyFile'],
        );
        assert.match(e.errors[0].reason, /ENOENT/);
        return true;
      },
    );
  });

  it('serves the schema and refuses a type it does not have', async () => {
    const schema = JSON.parse(await provider.getSchema()) as { version: string; resources: object };
    assert.equal(schema.version, '0.0.0-test');
    assert.deepEqual(Object.keys(schema.resources), [CLUSTER_TYPE]);
    await assert.rejects(
      provider.construct('x', 'keepalive:lvs:Nope', {}, {}),
      /unknown component type keepalive:lvs:Nope/,
    );
  });
});
