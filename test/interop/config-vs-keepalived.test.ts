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
