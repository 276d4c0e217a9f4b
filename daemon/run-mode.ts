// What a keepalive-ts command line will do, read before anything else loads (pure).

/** Does this command line run the daemon with VRRP (not -t, status, help, checkers only)? */
export function runsVrrp(args: readonly string[]): boolean {
  const first = args.find((a) => !a.startsWith('-'));
  // control clients: a prespawned VRRP thread would keep them alive after their answer
  if (first && ['status', 'events', 'drain', 'undrain'].includes(first)) return false;
  const has = (...names: string[]) => args.some((a) => names.includes(a));
  if (has('-t', '--config-test', '--dump-config', '-h', '--help', '-v', '--version')) return false;
  return !has('-C', '--check') || has('-P', '--vrrp');
}
