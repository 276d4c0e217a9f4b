// The keyword table of keepalived.conf(5) (test/fixtures/keepalived-2.2.7-keywords.txt,
// made by scripts/manpage-keywords.ts) and a classifier that asks the config
// reader itself what it does with each keyword: implemented (read into the
// model), not supported (a named warning) or unknown ("unknown keyword").
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseText } from '../../../daemon/config/index';

export interface ManKeyword {
  section: string;
  keyword: string;
}

export const KEYWORDS_FILE = path.resolve(
  __dirname,
  '../../../../test/fixtures/keepalived-2.2.7-keywords.txt',
);

export function manKeywords(): ManKeyword[] {
  return readFileSync(KEYWORDS_FILE, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [section, keyword] = l.split(' ');
      return { section, keyword };
    });
}

/** The header that opens each block of a section path (checker blocks by their own name). */
const OPEN: Record<string, string> = {
  global_defs: 'global_defs {',
  vrrp_instance: 'vrrp_instance VI_1 {',
  authentication: 'authentication {',
  vrrp_script: 'vrrp_script chk {',
  vrrp_sync_group: 'vrrp_sync_group G1 {',
  virtual_server: 'virtual_server 10.0.0.1 80 {',
  real_server: 'real_server 10.0.1.1 80 {',
  url: 'url {',
  track_group: 'track_group TG1 {',
  track_file: 'track_file TF1 {',
  vrrp_track_process: 'vrrp_track_process TP1 {',
  bfd_instance: 'bfd_instance B1 {',
  garp_group: 'garp_group {',
  virtual_server_group: 'virtual_server_group VSG1 {',
  SSL: 'SSL {',
  // the options every checker shares
  CHECKER_TYPE: 'TCP_CHECK {',
};

/** Wrap `line` in the blocks of `section`; returns the text and the line number of `line`. */
export function inSection(section: string, line: string): { text: string; line: number } {
  const blocks = section === 'top' ? [] : section.split('/');
  const open = blocks.map((b) => OPEN[b] ?? `${b} {`);
  return {
    text: [...open, line, ...blocks.map(() => '}')].join('\n') + '\n',
    line: open.length + 1,
  };
}

export type KeywordClass = 'implemented' | 'not supported' | 'unknown';

export const NOT_SUPPORTED = /not supported by keepalive-ts/;

/** What the reader does with `keyword` in `section` (its value is irrelevant to the class). */
export function classify(k: ManKeyword): { cls: KeywordClass; message?: string } {
  const { text, line } = inSection(k.section, `${k.keyword} 1`);
  const ds = parseText(text, '/cfg/keepalived.conf').diagnostics;
  const unknown = ds.find((d) => /unknown keyword/.test(d.message));
  if (unknown) return { cls: 'unknown', message: unknown.message };
  // on the keyword's own line, or on an enclosing block keepalive-ts does not implement
  const ns = ds.find((d) => d.line <= line && NOT_SUPPORTED.test(d.message));
  if (ns) return { cls: 'not supported', message: ns.message };
  return { cls: 'implemented' };
}

/** The top-level block a section belongs to (the README's rows). */
export const sectionGroup = (section: string) => section.split('/')[0];

export function coverage(keywords = manKeywords()) {
  const rows = new Map<string, Record<KeywordClass, number>>();
  const classes = keywords.map((k) => ({ ...k, ...classify(k) }));
  for (const c of classes) {
    const g = sectionGroup(c.section);
    const r = rows.get(g) ?? { implemented: 0, 'not supported': 0, unknown: 0 };
    r[c.cls]++;
    rows.set(g, r);
  }
  return { rows, classes };
}
