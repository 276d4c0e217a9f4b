// The BIRD step run for real in a temporary folder, with stand-in dpkg,
// dpkg-query, apt-get, bird and birdc on PATH (the stand-in BIRD is a sleep
// with a pid file): BIRD installed only when absent and purged only if the
// suite installed it, the config checked (bird -p) before it is activated, a
// running BIRD reconfigured rather than restarted, and delete putting back the
// config, the package and the running state the step found.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { birdPidFile, birdScripts, daemonDropIn } from '../../../components/bird-step';
import type { HostDirs } from '../../../components/package-step';

const STANDINS: Record<string, string> = {
  'dpkg-query': '[ -f "$DB/$4" ] && printf "install ok installed" || exit 1\n',
  dpkg: 'echo "dpkg $*" >> "$CALLS"; case "$*" in *--purge*) rm -f "$DB/bird2";; esac\n',
  'apt-get': 'echo "apt-get $*" >> "$CALLS"; touch "$DB/bird2"\n',
  getent: 'exit 2\n',
  // bird -p -c FILE: a config without "router id" is a syntax error; else start (a sleep)
  bird: [
    'while [ $# -gt 0 ]; do case "$1" in -p) p=1;; -c) c="$2"; shift;; -s) s="$2"; shift;; -P) P="$2"; shift;; esac; shift; done',
    'if [ -n "${p:-}" ]; then grep -q "router id" "$c" || { echo "$c:1:1 syntax error" >&2; exit 1; }; exit 0; fi',
    'echo "bird start" >> "$CALLS"',
    'sleep 300 >/dev/null 2>&1 < /dev/null & echo $! > "$P"; echo $! > "$s"; cp "$c" "$s.conf"',
  ].join('\n'),
  // birdc -s SOCK show status | configure ["FILE"]
  birdc: [
    's="$2"; shift 2',
    'case "$1" in',
    '  show) [ -f "$s" ] && kill -0 "$(cat "$s")" 2>/dev/null;;',
    '  configure) echo "birdc configure" >> "$CALLS"; f=$(echo "${2:-}" | tr -d \'"\'); [ -n "$f" ] && cp "$f" "$s.conf"; echo Reconfigured;;',
    'esac',
  ].join('\n'),
};

describe('BIRD step (installs, checks, starts or reconfigures; delete restores)', function () {
  this.timeout(20_000);
  let dir: string;
  let dirs: HostDirs;
  let env: NodeJS.ProcessEnv;
  let conf: string;
  let socket: string;
  const sh = (script: string, stdin = '') =>
    spawnSync('sh', ['-c', script], { encoding: 'utf8', env, input: stdin });
  const calls = () => {
    const f = path.join(dir, 'calls');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  const scripts = () => birdScripts('h1', { path: conf, content: '', mode: 0o640 }, socket, dirs);
  const create = (content: string) =>
    sh(birdScripts('h1', { path: conf, content, mode: 0o640 }, socket, dirs).create, content);
  const running = () => sh(`kill -0 "$(cat '${socket}')" 2>/dev/null`).status === 0;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-bird-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    mkdirSync(path.join(dir, 'db'));
    for (const [name, body] of Object.entries(STANDINS))
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    dirs = { state: path.join(dir, 'state'), upload: path.join(dir, 'up'), bin: '/bin/true' };
    conf = path.join(dir, 'etc', 'bird.conf');
    socket = path.join(dir, 'run', 'bird.ctl');
    env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      DB: path.join(dir, 'db'),
      CALLS: path.join(dir, 'calls'),
    };
  });

  afterEach(() => {
    // the stand-in BIRD of a failed test
    sh(`[ -f '${socket}' ] && kill "$(cat '${socket}')" 2>/dev/null; true`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bare host: installs bird2, starts BIRD on the config; delete stops it, removes both', () => {
    const r = create('router id 198.51.100.11;\n');
    assert.equal(r.status, 0, r.stderr);
    assert.match(calls(), /apt-get install -y -qq bird2/);
    assert.equal(readFileSync(conf, 'utf8'), 'router id 198.51.100.11;\n');
    assert.ok(running(), 'BIRD started');
    assert.ok(existsSync(birdPidFile(socket)));
    assert.equal(readFileSync(`${socket}.conf`, 'utf8'), 'router id 198.51.100.11;\n');

    // an update: reconfigured in place, nothing installed or started again
    const u = create('router id 198.51.100.11; # v2\n');
    assert.equal(u.status, 0, u.stderr);
    assert.equal(calls().match(/apt-get/g)?.length, 1);
    assert.equal(calls().match(/bird start/g)?.length, 1);
    assert.match(calls(), /birdc configure/);
    assert.match(readFileSync(`${socket}.conf`, 'utf8'), /# v2/);

    const d = sh(scripts().delete);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(!running(), 'BIRD stopped');
    assert.ok(!existsSync(conf), 'there was no config before');
    assert.match(calls(), /dpkg --purge bird2/);
    assert.ok(!existsSync(dirs.state), 'no records left');
  });

  it('a host that ran BIRD already: reconfigured, left running on its old config, never purged', () => {
    writeFileSync(path.join(dir, 'db', 'bird2'), '');
    mkdirSync(path.dirname(conf));
    writeFileSync(conf, 'router id 10.0.0.1; # theirs\n');
    mkdirSync(path.dirname(socket));
    sh(`sleep 300 >/dev/null 2>&1 < /dev/null & echo $! > '${socket}'`);
    assert.ok(running());

    const r = create('router id 198.51.100.1;\n');
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(calls(), /apt-get|bird start/);
    assert.equal(readFileSync(`${socket}.conf`, 'utf8'), 'router id 198.51.100.1;\n');

    const d = sh(scripts().delete);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(running(), 'still running, as found');
    assert.equal(readFileSync(conf, 'utf8'), 'router id 10.0.0.1; # theirs\n');
    assert.doesNotMatch(calls(), /dpkg --purge/);
  });

  it('a config BIRD rejects is never activated', () => {
    writeFileSync(path.join(dir, 'db', 'bird2'), '');
    mkdirSync(path.dirname(conf));
    writeFileSync(conf, 'router id 10.0.0.1;\n');
    const r = create('protocol bgp { oops\n');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /h1: .*bird\.conf: rejected by bird -p/);
    assert.equal(readFileSync(conf, 'utf8'), 'router id 10.0.0.1;\n');
    assert.ok(!existsSync(`${conf}.new`));
    assert.ok(!running());
  });
});

