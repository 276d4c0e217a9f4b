// The single executable (npm run build:sea), built here when stale: it
// checks configs exactly as `node bin/keepalive-ts` does, and it runs a
// MASTER with no Node.js on the machine (every node binary masked in a
// private mount namespace, PATH without node): its advert is on the wire,
// its VIP on the link, its addon copy gone. Namespace: flock /tmp/keepalive-test.lock.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { addonDirCandidates } from '../../daemon/net/embedded-addon';
import { Capture } from '../../scripts/lab/daemons';
import { run, waitFor } from '../../scripts/lab/sys';
import { ensureSeaBuilt, seaUnsupported } from '../../scripts/sea/ensure';
import { checkoutRoot, seaLayout } from '../../scripts/sea/layout';
import {
  nodeBinaries,
  OWNER_CONF,
  PATH_WITHOUT_NODE,
  SELF,
  seaNetns,
  VIP,
  withoutNodeArgv,
  type SeaNetns,
} from '../../scripts/sea/netns-run';

const ROOT = checkoutRoot();
const layout = seaLayout(ROOT);
const FIXTURES = path.join(ROOT, 'test/fixtures');
const VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
/** where the broken config's error is: the line of virtual_router_id */
const VRID_LINE = OWNER_CONF.split('\n').findIndex((l) => l.includes('virtual_router_id')) + 1;

/** the executable and the node path, same arguments, same working directory */
function both(args: string[]) {
  const opts = { cwd: ROOT, encoding: 'utf8' as const, timeout: 30_000 };
  const sea = spawnSync(layout.executable, args, opts);
  const node = spawnSync(process.execPath, [path.join(ROOT, 'bin/keepalive-ts'), ...args], opts);
  return { sea, node };
}

/** copies of the addon left in the places it may be written to */
const addonCopies = () =>
  addonDirCandidates().flatMap((d) =>
    readdirSync(d).filter((f) => f.startsWith('keepalive-ts-addon-')),
  );

describe('single executable: dist/sea/keepalive-ts', function () {
  this.timeout(300_000);
  before(async function () {
    const why = seaUnsupported();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    await ensureSeaBuilt(layout);
  });

  it('prints the version and exits 0', () => {
    const r = spawnSync(layout.executable, ['--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), VERSION);
    assert.equal(r.stderr, '', 'no experimental-feature warning');
  });

  for (const seed of ['seed-master.conf', 'seed-backup.conf'])
    it(`-t -f ${seed}: valid with its warnings, as the node path says`, () => {
      const { sea, node } = both(['-t', '-f', path.join('test/fixtures', seed)]);
      assert.equal(sea.status, 0, sea.stderr);
      assert.match(
        sea.stdout + sea.stderr,
        new RegExp(`${seed}:\\d+: warning: unknown keyword 'net_mask'`),
      );
      assert.deepEqual(
        [sea.status, sea.stdout, sea.stderr],
        [node.status, node.stdout, node.stderr],
      );
      const strict = both(['-t', '--strict', '-f', path.join(FIXTURES, seed)]);
      assert.equal(strict.sea.status, 1, 'warnings are errors with --strict');
    });

  it('-t -f on a minimal config: exit 0; a broken one: exit 1 with FILE:LINE, no stack', () => {
    const dir = realpathSync(tmpdir());
    const good = path.join(dir, `kts-sea-min-${process.pid}.conf`);
    const bad = path.join(dir, `kts-sea-bad-${process.pid}.conf`);
    writeFileSync(good, OWNER_CONF);
    writeFileSync(bad, OWNER_CONF.replace('virtual_router_id 51', 'virtual_router_id 300'));
    try {
      const ok = both(['-t', '-f', good]);
      assert.equal(ok.sea.status, 0, ok.sea.stdout + ok.sea.stderr);
      assert.deepEqual(ok.sea.stdout + ok.sea.stderr, ok.node.stdout + ok.node.stderr);
      const ko = both(['-t', '-f', bad]);
      const text = ko.sea.stdout + ko.sea.stderr;
      assert.equal(ko.sea.status, 1, text);
      assert.match(
        text,
        new RegExp(`${path.basename(bad)}:${VRID_LINE}: error: virtual_router_id: .*300`),
      );
      assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
      assert.deepEqual(text, ko.node.stdout + ko.node.stderr);
    } finally {
      for (const f of [good, bad]) rmSync(f, { force: true });
    }
  });

  describe('with no Node.js on the machine (netns, private mount namespace)', () => {
    let t: SeaNetns;
    before(async () => {
      t = await seaNetns('sea');
    });
    after(async () => {
      await t?.close();
    });

    it('the masked namespace has no node that runs', async () => {
      assert.ok(nodeBinaries().length > 0, 'found the node running this test');
      for (const node of ['node', ...nodeBinaries()]) {
        const [cmd, ...args] = withoutNodeArgv(t.dir, [node, '--version']);
        const r = await run(cmd, args, { env: { PATH: PATH_WITHOUT_NODE }, timeoutMs: 10_000 });
        assert.notEqual(r.code, 0, `${node} ran: ${r.stdout}`);
        assert.doesNotMatch(r.stdout, /^v\d+/);
      }
    });

    it('starts a MASTER (TMPDIR noexec): advert on the wire, VIP up, status; SIGTERM releases it', async () => {
      const conf = path.join(t.dir, 'owner.conf');
      writeFileSync(conf, OWNER_CONF);
      const before = addonCopies();
      const cap = new Capture({ host: () => ({ ns: t.ns }) }, 'self');
      await cap.start();
      const d = t.start('sea', layout.executable, conf, { withoutNode: true, noexecTmp: true });
      try {
        await cap.waitAdvert(SELF, d.t0, 10_000).catch((e: Error) => {
          throw new Error(`${e.message}; daemon said: ${d.out()}`);
        });
        await waitFor('the VIP', async () => {
          const r = await run('ip', ['-n', t.ns, '-o', 'addr', 'show', 'dev', 'lan0']);
          return r.stdout.includes(` ${VIP}/24`);
        });
        assert.match(d.out(), /VI_1: INIT -> MASTER/);
        const st = spawnSync(
          layout.executable,
          ['status', '--json', '--control', path.join(t.dir, 'kts.sock')],
          { encoding: 'utf8', timeout: 10_000 },
        );
        assert.equal(st.status, 0, st.stderr);
        const status = JSON.parse(st.stdout) as { instances: { name: string; state: string }[] };
        assert.deepEqual(
          status.instances.map((i) => [i.name, i.state]),
          [['VI_1', 'MASTER']],
        );
        assert.deepEqual(addonCopies(), before, 'the addon copy is removed once loaded');
        const advert = cap.adverts(SELF).find((p) => p.t >= d.t0)!;
        assert.equal(advert.prio, 255);
        assert.equal(advert.checksumGood, true);
      } finally {
        cap.stop();
        d.child.kill('SIGTERM');
        await waitFor('exit', () => d.child.exitCode !== null, 10_000);
      }
      assert.equal(d.child.exitCode, 0, d.out());
      const r = await run('ip', ['-n', t.ns, '-o', 'addr', 'show', 'dev', 'lan0']);
      assert.ok(!r.stdout.includes(` ${VIP}/`), 'VIP released at SIGTERM');
    });
  });
});
