// The parser must never throw: any input gives a model and diagnostics.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseText } from '../../../daemon/config/index';

const words = [
  '{',
  '}',
  '"',
  '#',
  '!',
  '\\',
  '$X',
  '${X}',
  '$X=1',
  '@d1',
  '@^d1',
  '~SEQ(i,1,3)',
  'include',
  'x.conf',
  'vrrp_instance',
  'VI',
  'virtual_server',
  'real_server',
  'TCP_CHECK',
  'HTTP_GET',
  'url',
  'path',
  '/',
  'global_defs',
  'priority',
  '300',
  '-1',
  '1.5',
  'state',
  'MASTER',
  'virtual_ipaddress',
  '10.0.0.1/24',
  'dev',
  'authentication',
  'auth_pass',
  'unicast_peer',
  'track_script',
  'weight',
  'vrrp_sync_group',
  'group',
  '10.0.0.1',
  '80',
  'nopreempt',
  'interface',
  'virtual_router_id',
  '\n',
  '\n',
  '\n',
  ' ',
];

describe('config parser robustness (property tests)', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = parseText(Buffer.from(bytes).toString('latin1'));
        assert.ok(Array.isArray(r.diagnostics));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on token soups, and every diagnostic has a line inside the file', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 120 }), (toks) => {
        const text = toks.join(' ');
        const r = parseText(text, '/cfg/k.conf', { '/cfg/x.conf': 'global_defs {\n}\n' });
        const lines = text.split('\n').length;
        for (const d of r.diagnostics) {
          assert.ok(d.line >= 0 && d.line <= lines, `line ${d.line} of ${lines}: ${d.message}`);
          assert.ok(d.message.length > 0);
        }
        if (!r.ok) assert.ok(r.diagnostics.some((d) => d.level === 'error'));
      }),
      { numRuns: 500 },
    );
  });
});
