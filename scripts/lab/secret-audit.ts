// After a lab deploy: do the VRRP password or a private key appear anywhere
// an operator or a monitoring system can read them? The places searched are
// the daemon's log, its event stream, its status (text and JSON), its metrics
// scrape and its command line on every director, and every log file of the
// lab. The rendered config (root-only, 0600) is where the password belongs
// and is not searched.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { daemonControl } from '../../components/plan';
import type { ClusterSpec } from '../../components/spec';
import type { Lab } from './lab';

export interface Exposure {
  /** where it was found, e.g. "d1 metrics" */
  where: string;
  /** which secret (its name, never its value) */
  secret: string;
}

/**
 * The secrets to look for, by name. A private key is searched by every line
 * of its base64 body long enough not to match by chance.
 */
export function secretNeedles(secrets: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(secrets)) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) {
      out[name] = value
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length >= 16 && !l.startsWith('-----'));
    } else out[name] = [value];
  }
  return out;
}

/** Pure: which secret occurs in which text. */
export function findExposures(
  texts: Record<string, string>,
  secrets: Record<string, string>,
): Exposure[] {
  const needles = secretNeedles(secrets);
  const found: Exposure[] = [];
  for (const [where, text] of Object.entries(texts))
    for (const [secret, list] of Object.entries(needles))
      if (list.some((n) => n && text.includes(n))) found.push({ where, secret });
  return found;
}

/**
 * Everything readable about the daemon on each director of `spec`, by place,
 * read with the commands the suite itself uses (components/plan.ts
 * daemonControl). Each place must have answered with something: an empty
 * place proves nothing, so it fails (the caller asked for a daemon that runs).
 */
export async function directorOutputs(
  lab: Lab,
  spec: ClusterSpec,
): Promise<Record<string, string>> {
  const ctl = daemonControl(spec);
  if (!ctl.events || !ctl.status || !ctl.logFile)
    throw new Error('secret audit: the audit reads keepalive-ts (daemon: keepalive-ts)');
  const metricsPort = spec.metricsListen?.split(':')[1];
  const texts: Record<string, string> = {};
  for (const { name: d } of spec.directors) {
    const sh = async (what: string, cmd: string) => {
      const r = await lab.exec(d, ['sh', '-c', cmd], { timeoutMs: 15_000 });
      const text = r.stdout + r.stderr;
      if (!r.stdout.trim()) throw new Error(`secret audit: ${d} ${what} said nothing: ${text}`);
      texts[`${d} ${what}`] = text;
    };
    await sh('log', `cat ${ctl.logFile}`);
    await sh('events', ctl.events);
    await sh('status --json', ctl.status);
    await sh('command line', `tr '\\0' ' ' < /proc/$(cat ${ctl.pidfile})/cmdline`);
    if (metricsPort)
      await sh('metrics', `curl -fsS --max-time 5 http://127.0.0.1:${metricsPort}/metrics`);
  }
  return texts;
}

/** Every *.log file under the lab's folder (sshd, fence agent, probes), by path. */
export function labLogs(lab: Lab): Record<string, string> {
  const texts: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log') && statSync(p).size < 64 << 20)
        texts[path.relative(lab.dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(lab.dir);
  return texts;
}

/**
 * The audit after a deploy of the lab stack: the VRRP password, the lab's
 * SSH client key and the directors' host keys, searched everywhere above (plus `extra` texts, such as the
 * engine's output). Returns the places searched and what was found there.
 */
export async function auditLabSecrets(
  lab: Lab,
  spec: ClusterSpec,
  /** the password when the stack holds it as a secret (default: the declaration's) */
  opts: { password?: string; extra?: Record<string, string> } = {},
): Promise<{ searched: string[]; exposures: Exposure[] }> {
  const texts = {
    ...(await directorOutputs(lab, spec)),
    ...labLogs(lab),
    ...(opts.extra ?? {}),
  };
  const secrets: Record<string, string> = {
    'VRRP password': opts.password ?? spec.authPass ?? '',
    'SSH client private key': readFileSync(lab.clientKey, 'utf8'),
  };
  for (const { name: d } of spec.directors)
    secrets[`SSH host key of ${d}`] = readFileSync(
      path.join(lab.hostDir(d), 'ssh_host_ed25519_key'),
      'utf8',
    );
  return { searched: Object.keys(texts), exposures: findExposures(texts, secrets) };
}
