// The config subsystem's entry points: text or files in, typed model and
// diagnostics out. Pure apart from the SourceHost passed in.
import * as path from 'node:path';
import { buildTree } from './ast';
import { Diagnostics, sortDiagnostics, type Diagnostic } from './diagnostics';
import { unsupportedMessage } from './keywords/unsupported';
import { linkGroups } from './keywords/vsgroup';
import { lintConfig } from './lint';
import { configSchema, globalDefsSchema, type Config } from './model';
import { Reader, type ReadOptions, type SourceHost } from './reader';

export interface ParseResult {
  config: Config;
  diagnostics: Diagnostic[];
  /** no errors (warnings allowed) */
  ok: boolean;
}

export function parseFile(file: string, host: SourceHost, opts: ReadOptions = {}): ParseResult {
  let diag = new Diagnostics();
  // keepalived seeds ${_RANDOM} with the time unless random_seed is set
  const seed = opts.randomSeed ?? Math.floor(Date.now() / 1000) >>> 0;
  let reader = new Reader(host, diag, { ...opts, randomSeed: seed });
  let lines = reader.read(file);
  if (reader.randomUsed && reader.seenSeed !== undefined && opts.randomSeed === undefined) {
    // keepalived reads global_defs (random_seed) before its children read the whole
    // config: every ${_RANDOM} takes the configured seed, so read again with it
    diag = new Diagnostics();
    reader = new Reader(host, diag, { ...opts, randomSeed: reader.seenSeed });
    lines = reader.read(file);
  }
  const tree = buildTree(lines, diag);
  const parsed = configSchema.parseBody(
    tree,
    { file: path.resolve(file), line: 0 },
    { diag, unsupported: unsupportedMessage },
  );
  const config: Config = {
    ...parsed,
    global_defs: parsed.global_defs ?? globalDefsSchema.initial(),
  };
  config.virtual_server = linkGroups(config.virtual_server, config.virtual_server_group, diag);
  lintConfig(config, diag);
  const diagnostics = sortDiagnostics(diag.list);
  return { config, diagnostics, ok: !diagnostics.some((d) => d.level === 'error') };
}

/** Parse text held in memory (tests, the Pulumi suite's renderer); includes resolve in `files`. */
export function parseText(
  text: string,
  name = 'keepalived.conf',
  files: Record<string, string> = {},
  opts: ReadOptions = {},
) {
  const abs = path.resolve(name);
  const all = new Map(
    Object.entries(files).map(([k, v]) => [path.resolve(path.dirname(abs), k), v]),
  );
  all.set(abs, text);
  const host: SourceHost = {
    readFile: (f) => {
      const t = all.get(f);
      if (t === undefined) throw new Error('no such file');
      return t;
    },
    glob: (pattern) => {
      const re = new RegExp(
        '^' +
          pattern
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]') +
          '$',
      );
      return [...all.keys()].filter((k) => re.test(k)).sort();
    },
  };
  return parseFile(abs, host, opts);
}

export { formatDiagnostic, type Diagnostic } from './diagnostics';
export type { Config } from './model';
