import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAlive, must, run, startDetached } from '../../scripts/lab/sys';
import type { Lab } from '../../scripts/lab/lab';
import { sharedLab, testLab } from './fixture';

const netnsList = async () =>
  (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);

describe('lab (network namespaces, real sshd)', function () {
  this.timeout(60_000);
  let lab: Lab;
  before(async () => {
    lab = await sharedLab();
  });

  it('is up, and a second up is a no-op that keeps the same processes', async () => {
    const before = await lab.readState();
    const r = await lab.up();
    assert.equal(r.already, true);
    assert.deepEqual(await lab.readState(), before);
    const st = await lab.status();
    assert.equal(st.up, true);
    assert.ok(st.hosts.every((h) => h.sshd));
  });

  it('reaches every host over SSH with the pinned host key, and each says its own hostname', async () => {
    for (const h of lab.topo.hosts) {
      const r = await lab.exec('ops', ['ssh', '-F', lab.sshConfig, h.name, 'hostname']);
      assert.equal(r.code, 0, `${h.name}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), h.name);
    }
  });

  it('refuses a host whose key does not match the pinned one', async () => {
    const wrong = `${lab.dir}/known_hosts.wrong`;
    const lines = readFileSync(lab.knownHosts, 'utf8').trim().split('\n');
    const keyOf = (name: string) =>
      lines
        .find((l) => l.startsWith(`${name},`))!
        .split(' ')
        .slice(1)
        .join(' ');
    writeFileSync(wrong, `d1 ${keyOf('d2')}\n`);
    const r = await lab.exec('ops', [
      'ssh',
      '-F',
      lab.sshConfig,
      '-o',
      `UserKnownHostsFile=${wrong}`,
      'd1',
      'true',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('gives every host a private /etc and hostname', async () => {
    await must('true', []);
    const marker = `/etc/keepalive-lab-marker-${process.pid}`;
    assert.equal((await lab.exec('d1', ['sh', '-c', `echo d1 > ${marker}`])).code, 0);
    assert.equal((await lab.exec('d1', ['cat', marker])).stdout.trim(), 'd1');
    assert.notEqual((await lab.exec('d2', ['cat', marker])).code, 0);
    assert.equal(existsSync(marker), false, 'the root namespace /etc is untouched');
    assert.equal((await lab.exec('rs1', ['cat', '/etc/hostname'])).stdout.trim(), 'rs1');
    assert.equal((await lab.exec('rs1', ['hostname'])).stdout.trim(), 'rs1');
  });

  it('keeps net.* sysctls per host', async () => {
    const key = 'net.ipv4.conf.all.arp_ignore';
    const read = async (h: string) => (await lab.exec(h, ['sysctl', '-n', key])).stdout.trim();
    const rootBefore = readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8').trim();
    await lab.exec('rs1', ['sysctl', '-w', `${key}=1`]);
    assert.equal(await read('rs1'), '1');
    assert.equal(await read('rs2'), '0');
    assert.equal(readFileSync('/proc/sys/net/ipv4/conf/all/arp_ignore', 'utf8').trim(), rootBefore);
    await lab.exec('rs1', ['sysctl', '-w', `${key}=0`]);
  });

  it('lets the client reach every real server over HTTP; each answers with its name', async () => {
    for (const h of lab.topo.hosts.filter((x) => x.role === 'realserver')) {
      const r = await lab.exec('cl', [
        'curl',
        '-sS',
        '--max-time',
        '2',
        `http://${h.ifaces[0].address}/`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), h.name);
    }
  });

  it('cuts and heals traffic between two hosts, per segment or on all of them', async () => {
    const d2 = lab.host('d2').ifaces;
    const ping = async (ip: string) =>
      (await lab.exec('d1', ['ping', '-c1', '-W1', ip])).code === 0;
    assert.ok(await ping(d2[0].address));
    await lab.cut('d1', 'd2', 0);
    assert.equal(await ping(d2[0].address), false, 'segment 0 cut');
    assert.ok(await ping(d2[1].address), 'segment 1 still up');
    assert.ok(
      (await lab.exec('cl', ['ping', '-c1', '-W1', d2[0].address])).code === 0,
      'others unaffected',
    );
    await lab.cut('d1', 'd2');
    assert.equal(await ping(d2[1].address), false, 'all segments cut');
    assert.deepEqual((await lab.status()).cuts.sort(), ['cut d1 d2', 'cut d1 d2 seg0']);
    assert.equal(await lab.heal('d1', 'd2'), 2);
    assert.ok(await ping(d2[0].address));
    assert.ok(await ping(d2[1].address));
    await lab.cut('d2');
    assert.equal(
      (await lab.exec('cl', ['ping', '-c1', '-W1', d2[0].address])).code,
      1,
      'isolated from everyone',
    );
    await lab.heal();
    assert.deepEqual((await lab.status()).cuts, []);
    assert.ok(await ping(d2[0].address));
  });

  it('never runs a lab command outside the lab', async () => {
    await assert.rejects(lab.exec('nosuchhost', ['true']), /no host "nosuchhost"/);
  });
});

describe('lab lifecycle', function () {
  this.timeout(60_000);

  it('refuses a subnet that overlaps the root namespace, creating nothing', async function () {
    const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show'])).stdout) as {
      ifname: string;
      addr_info: { local: string; prefixlen: number }[];
    }[];
    const real = addrs.flatMap((l) => l.addr_info).find((a) => !a.local.startsWith('127.'));
    if (!real) this.skip();
    const lab = testLab('o', { subnet: `${real!.local}/${real!.prefixlen}` });
    await assert.rejects(lab.up(), (e: Error) => {
      assert.match(e.message, /refusing to start/);
      assert.match(e.message, new RegExp(`overlaps address ${real!.local.replace(/\./g, '\\.')}`));
      return true;
    });
    assert.equal((await netnsList()).filter((n) => n.startsWith(lab.topo.prefix + '-')).length, 0);
  });

  it('down removes every namespace, process, mount and file, even after a broken up', async () => {
    const lab = testLab('x', { realServers: 1 });
    await lab.up();
    const st = (await lab.readState())!;
    const pids = Object.values(st.hosts).flatMap((h) =>
      [h.holder, h.sshd, h.http].filter((p): p is number => !!p),
    );
    assert.ok(pids.length >= 6 && pids.every(isAlive));
    const r = lab.down();
    assert.equal(r.removed.length, lab.topo.hosts.length + 2);
    const left = (await netnsList()).filter((n) => n.startsWith(lab.topo.prefix + '-'));
    assert.deepEqual(left, []);
    assert.deepEqual(pids.filter(isAlive), []);
    assert.equal(existsSync(lab.dir), false);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(lab.dir), false);

    // a broken lab: namespaces and a process but no state file
    await must('ip', ['netns', 'add', `${lab.topo.prefix}-d1`]);
    await must('ip', ['netns', 'add', `${lab.topo.prefix}-rs7`]);
    const stray = startDetached('ip', ['netns', 'exec', `${lab.topo.prefix}-d1`, 'sleep', '300']);
    await new Promise((res) => setTimeout(res, 100));
    const r2 = lab.down();
    assert.deepEqual(r2.removed.sort(), [`${lab.topo.prefix}-d1`, `${lab.topo.prefix}-rs7`]);
    assert.equal(isAlive(stray), false);
    assert.deepEqual(
      (await netnsList()).filter((n) => n.startsWith(lab.topo.prefix + '-')),
      [],
    );
  });
});
