// keepalived.conf(5) coverage: every keyword of keepalived 2.2.7's man page is
// either read into the model or answered with a named "not supported"
// warning; none falls through as an unknown keyword. Prints the counts per
// section (the README's "keepalived.conf coverage" table).
import { strict as assert } from 'node:assert';
import { coverage, manKeywords } from './manpage-keywords';

/** Unknown on purpose, with the reason. */
const KNOWN_UNKNOWN: Record<string, string> = {
  // being implemented with the notification email work; its row goes in with it
  'global_defs smtp_alert': 'notification email (in progress elsewhere)',
};

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
});
