// keepalive-ts command line (keepalived-compatible where keepalived has the option).
import { Command } from 'commander';
import { hostname } from 'node:os';
import * as path from 'node:path';
import {
  Diagnostics,
  formatDiagnostic,
  sortDiagnostics,
  type Diagnostic,
} from './config/diagnostics';
import { fsHost } from './config/fs-host';
import { parseFile, type ParseResult } from './config/index';
import { lintPeers } from './config/lint';

const collect = (v: string, prev: string[]) => [...prev, v];

/** Paths under the working directory are shown relative, as the user typed them. */
const shown = (d: Diagnostic): Diagnostic => {
  const rel = path.relative(process.cwd(), d.file);
  return rel && !rel.startsWith('..') ? { ...d, file: rel } : d;
};

/** --dump-config leaves out source positions: the model, not where it came from. */
const withoutPositions = (key: string, value: unknown) => (key === 'at' ? undefined : value);

interface Opts {
  useFile: string[];
  configTest?: boolean;
  dumpConfig?: boolean;
  strict?: boolean;
  json?: boolean;
  configId?: string;
}

const program = new Command('keepalive-ts')
  .description('keepalived-compatible VRRP and LVS daemon')
  .option(
    '-f, --use-file <file>',
    'configuration file (repeat with -t to check the configs of several peers together)',
    collect,
    [],
  )
  .option(
    '-t, --config-test',
    'check the configuration and exit: 0 valid (warnings allowed), 1 invalid',
  )
  .option('--dump-config', 'print the normalised configuration model as JSON')
  .option('--strict', 'with -t: warnings count as errors')
  .option('--json', 'with -t: diagnostics as JSON')
  .option('-i, --config-id <id>', 'config id for @ID lines (default: short hostname)')
  .showHelpAfterError();

function load(files: string[], configId: string): ParseResult[] {
  return files.map((f) => parseFile(f, fsHost, { configId }));
}

program.action((o: Opts) => {
  const files = o.useFile.length ? o.useFile : ['/etc/keepalived/keepalived.conf'];
  const configId = o.configId ?? hostname().split('.')[0];
  if (o.dumpConfig) {
    const [r] = load(files.slice(0, 1), configId);
    for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(shown(d)) + '\n');
    process.stdout.write(JSON.stringify(r.config, withoutPositions, 2) + '\n');
    process.exitCode = r.ok ? 0 : 1;
    return;
  }
  if (o.configTest) {
    const results = load(files, configId);
    const peers = new Diagnostics();
    if (results.length > 1)
      lintPeers(
        results.map((r) => r.config),
        peers,
      );
    const all: Diagnostic[] = sortDiagnostics([
      ...results.flatMap((r) => r.diagnostics),
      ...peers.list,
    ]).map(shown);
    const bad = all.some((d) => d.level === 'error' || (o.strict && d.level === 'warning'));
    if (o.json) {
      process.stdout.write(JSON.stringify({ valid: !bad, diagnostics: all }, null, 2) + '\n');
    } else {
      for (const d of all) process.stderr.write(formatDiagnostic(d) + '\n');
      const e = all.filter((d) => d.level === 'error').length;
      const w = all.length - e;
      process.stderr.write(
        `${files.join(', ')}: ${bad ? 'INVALID' : 'valid'} (${e} error(s), ${w} warning(s))\n`,
      );
    }
    process.exitCode = bad ? 1 : 0;
    return;
  }
  program.error(
    'nothing to do: use -t (config test) or --dump-config; the daemon runtime is not in this build yet',
  );
});

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`keepalive-ts: ${e.message}\n`);
  process.exit(1);
});
