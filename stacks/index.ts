// The Pulumi program: one declaration (stack config `keepalive:cluster`) ->
// a configured real-server pool, then the director pair in front of it, then
// the failover verification (components/cluster.ts; the YAML program in
// stacks/yaml deploys the same through the keepalive:lvs:Cluster component).
import * as pulumi from '@pulumi/pulumi';
import { deployCluster } from '../components/cluster';
import { parseClusterSpec, SpecError } from '../components/spec';

const stack = pulumi.getStack();
const cfg = new pulumi.Config('keepalive');

function deploy() {
  try {
    return deployCluster(parseClusterSpec(cfg.requireObject('cluster')), stack);
  } catch (e) {
    // a clear message naming the config path, never a stack trace
    throw new pulumi.RunError(e instanceof SpecError ? e.issues.join('\n') : (e as Error).message);
  }
}

const cluster = deploy();
export const vip = cluster.vip;
export const master = cluster.master;
export const backups = cluster.backups;
export const configHashes = cluster.configHashes;
export const metricsEndpoints = cluster.metricsEndpoints;
export const realServers = cluster.realServers;
export const failover = cluster.failover;
