// The active-active part of the declaration: every director forwards for the
// VIP and announces it by BGP (BIRD 2) to the upstream router, which spreads
// flows over the directors by ECMP. keepalive-ts withdraws a director's route
// when it cannot serve. Rules that tie it to the rest of the declaration live
// in checkActiveActive, called from ClusterSpec's superRefine (spec.ts).
import { isIP } from 'node:net';
import { z } from 'zod';
import { WITHDRAW_POLICIES } from '../daemon/bgp/announce';
import { BIRD_NAME, BIRD_NAME_RULE } from '../daemon/core/bgp-names';

const ipv4 = z.string().refine((v) => isIP(v) === 4, { message: 'must be an IPv4 address' });
/** 4-byte AS numbers (RFC 6793); 0 and 65535/4294967295 are reserved */
const asn = z
  .number()
  .int()
  .min(1)
  .max(4294967294)
  .refine((n) => n !== 65535 && n !== 23456, { message: 'reserved AS number' });
/** a BIRD symbol: it names a protocol in the rendered configs */
const birdName = z.string().regex(BIRD_NAME, BIRD_NAME_RULE);

export const BfdSpec = z
  .object({
    /** BFD between each director and the router: a dead director is out in interval x multiplier */
    enabled: z.boolean().default(true),
    /** milliseconds between BFD packets, both directions */
    intervalMs: z.number().int().min(10).max(10000).default(100),
    /** packets missed before the session is down */
    multiplier: z.number().int().min(1).max(255).default(3),
  })
  .strict();

export const BgpSpec = z
  .object({
    /** the directors' AS number (they all share it; the router sees N equal paths) */
    localAsn: asn,
    /** the upstream router (in the lab: the gateway) */
    router: z
      .object({
        address: ipv4,
        asn,
        /** the router's interface towards the directors (its BFD sessions); default: any */
        interface: z.string().min(1).optional(),
        /**
         * the suite configures the router as well (BIRD, ECMP sysctls) when it can log in:
         * the address it connects to over SSH ...
         */
        ssh: ipv4.optional(),
        /** ... and the router's host name (its pinned host key in ssh.hostKeys / known_hosts) */
        name: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only')
          .optional(),
      })
      .strict()
      .superRefine((r, ctx) => {
        // both or neither: without ssh the router is someone else's (configured by hand)
        if (r.ssh && !r.name)
          ctx.addIssue({
            code: 'custom',
            path: ['name'],
            message: 'needed with ssh: it names the pinned host key of the router',
          });
        if (r.name && !r.ssh)
          ctx.addIssue({
            code: 'custom',
            path: ['ssh'],
            message: 'needed with name: the address the suite logs in to',
          });
      }),
    /**
     * seconds without a message before BGP drops the session (3..65535; RFC 4271's 0,
     * never, would keep a dead director's route as long as BFD is off)
     */
    holdTime: z.number().int().min(3).max(65535).default(9),
    /** seconds between keepalives (below holdTime; usually a third of it) */
    keepaliveTime: z.number().int().min(1).max(65535).default(3),
    /** seconds before BIRD retries a session that failed or never came up (BIRD's own: 120 and 60) */
    retrySeconds: z.number().int().min(1).max(300).default(5),
    bfd: BfdSpec.default({ enabled: true, intervalMs: 100, multiplier: 3 }),
    /** MULTI_EXIT_DISC sent with the VIP route (equal on every director, or ECMP breaks) */
    med: z.number().int().min(0).max(4294967295).optional(),
    /** standard communities sent with the VIP route, "ASN:VALUE" */
    communities: z
      .array(
        z
          .string()
          .regex(/^\d+:\d+$/, 'must be "ASN:VALUE"')
          .refine((s) => s.split(':').every((p) => Number(p) <= 65535), {
            message: 'each part of a standard community is 0..65535',
          }),
      )
      .default([]),
    /**
     * when a director withdraws the VIP: as soon as one service has no real server
     * left (default: no director half-serves), or only when all of them have none
     */
    withdrawWhen: z.enum(WITHDRAW_POLICIES).default('any-service-down'),
    /** seconds a director must be able to serve before it announces (again); withdrawal is immediate */
    announceAfterSeconds: z.number().min(0).max(600).default(2),
    /** the BIRD protocol keepalive-ts enables (announce) and disables (withdraw) */
    announceProtocol: birdName.default('vip_announce'),
    /** where BIRD's config goes on every director and on the router */
    configPath: z.string().startsWith('/').default('/etc/bird/bird.conf'),
    /** BIRD's control socket on the directors: keepalive-ts talks to BIRD through it */
    controlSocket: z.string().startsWith('/').default('/run/bird/bird.ctl'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.keepaliveTime >= b.holdTime)
      ctx.addIssue({
        code: 'custom',
        path: ['keepaliveTime'],
        message: `must be below holdTime (${b.holdTime})`,
      });
  });

export type BgpSpec = z.infer<typeof BgpSpec>;
export type BfdSpec = z.infer<typeof BfdSpec>;

/** Schedulers that send a flow to the same real server whichever director gets it. */
export const CONSISTENT_SCHEDULERS = ['mh'] as const;

/** What checkActiveActive reads of the declaration (structural: spec.ts imports this file). */
export interface ModeView {
  mode: 'active-passive' | 'active-active';
  bgp?: BgpSpec;
  daemon: string;
  vip: string;
  directors: { address: string; state?: string }[];
  services: { lbKind: string; lbAlgo: string }[];
  splitBrain: { heartbeatInterface?: string; fenceCommand?: string };
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void;
}

/** The rules of `mode` against the rest of the declaration; each problem named by its path. */
export function checkActiveActive(c: ModeView, ctx: IssueSink): void {
  const issue = (path: PropertyKey[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  if (c.mode === 'active-passive') {
    if (c.bgp) issue(['bgp'], 'only with mode: active-active (a pair moves the VIP by VRRP)');
    return;
  }
  if (!c.bgp) issue(['bgp'], 'mode: active-active needs a bgp block (localAsn, router)');
  if (c.daemon !== 'keepalive-ts')
    issue(['daemon'], 'active-active needs keepalive-ts: it withdraws the BGP route');
  c.directors.forEach((d, i) => {
    if (d.state) issue(['directors', i, 'state'], 'no MASTER/BACKUP in active-active: all forward');
    if (c.bgp && d.address === c.bgp.router.address)
      issue(['bgp', 'router', 'address'], `is directors[${i}]'s address`);
  });
  if (c.bgp && c.bgp.router.address === c.vip.split('/')[0])
    issue(['bgp', 'router', 'address'], 'is the VIP');
  c.services.forEach((s, i) => {
    if (s.lbKind !== 'DR')
      issue(
        ['services', i, 'lbKind'],
        'active-active needs DR: with NAT the replies must return through the director that took the flow',
      );
    if (!(CONSISTENT_SCHEDULERS as readonly string[]).includes(s.lbAlgo))
      issue(
        ['services', i, 'lbAlgo'],
        `active-active needs ${CONSISTENT_SCHEDULERS.join(' or ')} (Maglev): every director must send a flow to the same real server`,
      );
  });
  for (const key of ['heartbeatInterface', 'fenceCommand'] as const)
    if (c.splitBrain[key])
      issue(['splitBrain', key], 'VRRP only: active-active has no master to fence or heartbeat');
}
