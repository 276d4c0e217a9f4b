import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import {
  checkConverged,
  checkInterrupted,
  parseSnapshot,
  snapshotScript,
  type HostSnapshot,
  type HostTarget,
} from '../../../components/host-invariant';

const KEYS = { 'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2' };
const clean: HostSnapshot = {
  daemons: 0,
  sysctl: { 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' },
  sysctlSaved: false,
  vipOnLo: false,
  leftovers: [],
};
const director: HostTarget = { role: 'director', sysctl: KEYS, configSha256: 'new', release: 'r2' };
const realServer: HostTarget = { role: 'realserver', sysctl: KEYS };
const deployed: HostSnapshot = {
  config: { sha256: 'new', testOk: true },
  install: { release: 'r2', complete: true },
  daemons: 1,
  sysctl: { ...KEYS },
  sysctlSaved: true,
  vipOnLo: false,
  leftovers: [],
};
const with_ = (s: HostSnapshot, o: Partial<HostSnapshot>) => ({ ...s, ...o });

describe('host invariant (no host left half-configured)', () => {
  it('a clean host, an untouched one and a fully deployed one are whole', () => {
    assert.deepEqual(checkInterrupted(clean, clean, director), []);
    assert.deepEqual(checkInterrupted(clean, deployed, director), []);
    assert.deepEqual(checkConverged(deployed, director), []);
  });

  it('config: present only when it passes the test, and only the old or the deployed one', () => {
    const bad = with_(deployed, { config: { sha256: 'new', testOk: false } });
    assert.match(checkInterrupted(clean, bad, director).join(), /rejected by the config test/);
    const other = with_(deployed, { config: { sha256: 'x', testOk: true } });
    assert.match(checkInterrupted(clean, other, director).join(), /neither the one before/);
    const old = with_(deployed, { config: { sha256: 'old', testOk: true } });
    assert.deepEqual(checkInterrupted(old, old, director), []);
    assert.match(
      checkInterrupted(old, with_(old, { config: undefined }), director).join(),
      /config removed/,
    );
  });

  it('install: complete or absent as before', () => {
    const broken = with_(deployed, { install: { release: 'r2', complete: false } });
    assert.match(checkInterrupted(clean, broken, director).join(), /install dir incomplete/);
    const old = with_(deployed, { install: { release: 'r1', complete: true } });
    assert.deepEqual(checkInterrupted(old, old, director), []);
    assert.match(
      checkInterrupted(old, with_(old, { install: undefined }), director).join(),
      /install dir removed/,
    );
  });

  it('daemon: never left stopped, never two, started only with the deployed config and install', () => {
    assert.match(
      checkInterrupted(deployed, with_(deployed, { daemons: 0 }), director).join(),
      /daemon left stopped/,
    );
    assert.match(
      checkInterrupted(clean, with_(deployed, { daemons: 2 }), director).join(),
      /2 daemons running/,
    );
    const early = with_(clean, { daemons: 1, config: { sha256: 'new', testOk: true } });
    assert.match(checkInterrupted(clean, early, director).join(), /without a complete install/);
    // not yet started (interrupted before the start): allowed
    assert.deepEqual(checkInterrupted(clean, with_(deployed, { daemons: 0 }), director), []);
  });

  it('sysctls: all as before or all applied, and applied only with the values before saved', () => {
    const half = with_(clean, {
      sysctl: { 'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '0' },
      sysctlSaved: true,
    });
    assert.match(checkInterrupted(clean, half, realServer).join(), /sysctls half applied/);
    const unsaved = with_(clean, { sysctl: { ...KEYS } });
    assert.match(checkInterrupted(clean, unsaved, realServer).join(), /values before not saved/);
    // saved but not yet applied: fine
    assert.deepEqual(checkInterrupted(clean, with_(clean, { sysctlSaved: true }), realServer), []);
  });

  it('a real server gets the VIP on lo only after its ARP sysctls', () => {
    assert.match(
      checkInterrupted(clean, with_(clean, { vipOnLo: true }), realServer).join(),
      /VIP on lo before the ARP sysctls/,
    );
    const done = with_(clean, { vipOnLo: true, sysctl: { ...KEYS }, sysctlSaved: true });
    assert.deepEqual(checkInterrupted(clean, done, realServer), []);
    assert.deepEqual(checkConverged(done, realServer), []);
    assert.match(
      checkConverged(with_(done, { vipOnLo: false }), realServer).join(),
      /VIP not on lo/,
    );
  });

  it('leftovers: inert temporaries are allowed after an interruption, none after a finished run', () => {
    const tmp = with_(deployed, {
      leftovers: [
        '/etc/keepalived/keepalived.conf.new',
        '/etc/keepalive-ts/app.releases/.staging-42',
      ],
    });
    assert.deepEqual(checkInterrupted(clean, tmp, director), []);
    assert.match(checkConverged(tmp, director).join(), /leftovers/);
    assert.match(checkConverged(with_(deployed, { daemons: 0 }), director).join(), /0 daemons/);
  });

  it('the snapshot script runs and parses (its own command line never counts as a daemon)', () => {
    const script = snapshotScript(
      {
        config: '/nonexistent/k.conf',
        configTest: 'false',
        installDir: '/nonexistent/app',
        daemonMatch: 'keepalive-ts -f ',
        sysctlSaved: '/nonexistent/saved',
        vip: '198.51.100.10',
        folders: ['/nonexistent'],
      },
      ['net.ipv4.ip_forward'],
    );
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = parseSnapshot(r.stdout);
    assert.equal(s.config, undefined);
    assert.equal(s.install, undefined);
    assert.equal(s.daemons, 0);
    assert.match(s.sysctl['net.ipv4.ip_forward'], /^[01]$/);
    assert.equal(s.sysctlSaved, false);
  });

  it('parses every field', () => {
    const s = parseSnapshot(
      'config=abc ok\ninstall=r2 bad\ndaemons=1\nsysctl.a.b=2\nsaved=1\nvip=1\nleftover=/x.new\n',
    );
    assert.deepEqual(s, {
      config: { sha256: 'abc', testOk: true },
      install: { release: 'r2', complete: false },
      daemons: 1,
      sysctl: { 'a.b': '2' },
      sysctlSaved: true,
      vipOnLo: true,
      leftovers: ['/x.new'],
    });
  });
});
