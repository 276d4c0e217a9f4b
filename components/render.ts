// Every file every host gets, rendered from the one declaration with the
// handlebars templates in templates/. Pure (reads only the templates), so
// `npm run render`, the components and the tests share it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import { directorViews, type ClusterSpec } from './spec';

export const TEMPLATES = path.resolve(__dirname, '../../templates');

const hb = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();
/** A template of templates/, compiled once. */
export function template(name: string): HandlebarsTemplateDelegate {
  let t = cache.get(name);
  if (!t) {
    // noEscape: these are config files, not HTML
    t = hb.compile(readFileSync(path.join(TEMPLATES, name), 'utf8'), {
      noEscape: true,
      strict: true,
    });
    cache.set(name, t);
  }
  return t;
}

export interface HostFile {
  path: string;
  content: string;
  mode: number;
}

export interface RenderedDirector {
  name: string;
  ssh: string;
  state: 'MASTER' | 'BACKUP';
  priority: number;
  config: HostFile;
  /**
   * The config with every secret as its placeholder: what previews and diffs
   * show; the host puts the values (`secrets`, in order) back in.
   */
  maskedConfig: string;
  secrets: { placeholder: string; value: string }[];
  sysctl: HostFile;
  unit?: HostFile;
  /** active-active: the VIP on lo (as on a real server), every director forwards for it */
  vipOnLo?: { script: HostFile; unit: HostFile };
}

export interface RenderedRealServer {
  name: string;
  ssh: string;
  sysctl: HostFile;
  vipScript: HostFile;
  unit: HostFile;
}

export interface RenderedCluster {
  vip: string;
  directors: RenderedDirector[];
  realServers: RenderedRealServer[];
}

export const paths = (c: ClusterSpec) => ({
  config: `${c.configDir}/keepalived.conf`,
  directorSysctl: '/etc/sysctl.d/60-keepalive-director.conf',
  realServerSysctl: '/etc/sysctl.d/60-keepalive-realserver.conf',
  vipScript: `${c.configDir}/vip-lo.sh`,
  vipUnit: '/etc/systemd/system/keepalive-vip-lo.service',
  daemonUnit: '/etc/systemd/system/keepalive-ts.service',
});

export const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** What a secret looks like in a masked config. */
export const secretPlaceholder = (name: string) => `<secret:${name}>`;

export function renderCluster(c: ClusterSpec, stack: string): RenderedCluster {
  const p = paths(c);
  const vipAddress = c.vip.split('/')[0];
  const services = c.services.map((s) => ({ ...s, isHttp: s.check.type !== 'TCP_CHECK' }));
  const anyNat = c.services.some((s) => s.lbKind === 'NAT');
  const anyDr = c.services.some((s) => s.lbKind === 'DR');
  const activeActive = c.mode === 'active-active' && !!c.bgp;
  const vipOnLo = {
    script: {
      path: p.vipScript,
      content: template('vip-lo.sh.hbs')({ stack, vipAddress }),
      mode: 0o755,
    },
    unit: {
      path: p.vipUnit,
      content: template('keepalive-vip-lo.service.hbs')({
        stack,
        vipAddress,
        configDir: c.configDir,
      }),
      mode: 0o644,
    },
  };
  const directors = directorViews(c).map((v) => {
    const authPass = c.vrrpVersion === 2 ? (c.authPass ?? false) : false;
    // a placeholder (the stack file read without the engine) stays as it is
    const known = authPass && !authPass.startsWith('<secret:') ? authPass : false;
    const secrets = known ? [{ placeholder: secretPlaceholder('authPass'), value: known }] : [];
    const conf = (masked: boolean) =>
      template('keepalive.conf.hbs')({
        stack,
        daemonName: c.daemon,
        director: v.director,
        state: v.state,
        priority: v.priority,
        peers: v.peers,
        vrrpVersion: c.vrrpVersion,
        // active-active: no VRRP instance; the bgp_announce block drives the route instead
        vrrp: !activeActive,
        bgp: activeActive ? c.bgp : false,
        // keepalived does not know lvs_backend: only an explicit choice is written, and only for keepalive-ts
        lvsBackend: c.daemon === 'keepalive-ts' && c.lvsBackend !== 'auto' ? c.lvsBackend : false,
        metricsListen: c.daemon === 'keepalive-ts' && c.metricsListen ? c.metricsListen : false,
        vrrpRtPriority: vrrpRtPriority(c),
        virtualRouterId: c.virtualRouterId,
        instanceName: c.instanceName,
        interface: c.interface,
        advertInt: c.advertInt,
        authPass: masked && known ? secretPlaceholder('authPass') : authPass,
        unicast: c.unicast,
        vip: c.vip,
        vipAddress,
        // split-brain defences are keepalive-ts features (keepalived does not know the keywords)
        ...splitBrainData(c),
        services,
        realServers: c.realServers,
      });
    return {
      name: v.director.name,
      ssh: v.director.ssh,
      state: v.state,
      priority: v.priority,
      config: { path: p.config, content: conf(false), mode: 0o600 },
      maskedConfig: conf(true),
      secrets,
      sysctl: {
        path: p.directorSysctl,
        content: template('director-sysctl.conf.hbs')({
          stack,
          interface: c.interface,
          nat: anyNat,
          activeActive,
        }),
        mode: 0o644,
      },
      ...(activeActive ? { vipOnLo } : {}),
      ...(c.daemon === 'keepalive-ts'
        ? {
            unit: {
              path: p.daemonUnit,
              content: template('keepalive-ts.service.hbs')({
                stack,
                nodePath: '/usr/bin/node',
                installDir: c.installDir,
                configPath: p.config,
              }),
              mode: 0o644,
            },
          }
        : {}),
    };
  });
  const realServers = c.realServers.map((r) => ({
    name: r.name,
    ssh: r.ssh,
    sysctl: {
      path: p.realServerSysctl,
      content: anyDr
        ? template('realserver-sysctl.conf.hbs')({ stack, interface: c.realServerInterface })
        : '',
      mode: 0o644,
    },
    vipScript: vipOnLo.script,
    unit: vipOnLo.unit,
  }));
  return { vip: c.vip, directors, realServers };
}

function splitBrainData(c: ClusterSpec) {
  const ks = c.daemon === 'keepalive-ts';
  const sb = c.splitBrain;
  // fall (2) x interval must stay below 3 x advert_int: the guard has to act before a takeover would
  const interval = Math.max(0.05, Math.round((c.advertInt / 2) * 100) / 100);
  return {
    referenceIp: ks && sb.referenceIp ? sb.referenceIp : false,
    refInterval: interval,
    refTimeout: Math.max(0.05, Math.round(interval * 0.8 * 100) / 100),
    heartbeatInterface: ks && sb.heartbeatInterface ? sb.heartbeatInterface : false,
    fenceCommand: ks && sb.fenceCommand ? sb.fenceCommand : false,
    fencePolicy: sb.fencePolicy ?? 'require',
  };
}

/** global_defs vrrp_rt_priority (both daemons know it): the declaration's, else 50 below 0.1 s adverts */
export function vrrpRtPriority(
  c: Pick<ClusterSpec, 'advertInt' | 'vrrpRealtimePriority'>,
): number | false {
  const p = c.vrrpRealtimePriority ?? (c.advertInt < 0.1 ? 50 : 0);
  return p > 0 ? p : false;
}
