// Table-driven keyword tests: one table per keyword family. Each row is a
// snippet, a function that picks a value out of the model, and the expected value.
import { strict as assert } from 'node:assert';
import type { Config } from '../../../daemon/config/model';
import { parse } from './helpers';

export type Row = [snippet: string, pick: (c: Config) => unknown, expected: unknown];
export type Bad = [snippet: string, diagnostic: string];

export function table(name: string, rows: Row[], bad: Bad[] = []) {
  describe(`keywords: ${name}`, () => {
    for (const [snippet, pick, expected] of rows) {
      it(`${snippet.trim().split('\n').slice(-2).join(' | ')} -> ${JSON.stringify(expected)}`, () => {
        const r = parse(snippet);
        assert.deepEqual(
          r.diagnostics.filter((d) => d.level === 'error'),
          [],
          r.diags.join('\n'),
        );
        assert.deepEqual(pick(r.config), expected);
      });
    }
    for (const [snippet, diagnostic] of bad) {
      it(`rejects: ${snippet.trim().split('\n').slice(-2).join(' | ')}`, () => {
        const r = parse(snippet);
        assert.ok(
          r.diags.includes(diagnostic),
          `expected "${diagnostic}" in:\n${r.diags.join('\n')}`,
        );
      });
    }
  });
}

export const g = (body: string) => `global_defs {\n${body}\n}\n`;
export const vi = (c: Config) => c.vrrp_instance[0];
export const vs = (body: string, rs = '') => `virtual_server 10.0.0.1 80 {\n${body}\n${rs}\n}\n`;
export const rs = (body: string) => ` real_server 10.0.1.1 8080 {\n${body}\n }`;
export const firstVs = (c: Config) => c.virtual_server[0];
export const firstRs = (c: Config) => c.virtual_server[0].real_server[0];
/** the first checker of the first real server (a probing one: FILE_CHECK and BFD_CHECK have no connection options) */
export const check = (c: Config) => {
  const k = c.virtual_server[0].real_server[0].checkers[0];
  if (k.type === 'FILE_CHECK' || k.type === 'BFD_CHECK')
    throw new Error(`${k.type} has no connection options`);
  return k;
};
