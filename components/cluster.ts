// A whole cluster from one declaration: the real-server pool, the director
// pair in front of it and the post-deploy failover verification. The nodejs
// program (stacks/index.ts) deploys it at the top level; the Cluster component
// (keepalive:lvs:Cluster, served to other Pulumi languages by provider/) wraps
// the same resources.
import * as pulumi from '@pulumi/pulumi';
import { daemonArtifact } from './bundle';
import {
  DirectorPair,
  FailoverCheck,
  RealServerPool,
  UpstreamRouter,
  type FailoverStep,
} from './index';
import { managedRouter, resolveSsh, type ClusterSpec } from './spec';
import { readConfigFile } from './stack-file';

export interface ClusterOutputs {
  vip: pulumi.Output<string>;
  master: pulumi.Output<string>;
  backups: pulumi.Output<string[]>;
  configHashes: pulumi.Output<Record<string, string>>;
  metricsEndpoints: pulumi.Output<Record<string, string>>;
  realServers: pulumi.Output<string[]>;
  failover: pulumi.Output<{ verdict: string; steps: FailoverStep[] }>;
}

export interface DeployOptions {
  /** prefix of the resource names (none at the top level of the nodejs program) */
  prefix?: string;
  parent?: pulumi.Resource;
  /** where the declaration came from, for errors (`keepalive:cluster`) */
  root?: string;
}

/**
 * The pool, then the pair (real servers hide the VIP from ARP before the
 * directors send them traffic), then the verification (opt out:
 * failoverCheck.enabled false). Key files and known_hosts are read relative to
 * the project root, whatever the working directory.
 */
export function deployCluster(
  spec: ClusterSpec,
  stack: string,
  opts: DeployOptions = {},
): ClusterOutputs {
  const ssh = resolveSsh(spec, readConfigFile, opts.root);
  // the bundle or the package the install step ships (none for Debian's keepalived)
  const artifact = daemonArtifact(spec);
  const access = {
    user: ssh.user,
    port: ssh.port,
    privateKey: pulumi.secret(ssh.privateKey),
    hostKeys: ssh.hostKeys,
  };
  const named = (n: string) => (opts.prefix ? `${opts.prefix}-${n}` : n);
  const parent = opts.parent ? { parent: opts.parent } : {};
  const pool = new RealServerPool(named('pool'), { spec, stack, ssh: access }, parent);
  // active-active: the router first, so the directors' sessions come up at once (and go first on destroy)
  const router = managedRouter(spec)
    ? new UpstreamRouter(
        named('router'),
        { spec, stack, ssh: access },
        { ...parent, dependsOn: [pool] },
      )
    : undefined;
  const pair = new DirectorPair(
    named('pair'),
    { spec, stack, ssh: access, artifact },
    { ...parent, dependsOn: router ? [pool, router] : [pool] },
  );
  // active-active: the verifier runs its own scenario (kill, drain, add a director) instead of VRRP's
  const check = spec.failoverCheck.enabled
    ? new FailoverCheck(
        named('failover'),
        { spec, stack, configHashes: pair.configHashes, realServers: pool.servers, ssh: access },
        { ...parent, dependsOn: [pair, pool] },
      )
    : undefined;
  return {
    vip: pair.vip,
    master: pair.master,
    backups: pair.backups,
    configHashes: pair.configHashes,
    metricsEndpoints: pair.metricsEndpoints,
    realServers: pool.servers,
    failover: check
      ? pulumi.all([check.verdict, check.steps]).apply(([verdict, steps]) => ({ verdict, steps }))
      : pulumi.output({ verdict: 'skipped', steps: [] }),
  };
}

export interface ClusterArgs {
  /** the declaration, validated (parseClusterSpec) */
  cluster: ClusterSpec;
}

/** The whole suite as one component: what a YAML (or any language's) program declares. */
export class Cluster extends pulumi.ComponentResource {
  readonly outputs: ClusterOutputs;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('keepalive:lvs:Cluster', name, {}, opts);
    this.outputs = deployCluster(args.cluster, pulumi.getStack(), {
      prefix: name,
      parent: this,
      root: `${name}.cluster`,
    });
    this.registerOutputs({ ...this.outputs });
  }
}
