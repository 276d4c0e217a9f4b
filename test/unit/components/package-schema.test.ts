// The component package's schema is the zod ClusterSpec seen by other
// languages: the lab's declaration fits it, every field of ClusterSpec is in
// it with its type, and what zod knows beyond types is in the descriptions.
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import {
  CLUSTER_TYPE,
  packageSchema,
  pulumiTypesOf,
  type PulumiObjectType,
  type PulumiProperty,
} from '../../../components/package-schema';
import { ClusterSpec } from '../../../components/spec';
import { readStackSpec } from '../../../components/stack-file';
import { SCHEDULERS } from '../../../daemon/config/model';

type Types = Record<string, PulumiObjectType>;

/** Problems of a value against a Pulumi schema property (what a typed language's SDK would reject). */
function misfits(types: Types, p: PulumiProperty, v: unknown, at: string): string[] {
  if (p.$ref) {
    if (p.$ref === 'pulumi.json#/Any') return [];
    const t = types[p.$ref.replace('#/types/', '')];
    if (!t) return [`${at}: dangling ${p.$ref}`];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return [`${at}: not an object`];
    const o = v as Record<string, unknown>;
    return [
      ...(t.required ?? []).filter((k) => o[k] === undefined).map((k) => `${at}.${k}: missing`),
      ...Object.entries(o).flatMap(([k, x]) =>
        t.properties[k]
          ? misfits(types, t.properties[k], x, `${at}.${k}`)
          : [`${at}.${k}: unknown`],
      ),
    ];
  }
  switch (p.type) {
    case 'array':
      return Array.isArray(v)
        ? v.flatMap((x, i) => misfits(types, p.items!, x, `${at}[${i}]`))
        : [`${at}: not an array`];
    case 'object':
      return typeof v === 'object' && v !== null
        ? Object.entries(v).flatMap(([k, x]) =>
            misfits(types, p.additionalProperties!, x, `${at}.${k}`),
          )
        : [`${at}: not a map`];
    case 'integer':
      return Number.isInteger(v) ? [] : [`${at}: not an integer`];
    default:
      return typeof v === p.type ? [] : [`${at}: not a ${p.type}`];
  }
}

describe('component package schema (from the zod ClusterSpec)', () => {
  const schema = packageSchema('1.2.3') as {
    name: string;
    version: string;
    types: Types;
    resources: Record<
      string,
      { isComponent: boolean; inputProperties: Record<string, PulumiProperty> }
    >;
  };
  const cluster = schema.resources[CLUSTER_TYPE];
  const input = cluster.inputProperties.cluster;
  const root = schema.types['keepalive:lvs:ClusterSpec'];

  it('is the keepalive package with the Cluster component taking the declaration', () => {
    assert.equal(schema.name, 'keepalive');
    assert.equal(schema.version, '1.2.3');
    assert.equal(cluster.isComponent, true);
    assert.equal(input.$ref, '#/types/keepalive:lvs:ClusterSpec');
  });

  it('the lab declaration (and the example) fit it, with every optional part filled', () => {
    for (const stack of ['lab', 'example']) {
      const spec = readStackSpec(stack); // parsed: defaults filled in, so every field is present
      assert.deepEqual(misfits(schema.types, input, spec, 'cluster'), [], stack);
    }
  });

  it('has every field of ClusterSpec, required exactly when zod requires it', () => {
    assert.deepEqual(Object.keys(root.properties).sort(), Object.keys(ClusterSpec.shape).sort());
    const required = Object.entries(ClusterSpec.shape)
      .filter(([, f]) => !f.safeParse(undefined).success)
      .map(([k]) => k)
      .sort();
    assert.deepEqual([...(root.required ?? [])].sort(), required);
  });

  it('a declaration of the wrong shape does not fit', () => {
    const spec = readStackSpec('lab') as unknown as Record<string, unknown>;
    const bad = {
      ...spec,
      virtualRouterId: 'fifty',
      directors: [{ name: 'd1', ssh: '198.51.100.11' }],
      extra: 1,
    };
    assert.deepEqual(misfits(schema.types, input, bad, 'cluster').sort(), [
      'cluster.directors[0].address: missing',
      'cluster.extra: unknown',
      'cluster.virtualRouterId: not an integer',
    ]);
  });

  it("says in words what zod checks beyond the type: the daemon's schedulers, ranges, defaults", () => {
    const service = schema.types['keepalive:lvs:ServiceSpec'];
    for (const s of SCHEDULERS)
      assert.match(service.properties.lbAlgo.description!, new RegExp(`"${s}"`));
    assert.match(service.properties.lbAlgo.description!, /default "rr"/);
    assert.match(root.properties.virtualRouterId.description!, />= 1; <= 255/);
    assert.equal(root.properties.vrrpVersion.type, 'integer');
    assert.match(root.properties.vrrpVersion.description!, /one of 2, 3/);
    assert.equal(root.properties.ssh.$ref, '#/types/keepalive:lvs:SshSpec');
    assert.deepEqual(
      schema.types['keepalive:lvs:SshSpec'].properties.hostKeys.additionalProperties,
      {
        type: 'string',
        description: 'matches ^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+$',
      },
    );
  });

  it('follows a new field of the zod schema and refuses what Pulumi cannot type', () => {
    const s = z.object({ a: z.object({ b: z.array(z.boolean()) }), n: z.number().default(2) });
    const { types, ref } = pulumiTypesOf(z.toJSONSchema(s, { io: 'input' }) as never, 'Top');
    assert.equal(ref.$ref, '#/types/keepalive:lvs:Top');
    assert.deepEqual(types['keepalive:lvs:ASpec'].properties.b, {
      type: 'array',
      items: { type: 'boolean' },
    });
    assert.deepEqual(types['keepalive:lvs:Top'].required, ['a']);
    const mixed = z.object({ u: z.union([z.string(), z.number()]) });
    assert.throws(
      () => pulumiTypesOf(z.toJSONSchema(mixed) as never, 'M'),
      /cluster\.u has type string,number, which has no Pulumi equivalent/,
    );
  });
});
