// keepalived's process names for one process with threads: `process_name`
// is the process title (ps's command line), `checker_process_name` the main
// thread's name (checkers run there), `vrrp_process_name` (else
// `bfd_process_name`: BFD shares the thread) the VRRP thread's name.
// `process_names` sets keepalived's defaults for whatever is not named.
import { writeFileSync } from 'node:fs';

export interface ProcessNames {
  title?: string;
  main?: string;
  vrrp?: string;
}

/** the global_defs keywords that name things */
export interface NameSettings {
  process_names: boolean;
  process_name?: string;
  vrrp_process_name?: string;
  checker_process_name?: string;
  bfd_process_name?: string;
}

export function processNames(g: NameSettings): ProcessNames {
  const d = g.process_names
    ? { title: 'keepalived', main: 'keepalived_ipvs', vrrp: 'keepalived_vrrp' }
    : {};
  const title = g.process_name ?? d.title;
  const main = g.checker_process_name ?? d.main;
  const vrrp = g.vrrp_process_name ?? g.bfd_process_name ?? d.vrrp;
  return {
    ...(title ? { title } : {}),
    ...(main ? { main } : {}),
    ...(vrrp ? { vrrp } : {}),
  };
}

/** Name the calling thread (Linux keeps 15 bytes of it). */
export function nameThisThread(name: string) {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    /* not Linux, or no /proc: names are cosmetic */
  }
}
