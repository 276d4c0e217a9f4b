// Templates: rendered configs are valid for keepalive-ts (and, in the
// interop tier, for Debian keepalived), and the seed's two configs come out
// of one declaration (compared as parsed models, not bytes).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderCluster } from '../../../components/render';
import { readStackSpec } from '../../../components/stack-file';
import { parseText } from '../../../daemon/config/index';

const fixture = (n: string) =>
  readFileSync(path.resolve(__dirname, '../../../../test/fixtures', n), 'utf8');
/** the model without positions and without what the seed spells differently but means the same */
const model = (text: string) =>
  JSON.parse(JSON.stringify(parseText(text).config, (k, v) => (k === 'at' ? undefined : v)));

describe('templates', () => {
  it("reproduce the seed's master and backup configs from the example declaration", () => {
    const spec = readStackSpec('example');
    // the password is a Pulumi secret in the stack file: without the engine it reads as a placeholder
    assert.equal(spec.authPass, '<secret:authPass>');
    assert.equal(spec.ssh.privateKey, '<secret:ssh.privateKey>');
    // as the engine decrypts it (the seed's password)
    const r = renderCluster({ ...spec, authPass: '1111' }, 'example');
    const [m, b] = r.directors;
    assert.match(m.maskedConfig, /auth_pass <secret:authPass>/);
    assert.ok(!m.maskedConfig.includes('1111'));
    assert.deepEqual(model(m.config.content), model(fixture('seed-master.conf')));
    assert.deepEqual(model(b.config.content), model(fixture('seed-backup.conf')));
  });

  it('render the lab stack: valid for keepalive-ts, mode 0600, unicast peers are the other director', () => {
    const r = renderCluster(readStackSpec('lab'), 'lab');
    for (const d of r.directors) {
      const p = parseText(d.config.content);
      assert.deepEqual(p.diagnostics, [], `${d.name}: ${JSON.stringify(p.diagnostics)}`);
      assert.equal(d.config.mode, 0o600);
      const vi = p.config.vrrp_instance[0];
      assert.deepEqual(
        vi.unicast_peer.map((x) => x.address),
        r.directors
          .filter((o) => o !== d)
          .map((o) => (o.name === 'd1' ? '198.51.100.11' : '198.51.100.12')),
      );
      assert.equal(p.config.virtual_server[0].real_server[0].checkers[0].type, 'HTTP_GET');
    }
    assert.deepEqual(
      r.directors.map((d) => [d.state, d.priority]),
      [
        ['MASTER', 150],
        ['BACKUP', 100],
      ],
    );
  });

  it('director sysctls own only send_redirects (and ip_forward with NAT); real servers get arp_ignore/announce', () => {
    const spec = readStackSpec('lab');
    const r = renderCluster(spec, 'lab');
    const keys = (t: string) =>
      t
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(' = ')[0]);
    assert.deepEqual(keys(r.directors[0].sysctl.content), [
      'net.ipv4.conf.all.send_redirects',
      'net.ipv4.conf.default.send_redirects',
      'net.ipv4.conf.lan0.send_redirects',
    ]);
    assert.deepEqual(keys(r.realServers[0].sysctl.content), [
      'net.ipv4.conf.all.arp_ignore',
      'net.ipv4.conf.all.arp_announce',
      'net.ipv4.conf.lan0.arp_ignore',
      'net.ipv4.conf.lan0.arp_announce',
    ]);
    const nat = renderCluster(
      { ...spec, services: [{ ...spec.services[0], lbKind: 'NAT' }] },
      'lab',
    );
    assert.ok(keys(nat.directors[0].sysctl.content).includes('net.ipv4.ip_forward'));
    assert.match(r.realServers[0].vipScript.content, /ip addr replace 198\.51\.100\.10\/32 dev lo/);
    assert.match(r.directors[0].unit!.content, /CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW/);
    assert.match(
      r.directors[0].unit!.content,
      /ExecReload=.*-t -f \/etc\/keepalived\/keepalived\.conf\nExecReload=\/bin\/kill -HUP \$MAINPID/,
    );
  });

  it('vrrp_rt_priority: 50 by default below 0.1 s adverts, the declaration wins, 0 is off; both daemons accept it', () => {
    const spec = readStackSpec('lab');
    const rt = (over: Partial<typeof spec>) => {
      const d = renderCluster({ ...spec, ...over }, 'lab').directors[0].config.content;
      const p = parseText(d);
      assert.deepEqual(p.diagnostics, []);
      return p.config.global_defs?.vrrp_rt_priority;
    };
    assert.equal(rt({ vrrpVersion: 3, advertInt: 0.01 }), 50);
    assert.equal(rt({ vrrpVersion: 3, advertInt: 0.1 }), undefined);
    assert.equal(rt({ advertInt: 1 }), undefined);
    assert.equal(rt({ advertInt: 1, vrrpRealtimePriority: 20 }), 20);
    assert.equal(rt({ vrrpVersion: 3, advertInt: 0.01, vrrpRealtimePriority: 0 }), undefined);
    assert.equal(rt({ vrrpVersion: 3, advertInt: 0.01, daemon: 'keepalived' }), 50);
  });
});
