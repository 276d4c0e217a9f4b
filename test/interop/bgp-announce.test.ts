// bgp_announce end to end with real BIRD 2 (netns): keepalive-ts on a
// director with a DR/mh virtual server (TCP_CHECK to a real server in its own
// namespace) enables and disables the VIP protocol of the director's BIRD, and
// the upstream router's BIRD learns and loses the VIP route:
//   real server up -> announced after announce_after; it dies -> withdrawn;
//   back -> announced again; drain/undrain (and a restart stays drained);
//   a failing track_file withdraws; a crashed and restarted BIRD gets the
//   protocol re-enabled; SIGTERM withdraws before the daemon exits.
// Prints the measured times (real-server death -> route gone at the router...).
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { which } from '../../scripts/lab/deps';
import { run, waitFor } from '../../scripts/lab/sys';
import { bgpNetns, REAL_SERVER, VIP, type BgpNetns } from './bgp-netns';
import { BIN, spawnDaemon } from './netns-daemon';

const ANNOUNCE_AFTER_S = 1;

describe('bgp_announce with real BIRD (netns)', function () {
  this.timeout(90_000);
  let t: BgpNetns | undefined;
  let daemon: ChildProcess | undefined;
  let out = '';
  const times: Record<string, number> = {};

  before(async function () {
    if (!which('bird') || !which('birdc')) return this.skip(); // Debian package bird2
    if (!which('nft')) return this.skip();
    t = await bgpNetns();
  });
  after(async () => {
    daemon?.kill('SIGKILL');
    await t?.close();
    if (Object.keys(times).length) console.log('    measured (ms):', JSON.stringify(times));
  });

  const control = () => path.join(t!.dir, 'kts.sock');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args, '--control', control()], {
      encoding: 'utf8',
      timeout: 10_000,
    });
  const status = () => {
    const r = cli('status', '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { bgp: Record<string, unknown> };
  };
  const startDaemon = () => {
    out = '';
    daemon = spawnDaemon(t!.d, path.join(t!.dir, 'k.conf'), t!.dir, (s) => (out += s));
  };
  /** ms until the router has (or has lost) the VIP route */
  const until = async (has: boolean, what: string, timeoutMs = 10_000) => {
    const t0 = Date.now();
    await waitFor(what, async () => (await t!.routerHasVip()) === has, timeoutMs, 20).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n--- keepalive-ts:\n${out}`);
      },
    );
    return Date.now() - t0;
  };

  it('announces while it can serve, withdraws when it cannot, and follows BIRD restarts', async () => {
    const tf = path.join(t!.dir, 'maintenance');
    const writeConf = (announceAfter: number, withBlock = true) =>
      writeFileSync(
        path.join(t!.dir, 'k.conf'),
        [
          'global_defs {\n  lvs_backend nftables\n}',
          `track_file maint {\n  file ${tf}\n  init_file 0 overwrite\n}`,
          `virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_algo mh\n  lb_kind DR\n  protocol TCP`,
          `  real_server ${REAL_SERVER} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n}`,
          ...(withBlock
            ? [
                `bgp_announce {\n  bird_socket ${t!.directorSocket}\n  announce_after ${announceAfter}\n  interval 0.5`,
                `  drain_file ${path.join(t!.dir, 'drained')}\n  track_file {\n    maint\n  }\n}\n`,
              ]
            : []),
        ].join('\n'),
      );
    writeConf(ANNOUNCE_AFTER_S);
    const check = spawnSync(process.execPath, [BIN, '-t', '-f', path.join(t!.dir, 'k.conf')], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stderr);
    t!.startRealServer();
    await t!.startBird('r');
    await t!.startBird('d');
    const t0 = Date.now();
    startDaemon();
    times.startToRoute = await until(true, 'the router to learn the VIP');
    assert.ok(Date.now() - t0 >= ANNOUNCE_AFTER_S * 1000, 'announced before announce_after');
    let st = status().bgp;
    assert.equal(st.announced, true);
    assert.equal(st.protocolState, 'up');
    assert.deepEqual(st.sessions, ['upstream: up Established']);

    // the real server dies: TCP_CHECK fails within delay_loop, the route goes
    await t!.killRealServer();
    times.realServerDeathToWithdrawn = await until(
      false,
      'the route to go after the real server died',
    );
    assert.match(String(status().bgp.reason), /all 1 real servers down/);
    t!.startRealServer();
    times.realServerBackToAnnounced = await until(true, 'the route back after the real server');
    assert.ok(
      times.realServerBackToAnnounced >= ANNOUNCE_AFTER_S * 1000,
      'announce_after not honoured',
    );

    // drain / undrain
    const drained = cli('drain', '--reason', 'netns test');
    assert.equal(drained.status, 0, drained.stderr);
    times.drainToWithdrawn = await until(false, 'the route to go on drain');
    st = status().bgp;
    assert.equal(st.drained, 'netns test');
    assert.deepEqual(st.causes, ['drained: netns test']);

    // a restart stays drained (the drain file), then SIGTERM withdraws nothing more
    daemon!.kill('SIGTERM');
    await new Promise((res) => daemon!.once('exit', res));
    startDaemon();
    await waitFor('the restarted daemon', () => cli('status', '--json').status === 0, 10_000);
    await new Promise((res) => setTimeout(res, (ANNOUNCE_AFTER_S + 1) * 1000));
    assert.equal(await t!.routerHasVip(), false, 'a restarted daemon announced while drained');
    assert.equal(status().bgp.drained, 'netns test');
    assert.equal(cli('undrain').status, 0);
    times.undrainToAnnounced = await until(true, 'the route back after undrain');

    // a failing track_file withdraws
    writeFileSync(tf, '1\n');
    times.trackFileToWithdrawn = await until(false, 'the route to go on a non-zero track_file');
    assert.deepEqual(status().bgp.causes, ['tracker file maint failing']);
    writeFileSync(tf, '0\n');
    await until(true, 'the route back after the track_file');

    // BIRD crashes and comes back with the protocol disabled: re-enabled by the next round
    await t!.killBird('d');
    await until(false, 'the router to lose the route with the director BIRD');
    await waitFor('status to say BIRD is unreachable', () => !!status().bgp.problem, 5000);
    const back = Date.now();
    await t!.startBird('d');
    await until(true, 'the route back after BIRD restarted', 20_000);
    times.birdRestartToRoute = Date.now() - back;
    assert.equal(
      (out.match(/BIRD unreachable/g) ?? []).length,
      1,
      `BIRD unreachable logged more than once:\n${out}`,
    );

    // SIGHUP with other settings keeps the route; removing the block withdraws it
    writeConf(ANNOUNCE_AFTER_S + 2);
    daemon!.kill('SIGHUP');
    const steady = Date.now() + 1500;
    while (Date.now() < steady) {
      assert.equal(await t!.routerHasVip(), true, `the route flapped on reload:\n${out}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    writeConf(ANNOUNCE_AFTER_S, false);
    daemon!.kill('SIGHUP');
    times.reloadWithoutBlockToWithdrawn = await until(false, 'the route to go with the block');
    writeConf(ANNOUNCE_AFTER_S);
    daemon!.kill('SIGHUP');
    await until(true, 'the route back with the block');

    // SIGTERM: the protocol is disabled before the daemon exits
    daemon!.kill('SIGTERM');
    const code = await new Promise((res) => daemon!.once('exit', (c) => res(c)));
    daemon = undefined;
    assert.equal(code, 0);
    const proto = await run('birdc', [
      '-s',
      t!.directorSocket,
      'show',
      'protocols',
      'vip_announce',
    ]);
    assert.match(proto.stdout, /vip_announce\s+Static\s+\S+\s+down/);
    times.sigtermToWithdrawn = await until(false, 'the route to go on SIGTERM');
  });
});
