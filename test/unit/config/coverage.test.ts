// keepalived.conf(5) coverage: every keyword of keepalived 2.2.7's man page is
// either read into the model or answered with a named "not supported"
// warning; none falls through as an unknown keyword. Prints the counts per
// section (the README's "keepalived.conf coverage" table).
import { strict as assert } from 'node:assert';
import { coverage, manKeywords } from './manpage-keywords';

/** Unknown on purpose, with the reason. */
const KNOWN_UNKNOWN: Record<string, string> = {};

describe('keepalived.conf(5) coverage', () => {
  const { rows, classes } = coverage();

  it('reads the whole man page table (sections and keywords)', () => {
    const all = manKeywords();
    assert.ok(all.length > 350, `${all.length} keywords`);
    assert.ok(rows.has('global_defs') && rows.has('vrrp_instance') && rows.has('virtual_server'));
  });

  it('no keyword is unknown: each is implemented or warns "not supported by keepalive-ts"', () => {
    const unknown = classes
      .filter((c) => c.cls === 'unknown' && !KNOWN_UNKNOWN[`${c.section} ${c.keyword}`])
      .map((c) => `${c.section} ${c.keyword}`);
    assert.deepEqual(unknown, []);
  });

  it('counts per section', () => {
    const lines = [...rows].map(
      ([s, r]) => `| ${s} | ${r.implemented} | ${r['not supported']} | ${r.unknown} |`,
    );
    const total = classes.length;
    const impl = classes.filter((c) => c.cls === 'implemented').length;
    // the README table, for copying when it changes
    console.log(
      ['| section | implemented | not supported | unknown |', '|---|---|---|---|', ...lines].join(
        '\n',
      ) + `\n${impl} of ${total} implemented`,
    );
    assert.ok(impl > 100);
  });

  it('the VRRP side (issue 18): at least 90% implemented, none unknown', () => {
    const vrrp = classes.filter((c) => vrrpSide(c.section, c.keyword));
    const impl = vrrp.filter((c) => c.cls === 'implemented').length;
    const refused = vrrp
      .filter((c) => c.cls !== 'implemented')
      .map((c) => `${c.section} ${c.keyword}`);
    console.log(
      `VRRP side: ${impl} of ${vrrp.length} implemented (${((100 * impl) / vrrp.length).toFixed(1)}%); not supported: ${refused.join(', ')}`,
    );
    assert.ok(impl / vrrp.length >= 0.9, `${impl}/${vrrp.length}`);
  });

  it('the load-balancer side (issue 19): at least 90% implemented, none unknown', () => {
    const lb = classes.filter((c) => !vrrpSide(c.section, c.keyword));
    const impl = lb.filter((c) => c.cls === 'implemented').length;
    const refused = lb
      .filter((c) => c.cls !== 'implemented')
      .map((c) => `${c.section} ${c.keyword}`);
    console.log(
      `load-balancer side: ${impl} of ${lb.length} implemented (${((100 * impl) / lb.length).toFixed(1)}%); not supported: ${refused.join(', ')}`,
    );
    assert.ok(impl / lb.length >= 0.9, `${impl}/${lb.length}`);
  });
});

/**
 * The VRRP side of keepalived.conf: everything but virtual servers (and their
 * real servers, checkers, groups and SSL) and the global_defs keywords of the
 * checker / LVS process.
 */
export function vrrpSide(section: string, keyword: string): boolean {
  if (/^(virtual_server|virtual_server_group|SSL)/.test(section)) return false;
  if (section === 'top' && /^(virtual_server_group|SSL|net_namespace_ipvs)$/.test(keyword))
    return false;
  if (
    section === 'global_defs' &&
    /^(lvs_|checker_|nftables_ipvs|enable_snmp_checker|rs_init_notifies|smtp_alert_checker|no_checker_emails)/.test(
      keyword,
    )
  )
    return false;
  return true;
}
