// One line per event on stderr: `<N>` syslog priority prefixes when stderr
// is the journal (systemd sets JOURNAL_STREAM), plain text otherwise, or one
// JSON object per line with --log-format json.
import type { Log, LogLevel as Level } from '../core/log';

const PRIO: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export function formatLogLine(
  level: Level,
  msg: string,
  o: { format?: 'text' | 'json'; journal?: boolean; now?: Date } = {},
): string {
  const time = (o.now ?? new Date()).toISOString();
  if (o.format === 'json') return JSON.stringify({ time, level, msg, pid: process.pid });
  return o.journal ? `<${PRIO[level]}>${msg}` : `${time} ${level.padEnd(5)} ${msg}`;
}

export function makeLogger(opts: { debug?: boolean; format?: 'text' | 'json' } = {}): Log {
  const journal = !!process.env.JOURNAL_STREAM;
  return (level: Level, msg: string) => {
    if (level === 'debug' && !opts.debug) return;
    process.stderr.write(formatLogLine(level, msg, { format: opts.format, journal }) + '\n');
  };
}