describe("keepalive-ts's drop-in on a director: BIRD's socket group, withdraw when the daemon is gone", () => {
  let dir: string;
  let socket: string;
  let dropIn: string;
  let env: NodeJS.ProcessEnv;
  const calls = () => {
    const f = path.join(dir, 'calls');
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
  };
  const run = (script: string) => {
    const r = spawnSync('sh', ['-eu', '-c', script], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
  };
  const unit = () => readFileSync(dropIn, 'utf8');

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-bird-dropin-'));
    mkdirSync(path.join(dir, 'bin'));
    const standIn = (name: string, body: string) =>
      writeFileSync(path.join(dir, 'bin', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    standIn('systemctl', 'echo "$*" >> "$CALLS"');
    standIn('birdc', 'exit 0');
    socket = path.join(dir, 'bird.ctl');
    writeFileSync(socket, '');
    dropIn = path.join(dir, 'keepalive-ts.service.d', '10-bgp.conf');
    env = {
      ...process.env,
      PATH: `${dir}/bin:${process.env.PATH}`,
      CALLS: path.join(dir, 'calls'),
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a group-owned socket (Debian's bird:bird 0660): the group, the withdrawal, one restart", () => {
    spawnSync('chgrp', ['nogroup', socket]);
    const s = daemonDropIn(socket, 'vip_announce', dropIn);
    run(s.create);
    assert.match(unit(), /^\[Service\]\n/);
    assert.match(unit(), /\nSupplementaryGroups=nogroup\n/);
    assert.ok(
      unit().includes(`\nExecStopPost=-${dir}/bin/birdc -s ${socket} disable vip_announce\n`),
      unit(),
    );
    assert.deepEqual(calls(), ['daemon-reload', 'try-restart keepalive-ts']);
    run(s.create); // unchanged: no reload, no restart
    assert.equal(calls().length, 2);
    run(s.delete);
    assert.ok(!existsSync(dropIn) && !existsSync(path.dirname(dropIn)));
    assert.deepEqual(calls().slice(2), ['daemon-reload']);
  });

  it('a root-owned socket (BIRD started as root): no group, still the withdrawal', () => {
    spawnSync('chgrp', ['root', socket]);
    run(daemonDropIn(socket, 'vip_announce', dropIn).create);
    assert.doesNotMatch(unit(), /SupplementaryGroups/);
    assert.match(unit(), /\nExecStopPost=-\S+ -s \S+ disable vip_announce\n/);
  });
});
