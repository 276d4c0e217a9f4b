// keepalive-ts command line (keepalived-compatible where keepalived has the option).
import { runsVrrp } from './run-mode';
import { discardSpare, prespawn } from './vrrp/thread';

// first of all: the VRRP thread boots while the rest loads and the config is read
if (runsVrrp(process.argv.slice(2))) prespawn();

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Command } = require('commander') as typeof import('commander');
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Diagnostic } from './config/diagnostics';
import type { ParseResult } from './config/index';
import { makeLogger } from './control/log';
import { DEFAULT_CONTROL, followEvents, requestControl } from './control/socket';
import type { DaemonStatus } from './control/status';

// The config reader and the daemon are required where they are used: running
// the daemon must not wait for modules only `-t` needs, and the daemon spawns
// its VRRP thread before it loads the reader (start-up time is preemption time).
/* eslint-disable @typescript-eslint/no-require-imports */
const diagnostics = () => require('./config/diagnostics') as typeof import('./config/diagnostics');
const runtime = () => require('./runtime') as typeof import('./runtime');
/* eslint-enable @typescript-eslint/no-require-imports */

const collect = (v: string, prev: string[]) => [...prev, v];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

/** Paths under the working directory are shown relative, as the user typed them. */
const shown = (d: Diagnostic): Diagnostic => {
  const rel = path.relative(process.cwd(), d.file);
  return rel && !rel.startsWith('..') ? { ...d, file: rel } : d;
};

/** --dump-config leaves out source positions: the model, not where it came from. */
const withoutPositions = (key: string, value: unknown) => (key === 'at' ? undefined : value);

interface Opts {
  useFile: string[];
  pid?: string;
  control: string;
  vrrp?: boolean;
  check?: boolean;
  logDetail?: boolean;
  dontReleaseIpvs?: boolean;
  logFormat: string;
  configTest?: boolean;
  dumpConfig?: boolean;
  strict?: boolean;
  json?: boolean;
  configId?: string;
}

const program = new Command('keepalive-ts')
  .description('keepalived-compatible VRRP and LVS daemon')
  .version(VERSION, '-v, --version')
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
  .option(
    '-n, --dont-fork',
    'stay in the foreground (keepalive-ts never forks; accepted for keepalived compatibility)',
  )
  .option('-l, --log-console', 'log to the console (stderr)')
  .option('-D, --log-detail', 'detailed (debug) logging')
  .option('--log-format <format>', 'text (journald <N> prefixes under systemd) or json', 'text')
  .option('-p, --pid <file>', 'pid file')
  .option('--control <path>', 'control socket', DEFAULT_CONTROL)
  .option('-P, --vrrp', 'only run the VRRP subsystem')
  .option('-C, --check', 'only run the health-checker subsystem')
  .option('-I, --dont-release-ipvs', 'leave the dataplane (IPVS / nftables rules) in place on stop')
  .enablePositionalOptions()
  .showHelpAfterError();

program
  .command('events')
  .description('the ordered event stream (instance and real-server changes) as JSON lines')
  .option('--follow', 'keep streaming new events')
  .option('--since <seq>', 'only events after this sequence number', Number, 0)
  .option('--control <path>', 'control socket', DEFAULT_CONTROL)
  .action(async (o: { follow?: boolean; since: number; control: string }) => {
    await followEvents(o.control, !!o.follow, (l) => process.stdout.write(l + '\n'), o.since);
  });

program
  .command('status')
  .description('show instances, who is master, and counters of a running daemon')
  .option('--json', 'machine-readable output')
  .option('--control <path>', 'control socket', DEFAULT_CONTROL)
  .action(async (o: { json?: boolean; control: string }) => {
    const st = (await requestControl(o.control, { cmd: 'status' })) as DaemonStatus & {
      error?: string;
    };
    if (st.error) throw new Error(st.error);
    process.stdout.write(o.json ? JSON.stringify(st, null, 2) + '\n' : formatStatus(st));
  });

/** drain / undrain: the answer is the drain state now, or an error */
async function drainCommand(control: string, req: { cmd: string; reason?: string }) {
  const r = (await requestControl(control, req)) as {
    error?: string;
    drained?: boolean;
    reason?: string;
    since?: string;
  };
  if (r.error) throw new Error(r.error);
  process.stdout.write(
    r.drained
      ? `drained${r.reason ? ` (${r.reason})` : ''} since ${r.since}: the VIP is withdrawn and stays so across restarts\n`
      : 'undrained: the VIP is announced again once this director can serve (announce_after)\n',
  );
}

