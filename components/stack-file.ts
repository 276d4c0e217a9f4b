// Reading a stack's declaration straight from stacks/Pulumi.<stack>.yaml
// (for `npm run render` and tests; the Pulumi program reads it through
// pulumi.Config instead).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseClusterSpec, type ClusterSpec } from './spec';

export const STACKS = path.resolve(__dirname, '../../stacks');

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
  return parseClusterSpec(raw);
}
