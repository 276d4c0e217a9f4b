// The component provider behind the keepalive package (provider/ is the
// plugin folder the engine runs): serves the schema derived from the zod
// ClusterSpec and constructs keepalive:lvs:Cluster for programs in any Pulumi
// language. An invalid declaration is refused with each problem at its
// property path (cluster.directors[1].priority), never a stack trace.
import * as pulumi from '@pulumi/pulumi';
import * as provider from '@pulumi/pulumi/provider';
import { Cluster } from './cluster';
import { CLUSTER_TYPE, packageSchema } from './package-schema';
import { parseClusterSpec, SpecError } from './spec';

/**
 * A construct input as plain data: nested Outputs (secrets, values with
 * dependencies) resolved. The declaration comes from stack config, known at
 * preview; an unknown part is refused with its path.
 */
export async function settle(v: unknown, at = ''): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) {
    const out = v as pulumi.Output<unknown>;
    // false for a value only known after an update (another resource's output); apply would
    // never call back then. isKnown is the SDK's internal promise (not in its typings).
    if (!(await (out as unknown as { isKnown: Promise<boolean> }).isKnown))
      throw new SpecError([
        { path: at, message: 'must be known at preview (a literal or stack config)' },
      ]);
    return settle(await new Promise((resolve) => out.apply(resolve)), at);
  }
  if (Array.isArray(v)) return Promise.all(v.map((x, i) => settle(x, `${at}[${i}]`)));
  if (v && typeof v === 'object')
    return Object.fromEntries(
      await Promise.all(
        Object.entries(v as Record<string, unknown>).map(
          async ([k, x]) => [k, await settle(x, at ? `${at}.${k}` : k)] as const,
        ),
      ),
    );
  return v;
}

/** SpecError -> the engine's per-property error (shown as `property cluster.vip ...: message`). */
export function inputError(e: SpecError): pulumi.InputPropertiesError {
  return new pulumi.InputPropertiesError({
    message: 'the declaration does not match ClusterSpec (components/spec.ts)',
    errors: e.problems.map((p) => ({
      propertyPath: `cluster${p.path && !p.path.startsWith('[') ? '.' : ''}${p.path}`,
      reason: p.message,
    })),
  });
}

export class KeepaliveProvider implements provider.Provider {
  constructor(readonly version: string) {}

  async getSchema(): Promise<string> {
    return JSON.stringify(packageSchema(this.version));
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    if (type !== CLUSTER_TYPE) throw new Error(`keepalive: unknown component type ${type}`);
    let cluster: Cluster;
    try {
      const spec = parseClusterSpec(await settle(inputs.cluster), 'cluster');
      cluster = new Cluster(name, { cluster: spec }, options);
    } catch (e) {
      if (e instanceof SpecError) throw inputError(e);
      throw e;
    }
    return { urn: cluster.urn, state: { ...cluster.outputs } };
  }
}
