// Pulumi ComponentResources for a director pair and a real-server pool. Each
// host step of plan.ts becomes one @pulumi/command remote.Command over SSH
// with the host key pinned, in the plan's order. Conventions of pulumi-eks /
// awsx: (name, args, opts), children parented to the component, registerOutputs last.
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import * as path from 'node:path';
import { routerSteps } from './bird-step';
import {
  directorSteps,
  realServerSteps,
  type DaemonArtifact,
  type Step,
  type StepKind,
} from './plan';
import { directorViews, type ClusterSpec } from './spec';

export interface SshAccess {
  user: string;
  port: number;
  /** a secret */
  privateKey: pulumi.Input<string>;
  /** pinned host keys by host name */
  hostKeys: Record<string, string>;
}

function connection(step: Step, ssh: SshAccess): command.types.input.remote.ConnectionArgs {
  const hostKey = ssh.hostKeys[step.host];
  if (!hostKey) throw new Error(`keepalive: no pinned host key for ${step.host}`);
  return {
    host: step.ssh,
    port: ssh.port,
    user: ssh.user,
    privateKey: pulumi.secret(ssh.privateKey),
    hostKey,
  };
}

/**
 * One remote.Command per step. What a step writes is in its inputs (script
 * text, stdin), so a change is an update that runs the step's update script
 * (a config reload, never a restart) and `pulumi preview --diff` shows it;
 * secret values travel on a secret stdin.
 */
function stepCommand(name: string, step: Step, ssh: SshAccess, opts: pulumi.CustomResourceOptions) {
  return new command.remote.Command(
    name,
    {
      connection: connection(step, ssh),
      create: step.create,
      // without `update` the provider runs `create` on an update (the text shows once in diffs)
      ...(step.update !== undefined ? { update: step.update } : {}),
      delete: step.delete,
      ...(step.stdin !== undefined
        ? { stdin: step.stdinSecret ? pulumi.secret(step.stdin) : step.stdin }
        : {}),
    },
    // host state: remove the old before creating the new (no create-before-delete race)
    { deleteBeforeReplace: true, additionalSecretOutputs: ['stdout', 'stderr'], ...opts },
  );
}

/**
 * One host's steps as resources, each depending on the steps it names in
 * `after`; `make` builds the resource of one step.
 */
function wireSteps<R extends pulumi.Resource>(
  steps: Step[],
  make: (step: Step, dependsOn: pulumi.Resource[]) => R,
): R[] {
  const made = new Map<StepKind, R>();
  for (const step of steps) {
    const dependsOn = step.after.flatMap((k) => made.get(k) ?? []);
    made.set(step.kind, make(step, dependsOn));
  }
  return [...made.values()];
}

/** Every host's steps as plain commands under `parent`, named `NAME-HOST-KIND`. */
function hostCommands(parent: pulumi.Resource, name: string, steps: Step[][], ssh: SshAccess) {
  return steps.flatMap((hostSteps) =>
    wireSteps(hostSteps, (step, dependsOn) =>
      stepCommand(`${name}-${step.host}-${step.kind}`, step, ssh, { parent, dependsOn }),
    ),
  );
}

export interface DaemonInstallArgs {
  step: Step;
  ssh: SshAccess;
}

/**
 * Ships the daemon to one director: the bundle (compiled JS + native addon, on
 * stdin; no npm on the host) or a package (our .deb, copied over SFTP first:
 * only its hash and path go into the state, not its tens of megabytes).
 */
export class DaemonInstall extends pulumi.ComponentResource {
  readonly command: command.remote.Command;
  readonly upload?: command.remote.CopyToRemote;
  constructor(name: string, args: DaemonInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super('keepalive:lvs:DaemonInstall', name, {}, opts);
    const up = args.step.upload;
    if (up) {
      // CopyToRemote does not create folders: the step's own SSH session does, first
      const dir = new command.remote.Command(
        `${name}-upload-dir`,
        {
          connection: connection(args.step, args.ssh),
          create: `mkdir -p ${JSON.stringify(up.remotePath.replace(/\/[^/]+$/, ''))}`,
        },
        { parent: this },
      );
      this.upload = new command.remote.CopyToRemote(
        `${name}-upload`,
        {
          connection: connection(args.step, args.ssh),
          source: new pulumi.asset.FileAsset(up.file),
          remotePath: up.remotePath,
          triggers: [up.sha256],
        },
        { parent: this, dependsOn: [dir], deleteBeforeReplace: true },
      );
    }
    this.command = stepCommand(`${name}-cmd`, args.step, args.ssh, {
      parent: this,
      ...(this.upload ? { dependsOn: [this.upload] } : {}),
    });
    this.registerOutputs({ host: args.step.host });
  }
}

export interface DirectorPairArgs {
  spec: ClusterSpec;
  stack: string;
  ssh: SshAccess;
  /** what the install step ships (components/bundle.ts daemonArtifact) */
  artifact?: DaemonArtifact;
}

export class DirectorPair extends pulumi.ComponentResource {
  readonly vip: pulumi.Output<string>;
  readonly master: pulumi.Output<string>;
  readonly backups: pulumi.Output<string[]>;
  readonly configHashes: pulumi.Output<Record<string, string>>;
  /** Prometheus endpoints of the directors (keepalive-ts with metricsListen) */
  readonly metricsEndpoints: pulumi.Output<Record<string, string>>;
  readonly installs: DaemonInstall[] = [];
  readonly commands: command.remote.Command[] = [];

