import { strict as assert } from 'node:assert';
import { findExposures, secretNeedles } from '../../scripts/lab/secret-audit';

const KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACBhZ2VudC1rZXktZm9yLXRlc3RzLW9ubHktbm90LXJlYWwAAAAAA',
  '-----END OPENSSH PRIVATE KEY-----',
  '',
].join('\n');

describe('secret audit (pure part)', () => {
  it('searches a private key by each line of its body, not by its armour', () => {
    const n = secretNeedles({ key: KEY, pass: 'lab1234' });
    assert.equal(n.key.length, 2);
    assert.ok(n.key.every((l) => !l.includes('-----')));
    assert.deepEqual(n.pass, ['lab1234']);
  });

  it('reports which secret is where, by name only', () => {
    const found = findExposures(
      {
        'd1 log': 'auth_pass lab1234 loaded',
        'd2 metrics': `keepalive_up 1\n# ${KEY.split('\n')[2]}`,
        'd2 status': 'VI_1 MASTER',
        'armour only': '-----BEGIN OPENSSH PRIVATE KEY-----',
      },
      { 'VRRP password': 'lab1234', 'SSH key': KEY },
    );
    assert.deepEqual(found, [
      { where: 'd1 log', secret: 'VRRP password' },
      { where: 'd2 metrics', secret: 'SSH key' },
    ]);
    assert.ok(!JSON.stringify(found).includes('lab1234'), 'values are never reported');
  });

  it('an empty secret (VRRPv3 has no password) matches nothing', () => {
    assert.deepEqual(findExposures({ a: 'anything' }, { 'VRRP password': '' }), []);
  });
});
