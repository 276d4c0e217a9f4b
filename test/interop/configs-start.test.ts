// Property: a config that passes `keepalive-ts -t` starts, runs and stops
// cleanly. fast-check generates VRRP configs from the keywords keepalive-ts
// implements (global_defs, instances of both families, unicast, trackers,
// scripts, sync groups, GARP timing, accept mode); each that -t accepts runs
// 3 s in a network namespace this test creates, then gets SIGTERM: it must
// still be running, exit 0, and log no error. Bounded: a few runs of ~4 s.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { must, run, sleep } from '../../scripts/lab/sys';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin/keepalive-ts');
const ns = `lab-start${process.pid % 100000}`;
const RUNS = Number(process.env.CONFIG_START_RUNS ?? 6);

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const line = (k: string, v: string | number | boolean | undefined) =>
  v === undefined || v === false ? '' : v === true ? ` ${k}\n` : ` ${k} ${v}\n`;

const globalDefs = fc
  .record({
    vrrp_version: opt(fc.constantFrom(2, 3)),
    vrrp_garp_interval: opt(fc.constantFrom('0.001', '0.01')),
    vrrp_gna_interval: opt(fc.constantFrom('0.001', '0.01')),
    vrrp_min_garp: fc.boolean(),
    vrrp_garp_master_refresh: opt(fc.constantFrom(1, 2)),
    vrrp_lower_prio_no_advert: fc.boolean(),
    vrrp_higher_prio_send_advert: fc.boolean(),
    vrrp_check_unicast_src: fc.boolean(),
    router_id: opt(fc.constantFrom('lb1', 'director-a')),
  })
  .map(
    (g) =>
      `global_defs {\n${Object.entries(g)
        .map(([k, v]) => line(k, v))
        .join('')}}\n`,
  );

const instance = (n: number) =>
  fc
    .record({
      family: fc.constantFrom(4, 6),
      state: opt(fc.constantFrom('MASTER', 'BACKUP')),
      priority: opt(fc.integer({ min: 1, max: 255 })),
      advert_int: opt(fc.constantFrom('0.1', '1', '0.5')),
      nopreempt: fc.boolean(),
      preempt_delay: opt(fc.constantFrom(0, 1)),
      unicast: fc.boolean(),
      vips: fc.integer({ min: 1, max: 3 }),
      excluded: fc.boolean(),
      pass: fc.boolean(),
      accept: fc.constantFrom('', 'accept', 'no_accept'),
      track: fc.boolean(),
      garp: opt(fc.constantFrom(1, 2)),
      down: opt(fc.constantFrom(3, 4)),
    })
    .map((o) => {
      const six = o.family === 6;
      const vip = (i: number) => (six ? `2001:db8:1::${10 + i}/64` : `198.51.100.${10 + i}/24`);
      const uni = o.unicast
        ? ` unicast_src_ip ${six ? '2001:db8:1::1' : '198.51.100.1'}\n unicast_peer {\n  ${six ? '2001:db8:1::2' : '198.51.100.2'}\n }\n`
        : '';
      return (
        `vrrp_instance VI_${n} {\n interface lan0\n virtual_router_id ${n}\n` +
        line('state', o.state) +
        line('priority', o.priority) +
        line('advert_int', o.advert_int) +
        line('nopreempt', o.nopreempt) +
        line('preempt_delay', o.preempt_delay) +
        line('garp_master_repeat', o.garp) +
        line('down_timer_adverts', o.down) +
        (o.accept ? ` ${o.accept}\n` : '') +
        uni +
        (o.pass ? ` authentication {\n  auth_type PASS\n  auth_pass s3cret\n }\n` : '') +
        ` virtual_ipaddress {\n${Array.from({ length: o.vips }, (_, i) => `  ${vip(i)}\n`).join('')} }\n` +
        (o.excluded
          ? ` virtual_ipaddress_excluded {\n  ${six ? '198.51.100.99/24' : '2001:db8:1::99/64'}\n }\n`
          : '') +
        (o.track ? ` track_script {\n  chk weight -10\n }\n track_interface {\n  eth0\n }\n` : '') +
        '}\n'
      );
    });

const configs = fc
  .tuple(globalDefs, fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), fc.boolean())
  .chain(([g, list, sync]) =>
    fc
      .tuple(...list.map((_, i) => instance(i + 1)))
      .map(
        (insts) =>
          g +
          `vrrp_script chk {\n script "/bin/true"\n interval 1\n}\n` +
          insts.join('') +
          (sync && insts.length > 1
            ? `vrrp_sync_group G {\n group {\n${insts.map((_, i) => `  VI_${i + 1}\n`).join('')} }\n}\n`
            : ''),
      ),
  );

describe('property: a config that passes -t starts, runs 3 s and stops cleanly (netns)', function () {
  this.timeout(RUNS * 15_000 + 30_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kts-start-'));
    await must('ip', ['netns', 'add', ns]);
    const sh = (c: string) => must('ip', ['netns', 'exec', ns, 'sh', '-c', c]);
    await sh(
      'sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0; ip link set lo up;' +
        'ip link add lan0 type veth peer name lan1; ip link add eth0 type veth peer name eth1;' +
        'for i in lan0 lan1 eth0 eth1; do ip link set $i up; done;' +
        'ip addr add 198.51.100.1/24 dev lan0; ip addr add 2001:db8:1::1/64 dev lan0 nodad',
    );
  });
  after(async () => {
    await run('ip', ['netns', 'pids', ns]).then(async (r) => {
      for (const pid of r.stdout.split('\n').filter(Boolean)) await run('kill', ['-9', pid]);
    });
    await run('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${RUNS} generated configs`, async () => {
    let started = 0;
    await fc.assert(
      fc.asyncProperty(configs, async (text) => {
        const file = path.join(dir, 'k.conf');
        writeFileSync(file, text);
        const t = await run('ip', ['netns', 'exec', ns, process.execPath, BIN, '-t', '-f', file]);
        if (t.code !== 0) return; // -t refused it: nothing to prove
        const log = path.join(dir, 'k.log');
        const child = spawn(
          'ip',
          [
            'netns',
            'exec',
            ns,
            process.execPath,
            BIN,
            '-f',
            file,
            '-n',
            '-l',
            '--control',
            path.join(dir, 'k.sock'),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        await sleep(3000);
        const alive = child.exitCode === null;
        child.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(8000).then(() => 'timeout' as const)]);
        if (code === 'timeout') child.kill('SIGKILL');
        writeFileSync(log, out);
        const show = `config:\n${text}\n-t:\n${t.stdout}${t.stderr}\nlog:\n${readFileSync(log, 'utf8')}`;
        assert.ok(alive, `died within 3 s of starting\n${show}`);
        assert.equal(code, 0, `exit after SIGTERM\n${show}`);
        assert.doesNotMatch(out, / error /, `logged an error\n${show}`);
        started++;
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    assert.ok(started > 0, 'not measured: every generated config was refused by -t');
    console.log(`      ${started} of ${RUNS} generated configs passed -t and ran cleanly`);
  });
});
