// The Pulumi program: one declaration (stack config `keepalive:cluster`) ->
// a configured real-server pool, then the director pair in front of it.
import * as pulumi from '@pulumi/pulumi';
import { daemonArtifact } from '../components/bundle';
import { DirectorPair, FailoverCheck, RealServerPool } from '../components/index';
import { parseClusterSpec, resolveSsh, SpecError } from '../components/spec';
import { readConfigFile } from '../components/stack-file';

const stack = pulumi.getStack();
const cfg = new pulumi.Config('keepalive');

function load() {
  try {
    const spec = parseClusterSpec(cfg.requireObject('cluster'));
    // key files and known_hosts: relative to the project root, whatever the working directory
    return { spec, ssh: resolveSsh(spec, readConfigFile), artifact: daemonArtifact(spec) };
  } catch (e) {
    // a clear message naming the config path, never a stack trace
    throw new pulumi.RunError(e instanceof SpecError ? e.issues.join('\n') : (e as Error).message);
  }
}

const { spec, ssh, artifact } = load();
const access = {
  user: ssh.user,
  port: ssh.port,
  privateKey: pulumi.secret(ssh.privateKey),
  hostKeys: ssh.hostKeys,
};

const pool = new RealServerPool('pool', { spec, stack, ssh: access });
const pair = new DirectorPair(
  'pair',
  {
    spec,
    stack,
    ssh: access,
    artifact,
  },
  // real servers hide the VIP from ARP before the directors start sending them traffic
  { dependsOn: [pool] },
);

export const vip = pair.vip;
export const master = pair.master;
export const backups = pair.backups;
export const configHashes = pair.configHashes;
export const metricsEndpoints = pair.metricsEndpoints;
export const realServers = pool.servers;

// the deploy ends with a failover verification (opt out: failoverCheck.enabled false)
const check = spec.failoverCheck.enabled
  ? new FailoverCheck(
      'failover',
      { spec, stack, configHashes: pair.configHashes, realServers: pool.servers, ssh: access },
      { dependsOn: [pair, pool] },
    )
  : undefined;
export const failover = check
  ? pulumi.all([check.verdict, check.steps]).apply(([verdict, steps]) => ({ verdict, steps }))
  : { verdict: 'skipped', steps: [] };
