// The one declaration of a cluster (stack config `keepalive:cluster`), defined
// once with zod. Templates, components, the render script and the docs all
// derive from ClusterSpec; errors name the config path, e.g.
// `keepalive:cluster.directors[1].priority: ...`.
import { isIP } from 'node:net';
import { z } from 'zod';
import { SCHEDULERS } from '../daemon/config/model';
import { checkActiveActive, BgpSpec } from './spec-bgp';
import { pathText, SpecError } from './spec-error';

export { SpecError, type SpecProblem } from './spec-error';

const ipv4 = z.string().refine((v) => isIP(v) === 4, { message: 'must be an IPv4 address' });
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only');
const seconds = z.number().positive();

export const SshSpec = z
  .object({
    /** user to log in as (needs root) */
    user: z.string().default('root'),
    /** private key (OpenSSH/PEM): a Pulumi secret (`pulumi config set --secret`) ... */
    privateKey: z.string().min(1).optional(),
    /** ... or a file holding it (the lab writes one) */
    privateKeyFile: z.string().optional(),
    /** pinned host keys by host name: "ssh-ed25519 AAAA..." (a key is never accepted unseen) ... */
    hostKeys: z
      .record(
        z.string(),
        z.string().regex(/^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+$/, 'must be "<type> <base64>"'),
      )
      .optional(),
    /** ... or a known_hosts file naming the hosts */
    knownHostsFile: z.string().optional(),
    port: z.number().int().min(1).max(65535).default(22),
  })
  .strict()
  .refine((s) => !!s.privateKey !== !!s.privateKeyFile, {
    message: 'give exactly one of privateKey (a secret) and privateKeyFile',
  })
  .refine((s) => !!s.hostKeys !== !!s.knownHostsFile, {
    message: 'give exactly one of hostKeys and knownHostsFile',
  });

export const DirectorSpec = z
  .object({
    /** name used as router_id and in outputs */
    name,
    /** address the suite connects to over SSH */
    ssh: ipv4,
    /** this director's address on the VRRP interface (unicast source) */
    address: ipv4,
    /** default: the first director 150, the others 100 (then 50 below each other) */
    priority: z.number().int().min(1).max(254).optional(),
    /** MASTER or BACKUP; default: the first listed is MASTER */
    state: z.enum(['MASTER', 'BACKUP']).optional(),
    /** this director's address on the second heartbeat line (splitBrain.heartbeatInterface) */
    heartbeatAddress: ipv4.optional(),
  })
  .strict();

export const RealServerSpec = z
  .object({
    name,
    ssh: ipv4,
    /** address the directors forward to */
    address: ipv4,
    weight: z.number().int().min(0).max(65535).default(1),
  })
  .strict();

export const CheckSpec = z
  .object({
    type: z.enum(['TCP_CHECK', 'HTTP_GET', 'SSL_GET']).default('TCP_CHECK'),
    /** for HTTP_GET / SSL_GET */
    path: z.string().default('/'),
    statusCode: z
      .string()
      .regex(/^\d{3}(-\d{3})?( \d{3}(-\d{3})?)*$/)
      .optional(),
    connectTimeout: seconds.default(3),
    retry: z.number().int().min(0).default(3),
    delayBeforeRetry: seconds.default(3),
    delayLoop: seconds.default(6),
  })
  .strict();

export const ServiceSpec = z
  .object({
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(['TCP', 'UDP']).default('TCP'),
    /** any scheduler keepalived's lb_algo takes (one list, the daemon's) */
    lbAlgo: z.enum(SCHEDULERS).default('rr'),
    lbKind: z.enum(['DR', 'NAT']).default('DR'),
    /** seconds; 0 = no persistence */
    persistence: z.number().int().min(0).default(0),
    check: CheckSpec.default(CheckSpec.parse({})),
  })
  .strict();