  constructor(name: string, args: DirectorPairArgs, opts?: pulumi.ComponentResourceOptions) {
    super('keepalive:lvs:DirectorPair', name, {}, opts);
    const hashes: Record<string, string> = {};
    for (const steps of directorSteps(args.spec, args.stack, args.artifact)) {
      wireSteps(steps, (step, dependsOn) => {
        const rname = `${name}-${step.host}-${step.kind}`;
        const opts = { parent: this, dependsOn };
        switch (step.kind) {
          case 'install': {
            const inst = new DaemonInstall(rname, { step, ssh: args.ssh }, opts);
            this.installs.push(inst);
            return inst;
          }
          case 'config':
            hashes[step.host] = step.hash;
            break;
        }
        const cmd = stepCommand(rname, step, args.ssh, opts);
        this.commands.push(cmd);
        return cmd;
      });
    }
    // active-active has no master: every director forwards
    const views = args.spec.mode === 'active-active' ? [] : directorViews(args.spec);
    this.vip = pulumi.output(args.spec.vip);
    this.master = pulumi.output(views.find((v) => v.state === 'MASTER')?.director.name ?? '');
    this.backups = pulumi.output(
      views.filter((v) => v.state === 'BACKUP').map((v) => v.director.name),
    );
    this.configHashes = pulumi.output(hashes);
    const ml = args.spec.daemon === 'keepalive-ts' ? args.spec.metricsListen : undefined;
    this.metricsEndpoints = pulumi.output(
      Object.fromEntries(
        ml
          ? args.spec.directors.map((d) => {
              const [host, port] = ml.split(':');
              return [d.name, `http://${host === '0.0.0.0' ? d.address : host}:${port}/metrics`];
            })
          : [],
      ),
    );
    this.registerOutputs({
      vip: this.vip,
      master: this.master,
      backups: this.backups,
      configHashes: this.configHashes,
      metricsEndpoints: this.metricsEndpoints,
    });
  }
}

export interface UpstreamRouterArgs {
  spec: ClusterSpec;
  stack: string;
  ssh: SshAccess;
}

/**
 * Active-active: the upstream router the directors announce the VIP to, when
 * the suite manages it (bgp.router.ssh): ECMP sysctls, then BIRD.
 */
export class UpstreamRouter extends pulumi.ComponentResource {
  readonly commands: command.remote.Command[];

  constructor(name: string, args: UpstreamRouterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('keepalive:lvs:UpstreamRouter', name, {}, opts);
    this.commands = hostCommands(this, name, routerSteps(args.spec, args.stack), args.ssh);
    this.registerOutputs({});
  }
}

export interface RealServerPoolArgs {
  spec: ClusterSpec;
  stack: string;
  ssh: SshAccess;
}

export class RealServerPool extends pulumi.ComponentResource {
  readonly servers: pulumi.Output<string[]>;
  readonly commands: command.remote.Command[];

  constructor(name: string, args: RealServerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super('keepalive:lvs:RealServerPool', name, {}, opts);
    this.commands = hostCommands(this, name, realServerSteps(args.spec, args.stack), args.ssh);
    this.servers = pulumi.output(args.spec.realServers.map((r) => r.name));
    this.registerOutputs({ servers: this.servers });
  }
}

export interface FailoverCheckArgs {
  spec: ClusterSpec;
  stack: string;
  /** the deployment it verifies: any change here runs the verification again */
  configHashes: pulumi.Input<Record<string, string>>;
  realServers: pulumi.Input<string[]>;
  /** how the verifier reaches the hosts (the key travels to it as a secret on stdin) */
  ssh: SshAccess;
  /** the verifier's entry point (default: the built verify next to this file) */
  verifier?: string;
}

export interface FailoverStep {
  name: string;
  measured_s: number | null;
  bound_s: number | null;
  pass: boolean;
  detail: string;
}

/**
 * The post-deploy failover verification: runs verify from
 * where the engine runs (it reaches the hosts over SSH with pinned keys) once
 * the pair and pool are ready. A failed verification fails `pulumi up` with
 * the verifier's table; a passed one becomes the `verdict` and `steps` outputs.
 */
export class FailoverCheck extends pulumi.ComponentResource {
  readonly verdict: pulumi.Output<string>;
  readonly steps: pulumi.Output<FailoverStep[]>;
  readonly command: command.local.Command;

  constructor(name: string, args: FailoverCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    super('keepalive:lvs:FailoverCheck', name, {}, opts);
    const verifier = args.verifier ?? path.resolve(__dirname, '../verify/main.js');
    const flags = args.spec.failoverCheck.hard ? ' --hard' : '';
    this.command = new command.local.Command(
      `${name}-verify`,
      {
        create: `${JSON.stringify(process.execPath)} ${JSON.stringify(verifier)} --stack ${args.stack} --json --spec-stdin${flags}`,
        // the declaration as the engine decrypted it: secrets in the stack file are
        // unreadable without the engine, so the verifier does not read the file
        stdin: pulumi.secret(
          pulumi.output(args.ssh.privateKey).apply((privateKey) =>
            JSON.stringify({
              spec: { ...args.spec, authPass: undefined },
              ssh: { ...args.ssh, privateKey },
            }),
          ),
        ),
        // the engine already runs where the hosts are reachable (the lab's ops namespace)
        environment: { KEEPALIVE_VERIFY_IN_NETNS: 'pulumi' },
        triggers: [args.configHashes, args.realServers],
        // the update shows the verifier's table (stderr); its JSON (stdout) becomes the outputs
        logging: 'stderr',
      },
      // a component's dependsOn does not reach its children: wait for the pair and pool explicitly
      { parent: this, dependsOn: opts?.dependsOn },
    );
    const report = this.command.stdout.apply(
      (out) => JSON.parse(out || '{}') as { verdict?: string; steps?: FailoverStep[] },
    );
    this.verdict = report.apply((r) => r.verdict ?? 'unknown');
    this.steps = report.apply((r) => r.steps ?? []);
    this.registerOutputs({ verdict: this.verdict, steps: this.steps });
  }
}
