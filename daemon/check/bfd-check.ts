// BFD_CHECK (keepalived 2.2.7 check_bfd.c): a real server that follows the
// state of a bfd_instance's session. The session runs on the VRRP side (the
// worker thread); its up/down events reach the check manager, which treats
// them as this checker's verdict (HealthManager.bfdChanged). Pure.
import { heardByCheckers, type Checker, type Config, type RealServer } from '../config/model';

export type BfdChecker = Extract<Checker, { type: 'BFD_CHECK' }>;

/**
 * The BFD_CHECKs of `rs` that keepalived keeps: named, naming a bfd_instance
 * the checker side hears, each session once per real server (the lint warns
 * about the others).
 */
export function bfdCheckers(
  rs: Pick<RealServer, 'checkers'>,
  config: Pick<Config, 'bfd_instance'>,
): { name: string; alpha: boolean }[] {
  const known = new Set(config.bfd_instance.filter(heardByCheckers).map((b) => b.name));
  const seen = new Set<string>();
  const out: { name: string; alpha: boolean }[] = [];
  for (const c of rs.checkers) {
    if (c.type !== 'BFD_CHECK' || !c.name || !known.has(c.name) || seen.has(c.name)) continue;
    seen.add(c.name);
    out.push({ name: c.name, alpha: !!c.alpha });
  }
  return out;
}