export const ClusterSpec = z
  .object({
    /** the virtual IP, with prefix on the directors (e.g. 198.51.100.10/24) */
    vip: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/, 'must be ADDRESS/PREFIX'),
    /** director interface that carries the VIP and VRRP */
    interface: z.string().default('eth0'),
    /** real servers' interface facing the directors (for arp_ignore/arp_announce) */
    realServerInterface: z.string().default('eth0'),
    virtualRouterId: z.number().int().min(1).max(255),
    /** the vrrp_instance name in the rendered configs */
    instanceName: name.default('VI_1'),
    advertInt: z.number().positive().max(255).default(1),
    vrrpVersion: z.union([z.literal(2), z.literal(3)]).default(2),
    /** VRRPv2 PASS password (<= 8 characters), a Pulumi secret */
    authPass: z
      .string()
      .regex(
        // or, read from a stack file without the engine, the placeholder of a secret
        /^(?:[A-Za-z0-9._@%+=:,-]{1,8}|<secret:[^>]+>)$/,
        '1 to 8 characters: letters, digits and ._@%+=:,- (VRRP PASS)',
      )
      .optional(),
    /** unicast to the other director (default) or multicast 224.0.0.18 */
    unicast: z.boolean().default(true),
    directors: z.array(DirectorSpec).min(2, 'a pair needs at least two directors').max(8),
    realServers: z.array(RealServerSpec).min(1),
    services: z.array(ServiceSpec).min(1),
    ssh: SshSpec,
    splitBrain: z
      .object({
        /** reference IP (the gateway): a director that cannot reach it releases the VIP (FAULT) */
        referenceIp: ipv4.optional(),
        /** second heartbeat line: adverts also go out here to the other directors' heartbeatAddress */
        heartbeatInterface: z.string().optional(),
        /** STONITH: run before taking over from a master that vanished (its address is appended) */
        fenceCommand: z.string().optional(),
        fencePolicy: z.enum(['require', 'best-effort', 'off']).optional(),
      })
      .strict()
      .default({}),
    /** post-deploy failover verification (FailoverCheck, verify) */
    failoverCheck: z
      .object({
        /** run it at the end of every `pulumi up` that changed something */
        enabled: z.boolean().default(true),
        /** a client-side host (reachable over SSH, with node) that probes the VIP; without one only the checks that need no client run */
        probeHost: z.object({ name, ssh: ipv4 }).strict().optional(),
        /** take the master's links down instead of stopping its daemon */
        hard: z.boolean().default(false),
        /** no probe runs longer than this */
        probeSeconds: seconds.max(600).default(60),
      })
      .strict()
      .default({ enabled: true, hard: false, probeSeconds: 60 }),
    daemon: z.enum(['keepalive-ts', 'keepalived']).default('keepalive-ts'),
    /**
     * active-passive: one VRRP master holds the VIP (the pair, as keepalived does);
     * active-active: every director forwards and announces the VIP by BGP (see `bgp`)
     */
    mode: z.enum(['active-passive', 'active-active']).default('active-passive'),
    /** active-active only: the BGP session of every director to the upstream router (BIRD 2) */
    bgp: BgpSpec.optional(),
    /**
     * how the daemon reaches the directors: `package` = a Debian package (our .deb with
     * the self-contained executable, no Node.js needed; or Debian's keepalived),
     * `bundle` = the compiled daemon in a tarball run by the host's Node.js >= 20.
     * Default: bundle for keepalive-ts, package for keepalived. Destroy removes
     * exactly what install added (a package that was there before stays).
     */
    install: z.enum(['bundle', 'package']).optional(),
    /** install: package: the .deb on the deploying machine (default: the newest dist/deb/keepalive-ts_*.deb) */
    packageFile: z.string().optional(),
    /** install: bundle: where keepalive-ts is installed on the directors */
    installDir: z.string().startsWith('/').default('/opt/keepalive-ts'),
    /** where configs go on every host */
    configDir: z.string().startsWith('/').default('/etc/keepalived'),
    lvsBackend: z.enum(['auto', 'ipvs', 'nftables']).default('auto'),
    /** keepalive-ts Prometheus endpoint on every director (HOST:PORT; 0.0.0.0 = the director's address) */
    metricsListen: z
      .string()
      .regex(/^[\d.]+:\d+$/, 'must be ADDRESS:PORT')
      .optional(),
    /**
     * SCHED_RR priority of the VRRP thread (global_defs vrrp_rt_priority), 0 = normal
     * scheduling. Default: 50 for adverts faster than 0.1 s, where a scheduling delay of
     * a few ms is a missed advert (bench:steady at advert_int 0.01: 1 false failover in
     * 10 minutes without, 0 with), else 0.
     */
    vrrpRealtimePriority: z.number().int().min(0).max(99).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const dup = (
      list: { name: string; ssh: string; address: string }[],
      what: 'directors' | 'realServers',
    ) => {
      const seen = new Map<string, number>();
      list.forEach((h, i) => {
        for (const key of [`name ${h.name}`, `address ${h.address}`]) {
          const j = seen.get(key);
          if (j !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: [what, i],
              message: `duplicate ${key} (also ${what}[${j}])`,
            });
          seen.set(key, i);
        }
      });
    };
    dup(c.directors, 'directors');
    dup(c.realServers, 'realServers');
    const router = managedRouter(c);
    const hosts = [...c.directors, ...c.realServers, ...(router ? [router] : [])];
    const names = new Set<string>();
    hosts.forEach((h) => {
      if (names.has(h.name))
        ctx.addIssue({
          code: 'custom',
          path: h === router ? ['bgp', 'router', 'name'] : ['realServers'],
          message:
            h === router
              ? `${h.name} is a director or a real server`
              : `host ${h.name} is both a director and a real server`,
        });
      names.add(h.name);
      if (c.ssh.hostKeys && !c.ssh.hostKeys[h.name])
        ctx.addIssue({
          code: 'custom',
          path: ['ssh', 'hostKeys', h.name],
          message: 'missing pinned host key',
        });
    });
    const [vip, prefix] = c.vip.split('/');
    if (isIP(vip) !== 4 || Number(prefix) > 32)
      ctx.addIssue({ code: 'custom', path: ['vip'], message: 'must be ADDRESS/PREFIX' });
    else if (Number(prefix) < 32) {
      // with a /32 VIP (as in the seed) the subnet is unknown: nothing to check
      const inNet = (a: string) =>
        (toInt(a) & mask(Number(prefix))) >>> 0 === (toInt(vip) & mask(Number(prefix))) >>> 0;
      c.directors.forEach((d, i) => {
        if (!inNet(d.address))
          ctx.addIssue({
            code: 'custom',
            path: ['directors', i, 'address'],
            message: `${d.address} is outside the VIP's subnet ${c.vip}`,
          });
      });
    }
    const prios = resolvePriorities(c.directors);
    const seenPrio = new Map<number, number>();
    prios.forEach((p, i) => {
      const j = seenPrio.get(p);
      if (j !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['directors', i, 'priority'],
          message: `equal priority ${p} with directors[${j}]: who is master would depend on addresses`,
        });
      seenPrio.set(p, i);
    });
    if (c.vrrpVersion === 2 && !Number.isInteger(c.advertInt)) {
      ctx.addIssue({
        code: 'custom',
        path: ['advertInt'],
        message: 'VRRPv2 needs a whole number of seconds (use vrrpVersion 3 for sub-second)',
      });
    }
    if (c.daemon === 'keepalived' && c.install === 'bundle')
      ctx.addIssue({
        code: 'custom',
        path: ['install'],
        message: "keepalived comes from Debian's package: use install: package",
      });
    if (
      c.packageFile !== undefined &&
      (c.daemon !== 'keepalive-ts' || installMode(c) !== 'package')
    )
      ctx.addIssue({
        code: 'custom',
        path: ['packageFile'],
        message: 'only with daemon: keepalive-ts and install: package',
      });
    if (
      c.daemon === 'keepalive-ts' &&
      installMode(c) === 'package' &&
      c.configDir !== '/etc/keepalived'
    )
      ctx.addIssue({
        code: 'custom',
        path: ['configDir'],
        message:
          "install: package runs the package's unit, which reads /etc/keepalived/keepalived.conf",
      });
    if (c.vrrpVersion === 3 && c.authPass)
      ctx.addIssue({ code: 'custom', path: ['authPass'], message: 'VRRPv3 has no authentication' });
    checkActiveActive(c, ctx);
    c.services.forEach((s, i) => {
      if (c.services.findIndex((x) => x.port === s.port && x.protocol === s.protocol) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'port'],
          message: `duplicate service ${s.protocol}/${s.port}`,
        });
      }
    });
  });

