// One line per event on stderr: `<N>` syslog priority prefixes when stderr
// is the journal (systemd sets JOURNAL_STREAM), plain text otherwise.
export type Level = 'error' | 'warn' | 'info' | 'debug';
const PRIO: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export function makeLogger(opts: { debug?: boolean } = {}) {
  const journal = !!process.env.JOURNAL_STREAM;
  return (level: Level, msg: string) => {
    if (level === 'debug' && !opts.debug) return;
    const line = journal
      ? `<${PRIO[level]}>${msg}`
      : `${new Date().toISOString()} ${level.padEnd(5)} ${msg}`;
    process.stderr.write(line + '\n');
  };
}
export type Logger = ReturnType<typeof makeLogger>;