program
  .command('drain')
  .description('active-active: withdraw the VIP from BGP (kept across restarts) until undrain')
  .option('--reason <text>', 'why (shown in status, events and the log)')
  .option('--control <path>', 'control socket', DEFAULT_CONTROL)
  .action((o: { reason?: string; control: string }) =>
    drainCommand(o.control, { cmd: 'drain', ...(o.reason ? { reason: o.reason } : {}) }),
  );

program
  .command('undrain')
  .description('active-active: end a drain; the VIP is announced again when the director can serve')
  .option('--control <path>', 'control socket', DEFAULT_CONTROL)
  .action((o: { control: string }) => drainCommand(o.control, { cmd: 'undrain' }));

function load(files: string[], configId: string): ParseResult[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parseFile } = require('./config/index') as typeof import('./config/index');
  const { fsHost } = require('./config/fs-host') as typeof import('./config/fs-host');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return files.map((f) => parseFile(f, fsHost, { configId }));
}

program.action(async (o: Opts) => {
  const files = o.useFile.length ? o.useFile : ['/etc/keepalived/keepalived.conf'];
  const configId = o.configId ?? hostname().split('.')[0];
  const { formatDiagnostic } = diagnostics();
  if (o.dumpConfig) {
    const [r] = load(files.slice(0, 1), configId);
    for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(shown(d)) + '\n');
    process.stdout.write(JSON.stringify(r.config, withoutPositions, 2) + '\n');
    process.exitCode = r.ok ? 0 : 1;
    return;
  }
  if (o.configTest) {
    const results = load(files, configId);
    const { Diagnostics, sortDiagnostics } = diagnostics();
    const peers = new Diagnostics();
    if (results.length > 1)
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('./config/lint') as typeof import('./config/lint')).lintPeers(
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
  await runtime().runDaemon({
    file: files[0],
    configId,
    ...(o.pid ? { pidfile: o.pid } : {}),
    control: o.control,
    // -C (checkers only) leaves VRRP off; the health checkers arrive with the dataplane
    vrrp: !o.check || !!o.vrrp,
    checkers: !o.vrrp || !!o.check,
    keepDataplane: !!o.dontReleaseIpvs,
    log: makeLogger({ debug: !!o.logDetail, format: o.logFormat === 'json' ? 'json' : 'text' }),
  });
});

function formatStatus(st: DaemonStatus): string {
  const rows = [
    ['INSTANCE', 'STATE', 'VRID', 'IF', 'PRIO', 'MASTER', 'VIPS', 'SENT', 'RCVD', 'DROPS'],
    ...st.instances.map((i) => [
      i.name,
      i.state,
      String(i.vrid),
      i.interface,
      i.priority === i.configuredPriority
        ? String(i.priority)
        : `${i.priority} (${i.configuredPriority})`,
      i.state === 'MASTER' ? 'this node' : (i.master ?? '-'),
      i.vips.join(','),
      String(i.counters.advertsSent),
      String(i.counters.advertsReceived),
      String(Object.values(i.counters.drops).reduce((a, b) => a + b, 0)),
    ]),
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows
    .map((r) =>
      r
        .map((x, c) => x.padEnd(w[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const vs = st.virtualServers
    .map(
      (v) =>
        `${v.id}${v.quorumUp ? '' : ' QUORUM LOST'}${v.sorry ? ' (sorry server)' : ''}\n` +
        v.servers
          .map(
            (r) =>
              `  ${`${r.address}:${r.port}`.padEnd(22)} ${r.up ? 'UP  ' : 'DOWN'} weight ${r.weight}${r.inService ? '' : ' (out of service)'} ${r.checks.map((c) => `${c.type}:${c.lastResult ?? '-'}`).join(' ')}`,
          )
          .join('\n'),
    )
    .join('\n');
  const b = st.bgp;
  const bgp = b
    ? `BGP ${b.announced ? 'ANNOUNCED' : 'WITHDRAWN'} (protocol ${b.protocol} ${b.protocolState ?? '?'}${b.drained ? ', DRAINED' : ''}): ${b.problem ?? b.reason}\n` +
      b.sessions.map((s) => `  ${s}\n`).join('')
    : '';
  return `keepalive-ts pid ${st.pid}, config ${st.config}, up since ${st.startedAt}, reloads ${st.reloads}${st.dataplane ? `, dataplane ${st.dataplane.backend}` : ''}\n${table}\n${vs ? vs + '\n' : ''}${bgp}`;
}

program.parseAsync(process.argv).catch((e: Error) => {
  discardSpare(); // a thread left running would keep the process alive
  process.stderr.write(`keepalive-ts: ${e.message}\n`);
  process.exit(1);
});