export type ClusterSpec = z.infer<typeof ClusterSpec>;

/** The upstream router, when the suite configures it (active-active with bgp.router.ssh). */
export function managedRouter(
  c: Pick<ClusterSpec, 'mode' | 'bgp'>,
): { name: string; ssh: string; address: string } | undefined {
  const r = c.mode === 'active-active' ? c.bgp?.router : undefined;
  return r?.ssh && r.name ? { name: r.name, ssh: r.ssh, address: r.address } : undefined;
}

/** The install mode in effect (the declaration's, else the daemon's default). */
export function installMode(c: Pick<ClusterSpec, 'daemon' | 'install'>): 'bundle' | 'package' {
  return c.install ?? (c.daemon === 'keepalived' ? 'package' : 'bundle');
}
export type DirectorSpec = z.infer<typeof DirectorSpec>;
export type RealServerSpec = z.infer<typeof RealServerSpec>;
export type ServiceSpec = z.infer<typeof ServiceSpec>;

const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
const mask = (p: number) => (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);

/** Default priorities: first director 150, the next 100, then 50 below each other. */
export function resolvePriorities(directors: { priority?: number }[]): number[] {
  return directors.map((d, i) => d.priority ?? Math.max(1, i === 0 ? 150 : 100 - (i - 1) * 50));
}

