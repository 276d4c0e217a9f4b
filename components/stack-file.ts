// Reading a stack's declaration straight from stacks/Pulumi.<stack>.yaml
// (for `npm run render` and tests; the Pulumi program reads it through
// pulumi.Config instead).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseClusterSpec, type ClusterSpec } from './spec';

/**
 * The project root: the folder of Pulumi.yaml above `from`. The Pulumi engine
 * runs the program with its working directory at the program's folder
 * (dist/stacks), so relative paths in stack config resolve against this,
 * never against the working directory.
 */
export function projectRoot(from = __dirname): string {
  for (let d = path.resolve(from); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'Pulumi.yaml'))) return d;
    if (path.dirname(d) === d) throw new Error(`no Pulumi.yaml in ${from} or above`);
  }
}

/** A path from stack config (`~/` allowed) as an absolute path: relative to the project root. */
export function configPath(p: string, root = projectRoot()): string {
  const home = process.env.HOME ?? '/root';
  return path.resolve(root, p.replace(/^~(?=\/|$)/, home));
}

/** Reads a file named in stack config (key files, known_hosts). */
export const readConfigFile = (p: string) => readFileSync(configPath(p), 'utf8');

export const STACKS = path.join(projectRoot(), 'stacks');

export function readStackSpec(stack: string, dir = STACKS): ClusterSpec {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  let doc: { config?: Record<string, unknown> };
  try {
    doc = parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const raw = doc?.config?.['keepalive:cluster'];
  if (raw === undefined) throw new Error(`${file}: no keepalive:cluster in config`);
  return parseClusterSpec(maskSecrets(raw));
}

/**
 * Pulumi secrets in a stack file (`secure: v1:...`, set with `pulumi config
 * set --secret --path`) can only be decrypted by the engine: read without it
 * (render for review, tests) each becomes the placeholder `<secret:PATH>`.
 */
export function maskSecrets(v: unknown, at = ''): unknown {
  if (Array.isArray(v)) return v.map((x, i) => maskSecrets(x, `${at}[${i}]`));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === 'string') return `<secret:${at}>`;
    return Object.fromEntries(
      Object.entries(o).map(([k, x]) => [k, maskSecrets(x, at ? `${at}.${k}` : k)]),
    );
  }
  return v;
}
