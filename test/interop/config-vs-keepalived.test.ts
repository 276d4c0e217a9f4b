// Our config test against Debian's `keepalived -t` on the same files: what
// keepalived accepts cleanly we accept; every line keepalived complains about
// gets a diagnostic from us too. keepalived needs the interface to exist, so
// it runs in a network namespace this test creates (with an eth0).
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { renderCluster } from '../../components/render';
import { readStackSpec } from '../../components/stack-file';
import * as path from 'node:path';
import { fsHost } from '../../daemon/config/fs-host';
import { parseFile, parseText } from '../../daemon/config/index';
import { which } from '../../scripts/lab/deps';
import { must, run } from '../../scripts/lab/sys';
import { manKeywords } from '../unit/config/manpage-keywords';
import { lineOf, NO_SNIPPET, snippet } from './keyword-snippets';

const corpus = path.resolve(__dirname, '../../../test/fixtures/corpus');
const ns = `lab-cfg${process.pid % 100000}`;

describe('config test vs Debian keepalived -t (interop)', function () {
  this.timeout(60_000);
  const files = readdirSync(corpus).filter((f) => f.endsWith('.conf'));

  before(async function () {
    if (!which('keepalived')) this.skip();
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });
  after(async () => {
    await run('ip', ['netns', 'del', ns]);
  });

  for (const f of files) {
    it(f, async () => {
      const file = path.join(corpus, f);
      const k = await run('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', file]);
      const ours = parseFile(file, fsHost);
      const kLines = [...k.stderr.matchAll(/Line (\d+)\)/g)].map((m) => Number(m[1]));
      const ourLines = new Set(ours.diagnostics.map((d) => d.line));
      const show = `keepalived (exit ${k.code}):\n${k.stderr}\nours:\n${ours.diagnostics.map((d) => `${d.line} ${d.level} ${d.message}`).join('\n')}`;
      if (k.code === 0) assert.equal(ours.ok, true, show);
      else assert.ok(ours.diagnostics.length > 0, show);
      if (!ours.ok) assert.notEqual(k.code, 0, `we reject what keepalived accepts:\n${show}`);
      for (const l of kLines)
        assert.ok(ourLines.has(l), `keepalived names line ${l}, we do not:\n${show}`);
      assert.equal(
        f.startsWith('ok-') ? ours.ok : !ours.ok || ours.diagnostics.length > 0,
        true,
        show,
      );
    });
  }

  for (const stack of ['lab', 'example']) {
    it(`the configs rendered for stack "${stack}" pass both keepalive-ts -t and keepalived -t cleanly`, async () => {
      // keepalived gets the same declaration rendered for daemon: keepalived (no keepalive-ts extensions)
      const file = readStackSpec(stack);
      // a password kept as a Pulumi secret reads as a placeholder without the engine: use the
      // value the engine would decrypt (the example's is the seed's)
      const spec = file.authPass?.startsWith('<secret:') ? { ...file, authPass: '1111' } : file;
      const ks = renderCluster({ ...spec, daemon: 'keepalive-ts' }, stack);
      for (const d of ks.directors)
        assert.deepEqual(parseText(d.config.content).diagnostics, [], d.name);
      const r = renderCluster({ ...spec, daemon: 'keepalived' }, stack);
      const dir = mkdtempSync(path.join(tmpdir(), 'kts-render-'));
      try {
        for (const d of r.directors) {
          const f = path.join(dir, `${d.name}.conf`);
          writeFileSync(f, d.config.content);
          const k = await run('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-f', f]);
          assert.equal(k.code, 0, `keepalived -t ${d.name}: ${k.stderr}`);
          assert.deepEqual(parseFile(f, fsHost).diagnostics, []);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/**
 * Known disagreements on a keyword's minimal snippet, with the reason:
 * "section keyword" -> why keepalived -t and keepalive-ts -t differ. None today.
 * Differences outside these snippets, on purpose (unit tests in test/unit/config):
 * - an instance with unicast_src_ip and no interface: keepalived runs it, we reject it
 *   (the runtime binds every instance to an interface);
 * - smtp_server HOSTNAME: keepalived resolves it while parsing (fails -t without DNS),
 *   we keep the name;
 * - a vrrp_script run as root without enable_script_security: keepalived -t exits 6
 *   (script security, being implemented elsewhere), we say nothing yet.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {};

describe('config test vs Debian keepalived -t: one snippet per keyword of keepalived.conf(5) (interop)', function () {
  this.timeout(600_000);
  const kns = `lab-kw${process.pid % 100000}`;
  let dir = '';
  let accepted = 0;
  before(async function () {
    if (!which('keepalived')) this.skip();
    dir = mkdtempSync(path.join(tmpdir(), 'kts-kw-'));
    await must('ip', ['netns', 'add', kns]);
    await must('ip', ['-n', kns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    await must('ip', ['-n', kns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    for (const l of ['eth0', 'lan0', 'lo']) await must('ip', ['-n', kns, 'link', 'set', l, 'up']);
  });
  after(async () => {
    console.log(`      ${accepted} snippets valid for keepalived -t (and for keepalive-ts -t)`);
    await run('ip', ['netns', 'del', kns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const k of manKeywords()) {
    const id = `${k.section} ${k.keyword}`;
    if (NO_SNIPPET[id]) continue;
    it(`${id}: ${lineOf(k).split('\n')[0]}`, async () => {
      const f = path.join(dir, 'k.conf');
      writeFileSync(f, snippet(k).replace(/@DIR@/g, dir));
      const kd = await run('ip', ['netns', 'exec', kns, 'keepalived', '-t', '-f', f]);
      const ours = parseFile(f, fsHost);
      const show = `${snippet(k)}\nkeepalived (exit ${kd.code}):\n${kd.stderr}\nours:\n${ours.diagnostics.map((d) => `${d.line} ${d.level} ${d.message}`).join('\n')}`;
      // valid = no errors ("not supported" warnings allowed); keepalived -t fails on any report
      const agree = kd.code === 0 ? ours.ok : ours.diagnostics.length > 0;
      if (kd.code === 0 && agree) accepted++;
      if (KNOWN_DISAGREEMENTS[id]) {
        assert.equal(agree, false, `listed as a disagreement but both agree now: ${id}\n${show}`);
        return;
      }
      assert.ok(agree, show);
    });
  }
});