/** Validate a raw declaration; errors name the config path (`keepalive:cluster.directors[1].priority`). */
export function parseClusterSpec(raw: unknown, root = 'keepalive:cluster'): ClusterSpec {
  const r = ClusterSpec.safeParse(raw);
  if (r.success) return r.data;
  throw new SpecError(
    r.error.issues.map((i) => ({ path: pathText(i.path), message: i.message })),
    root,
  );
}

/** What one director needs to know: its own role and the other directors. */
export interface DirectorView {
  director: DirectorSpec;
  state: 'MASTER' | 'BACKUP';
  priority: number;
  peers: DirectorSpec[];
}

export function directorViews(c: ClusterSpec): DirectorView[] {
  const prios = resolvePriorities(c.directors);
  const anyState = c.directors.some((d) => d.state);
  return c.directors.map((d, i) => ({
    director: d,
    state: d.state ?? (anyState ? 'BACKUP' : i === 0 ? 'MASTER' : 'BACKUP'),
    priority: prios[i],
    peers: c.directors.filter((_, j) => j !== i),
  }));
}

/** Parse a known_hosts file into pinned keys by host name (`name,addr,... type key`). */
export function parseKnownHosts(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [names, type, key] = line.trim().split(/\s+/);
    if (!names || !key || names.startsWith('#')) continue;
    for (const n of names.split(',')) out[n] = `${type} ${key}`;
  }
  return out;
}

/** The SSH settings with files read: privateKey and hostKeys filled in. */
export function resolveSsh(
  c: ClusterSpec,
  readFile: (p: string) => string,
  root = 'keepalive:cluster',
): ClusterSpec['ssh'] & { privateKey: string; hostKeys: Record<string, string> } {
  const read = (key: 'privateKeyFile' | 'knownHostsFile') => {
    try {
      return readFile(c.ssh[key]!);
    } catch (e) {
      // name the config path, not only the file system's error
      throw new SpecError([{ path: `ssh.${key}`, message: (e as Error).message }], root);
    }
  };
  const privateKey = c.ssh.privateKey ?? read('privateKeyFile');
  const hostKeys = c.ssh.hostKeys ?? parseKnownHosts(read('knownHostsFile'));
  const probe = c.failoverCheck.probeHost;
  const router = managedRouter(c);
  for (const h of [
    ...c.directors,
    ...c.realServers,
    ...(probe ? [probe] : []),
    ...(router ? [router] : []),
  ]) {
    if (!hostKeys[h.name])
      throw new SpecError([{ path: 'ssh', message: `no pinned host key for ${h.name}` }], root);
  }
  return { ...c.ssh, privateKey, hostKeys };
}
