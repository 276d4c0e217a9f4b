import { strict as assert } from 'node:assert';
import {
  directorViews,
  installMode,
  parseClusterSpec,
  parseKnownHosts,
} from '../../../components/spec';
import { readStackSpec } from '../../../components/stack-file';
import { issues } from './spec-fixtures';

const base = () => ({
  vip: '198.51.100.10/24',
  virtualRouterId: 51,
  directors: [
    { name: 'd1', ssh: '198.51.100.11', address: '198.51.100.11' },
    { name: 'd2', ssh: '198.51.100.12', address: '198.51.100.12' },
  ],
  realServers: [{ name: 'rs1', ssh: '198.51.100.21', address: '198.51.100.21' }],
  services: [{ port: 80 }],
  ssh: { privateKeyFile: '/k', knownHostsFile: '/kh' },
});

describe('cluster declaration (zod)', () => {
  it('accepts the lab and example stacks, with defaults filled in', () => {
    const lab = readStackSpec('lab');
    assert.equal(lab.daemon, 'keepalive-ts');
    assert.equal(lab.services[0].check.type, 'HTTP_GET');
    const ex = readStackSpec('example');
    assert.equal(ex.services[0].persistence, 50);
    assert.equal(ex.unicast, false);
  });

  it('makes the first director MASTER with a higher priority unless stated', () => {
    const v = directorViews(parseClusterSpec(base()));
    assert.deepEqual(
      v.map((x) => [x.director.name, x.state, x.priority, x.peers.map((p) => p.name)]),
      [
        ['d1', 'MASTER', 150, ['d2']],
        ['d2', 'BACKUP', 100, ['d1']],
      ],
    );
  });

  it('names the config path of every error', () => {
    const b = base();
    b.directors[1] = { ...b.directors[1], priority: 300 } as (typeof b.directors)[number];
    assert.deepEqual(issues(b), [
      'keepalive:cluster.directors[1].priority: Too big: expected number to be <=254',
    ]);
  });

  it('rejects duplicate hosts, a VIP outside the subnet, equal priorities and a missing key', () => {
    const dup = base();
    dup.directors[1] = { ...dup.directors[1], name: 'd1' };
    assert.ok(
      issues(dup).some(
        (i) => i === 'keepalive:cluster.directors[1]: duplicate name d1 (also directors[0])',
      ),
      issues(dup).join('\n'),
    );
    const out = base();
    out.directors[1] = { ...out.directors[1], address: '203.0.113.12' };
    assert.deepEqual(issues(out), [
      "keepalive:cluster.directors[1].address: 203.0.113.12 is outside the VIP's subnet 198.51.100.10/24",
    ]);
    const eq = base();
    (eq.directors as { priority?: number }[])[0].priority = 100;
    assert.deepEqual(issues(eq), [
      'keepalive:cluster.directors[1].priority: equal priority 100 with directors[0]: who is master would depend on addresses',
    ]);
    const nokey = { ...base(), ssh: { knownHostsFile: '/kh' } };
    assert.deepEqual(issues(nokey), [
      'keepalive:cluster.ssh: give exactly one of privateKey (a secret) and privateKeyFile',
    ]);
    const pinned = {
      ...base(),
      ssh: { privateKey: 'k', hostKeys: { d1: 'ssh-ed25519 AAAA', d2: 'ssh-ed25519 AAAA' } },
    };
    assert.deepEqual(issues(pinned), [
      'keepalive:cluster.ssh.hostKeys.rs1: missing pinned host key',
    ]);
  });

  it('rejects VRRPv2 fractional intervals, v3 with a password, and an unsafe password', () => {
    assert.deepEqual(issues({ ...base(), advertInt: 0.5 }), [
      'keepalive:cluster.advertInt: VRRPv2 needs a whole number of seconds (use vrrpVersion 3 for sub-second)',
    ]);
    assert.deepEqual(issues({ ...base(), vrrpVersion: 3, authPass: 'x' }), [
      'keepalive:cluster.authPass: VRRPv3 has no authentication',
    ]);
    assert.equal(issues({ ...base(), authPass: 'a b#c' }).length, 1);
    assert.deepEqual(issues({ ...base(), extra: 1 }), [
      'keepalive:cluster: Unrecognized key: "extra"',
    ]);
  });

  it('install: the mode per daemon, and what does not fit it, by config path', () => {
    assert.equal(installMode(parseClusterSpec(base())), 'bundle');
    assert.equal(installMode(parseClusterSpec({ ...base(), daemon: 'keepalived' })), 'package');
    assert.deepEqual(issues({ ...base(), daemon: 'keepalived', install: 'bundle' }), [
      "keepalive:cluster.install: keepalived comes from Debian's package: use install: package",
    ]);
    assert.deepEqual(issues({ ...base(), packageFile: 'x.deb' }), [
      'keepalive:cluster.packageFile: only with daemon: keepalive-ts and install: package',
    ]);
    assert.deepEqual(issues({ ...base(), install: 'package', configDir: '/etc/kts' }), [
      "keepalive:cluster.configDir: install: package runs the package's unit, which reads /etc/keepalived/keepalived.conf",
    ]);
    assert.deepEqual(issues({ ...base(), install: 'package', packageFile: 'x.deb' }), []);
  });

  it('reads pinned keys from a known_hosts file by every name of a line', () => {
    assert.deepEqual(
      parseKnownHosts('d1,198.51.100.11 ssh-ed25519 AAAA1\n# c\nrs1 ssh-ed25519 BBBB\n'),
      {
        d1: 'ssh-ed25519 AAAA1',
        '198.51.100.11': 'ssh-ed25519 AAAA1',
        rs1: 'ssh-ed25519 BBBB',
      },
    );
  });
});
