import { strict as assert } from 'node:assert';
import { directorSteps, realServerSteps } from '../../../components/plan';
import { readStackSpec } from '../../../components/stack-file';

describe('host plans (what runs on each host)', () => {
  const spec = readStackSpec('lab');
  const d = directorSteps(spec, 'lab', { base64: 'QUJD', sha256: 'x' });
  const r = realServerSteps(spec, 'lab');

  it('directors: install, sysctl, then config (after both)', () => {
    assert.deepEqual(
      d.map((s) => s.map((x) => `${x.host}:${x.id}<${x.after.join(',')}`)),
      [
        ['d1:install<', 'd1:sysctl<', 'd1:config<install,sysctl'],
        ['d2:install<', 'd2:sysctl<', 'd2:config<install,sysctl'],
      ],
    );
  });

  it('real servers: sysctl before the VIP on lo', () => {
    assert.deepEqual(
      r.map((s) => s.map((x) => `${x.host}:${x.id}<${x.after.join(',')}`)),
      [
        ['rs1:sysctl<', 'rs1:vip<sysctl'],
        ['rs2:sysctl<', 'rs2:vip<sysctl'],
      ],
    );
  });

  it('config: tests the new file before activating it, reloads with SIGHUP rather than restarting', () => {
    const c = d[0][2].create;
    const iTest = c.indexOf('keepalive-ts -t -f');
    const iMv = c.indexOf("mv '/etc/keepalived/keepalived.conf.new'");
    assert.ok(iTest > 0 && iMv > iTest, 'config test before mv');
    assert.match(c, /kill -HUP/);
    assert.match(c, /chmod 600/);
    assert.match(d[0][2].delete, /kill -TERM/);
  });

  it('sysctl: saves the previous values of its keys once, applies only its file, restores on delete', () => {
    const s = d[0][1];
    assert.match(s.create, /sysctl -n "\$k"/);
    assert.match(s.create, /sysctl -q -p '\/etc\/sysctl\.d\/60-keepalive-director\.conf'/);
    assert.ok(!/--system/.test(s.create));
    assert.match(s.delete, /sysctl -q -w "\$kv"/);
  });

  it('install: checks the Node.js version and unpacks the bundle from stdin', () => {
    assert.match(d[0][0].create, /needs Node\.js >= 20/);
    assert.match(d[0][0].create, /base64 -d \| tar -xz/);
    assert.equal(d[0][0].stdin, 'QUJD');
  });

  it("a changed weight changes only the directors' config steps", () => {
    const changed = {
      ...spec,
      realServers: spec.realServers.map((x, i) => (i === 0 ? { ...x, weight: 5 } : x)),
    };
    const d2 = directorSteps(changed, 'lab', { base64: 'QUJD', sha256: 'x' });
    const r2 = realServerSteps(changed, 'lab');
    const diff = (a: typeof d, b: typeof d) =>
      a
        .flat()
        .filter((x, i) => x.hash !== b.flat()[i].hash)
        .map((x) => `${x.host}:${x.id}`);
    assert.deepEqual(diff(d, d2), ['d1:config', 'd2:config']);
    assert.deepEqual(diff(r, r2), []);
  });
});
