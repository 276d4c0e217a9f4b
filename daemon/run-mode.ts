// What a keepalive-ts command line will do, read before anything else loads (pure).

const CONTROL_COMMANDS = ['status', 'events', 'drain', 'undrain'];

/** Does this command line run the daemon with VRRP (not -t, status, help, checkers only)? */
export function runsVrrp(args: readonly string[]): boolean {
  const first = args.find((a) => !a.startsWith('-'));
  // the control-socket commands talk to a running daemon
  if (first && CONTROL_COMMANDS.includes(first)) return false;
  const has = (...names: string[]) => args.some((a) => names.includes(a));
  if (has('-t', '--config-test', '--dump-config', '-h', '--help', '-v', '--version')) return false;
  return !has('-C', '--check') || has('-P', '--vrrp');
}
