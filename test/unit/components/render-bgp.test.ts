import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderBgp, routerProtocolName } from '../../../components/render-bgp';
import { parseClusterSpec } from '../../../components/spec';
import { readStackSpec } from '../../../components/stack-file';
import { activeActive } from './spec-fixtures';

const render = (over: Record<string, unknown> = {}, bgp: Record<string, unknown> = {}) =>
  renderBgp(parseClusterSpec(activeActive(over, bgp)), 'lab')!;

/** the body of `protocol KIND NAME { ... }` (nested braces included) */
function protocol(conf: string, kind: string, name = ''): string | undefined {
  const start = conf.indexOf(`protocol ${kind} ${name}`.trimEnd() + (name ? ' {' : ''));
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = conf.indexOf('{', start); i < conf.length; i++) {
    if (conf[i] === '{') depth++;
    if (conf[i] === '}' && --depth === 0) return conf.slice(start, i + 1);
  }
  return undefined;
}

const BIRD = ['/usr/sbin/bird', '/usr/bin/bird'].find((p) => existsSync(p));

/** `bird -p`: parse only; returns BIRD's complaint, '' when valid */
function birdParse(content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bird-parse-'));
  try {
    const file = path.join(dir, 'bird.conf');
    writeFileSync(file, content);
    const r = spawnSync(BIRD!, ['-p', '-c', file], { encoding: 'utf8', timeout: 10_000 });
    return r.status === 0 ? '' : `${r.stderr}${r.stdout}`.trim() || `exit ${r.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('render: BIRD 2 configs (active-active)', () => {
  it('renders nothing for a pair', () => {
    assert.equal(renderBgp(readStackSpec('lab'), 'lab'), undefined);
  });

  it('a director announces only the VIP, behind a static protocol that starts disabled', () => {
    const r = render();
    assert.equal(r.directors.length, 3);
    for (const [i, d] of r.directors.entries()) {
      const conf = d.bird.content;
      assert.equal(d.bird.path, '/etc/bird/bird.conf');
      assert.match(conf, new RegExp(`router id 198\\.51\\.100\\.1${i + 1};`));
      const vip = protocol(conf, 'static', 'vip_announce')!;
      assert.match(vip, /disabled yes;/);
      assert.deepEqual(vip.match(/route .*;/g), ['route 198.51.100.10/32 blackhole;']);
      const up = protocol(conf, 'bgp', 'upstream')!;
      assert.match(up, new RegExp(`local 198\\.51\\.100\\.1${i + 1} as 65001;`));
      assert.match(up, /neighbor 198\.51\.100\.1 as 65000;/);
      assert.match(
        up,
        /hold time 9;\s+keepalive time 3;\s+connect retry time 5;\s+error wait time 5, 30;\s+bfd on;/,
      );
      assert.match(up, /import none;/);
      assert.match(up, /if proto != "vip_announce" then reject;/);
      assert.doesNotMatch(up, /bgp_med|bgp_community/);
      assert.match(
        protocol(conf, 'bfd')!,
        /interface "lan0" \{\s+interval 100 ms;\s+multiplier 3;/,
      );
    }
  });

  it('MED (0 included) and communities go on the exported route; a renamed protocol is the one exported', () => {
    const up = protocol(
      render({}, { med: 0, communities: ['65000:100', '65000:7'], announceProtocol: 'web_vip' })
        .directors[0].bird.content,
      'bgp',
      'upstream',
    )!;
    assert.match(
      up,
      /if proto != "web_vip" then reject;\s+bgp_med = 0;\s+bgp_community\.add\(\(65000, 100\)\);\s+bgp_community\.add\(\(65000, 7\)\);\s+accept;/,
    );
  });

  it('the router has one session per director, imports only the VIP, merges the paths into the kernel', () => {
    const r = render({}, { router: { address: '198.51.100.1', asn: 65000, interface: 'lan0' } });
    const conf = r.router.bird.content;
    assert.equal(r.router.address, '198.51.100.1');
    const names = [...conf.matchAll(/^protocol bgp (\S+) \{/gm)].map((m) => m[1]);
    assert.deepEqual(names, ['director1_d1', 'director2_d_2', 'director3_d3']);
    for (const [i, name] of names.entries()) {
      const s = protocol(conf, 'bgp', name)!;
      assert.match(s, new RegExp(`neighbor 198\\.51\\.100\\.1${i + 1} as 65001;`));
      assert.match(s, /local 198\.51\.100\.1 as 65000;/);
      assert.match(s, /import where net = 198\.51\.100\.10\/32;\s+export none;/);
      assert.match(s, /bfd on;/);
    }
    assert.match(protocol(conf, 'kernel')!, /merge paths on limit 3;/);
    assert.match(r.router.sysctl.content, /^net\.ipv4\.fib_multipath_hash_policy = 1$/m);
    assert.equal(r.router.sysctl.path, '/etc/sysctl.d/60-keepalive-router.conf');
    assert.match(
      protocol(render({}, { retrySeconds: 2 }).router.bird.content, 'bgp', names[0])!,
      /connect retry time 2;\s+error wait time 2, 12;/,
    );
    assert.match(protocol(conf, 'bfd')!, /interface "lan0"/);
    assert.equal(routerProtocolName(9, 'a.b-c'), 'director10_a_b_c');
  });

  it('BFD off: no bfd protocol and `bfd off` on every session', () => {
    const r = render({}, { bfd: { enabled: false } });
    for (const conf of [r.router.bird.content, ...r.directors.map((d) => d.bird.content)]) {
      assert.equal(protocol(conf, 'bfd'), undefined);
      assert.doesNotMatch(conf, /bfd on;/);
      assert.match(conf, /bfd off;/);
    }
  });

  it('BIRD 2 itself accepts every rendered config (bird -p)', function () {
    if (!BIRD) return this.skip(); // Debian package bird2 (.ci/run installs it)
    const variants = [
      render(),
      render({}, { bfd: { enabled: false }, holdTime: 3, keepaliveTime: 1 }),
      render(
        {},
        { med: 10, communities: ['65000:1'], router: { address: '198.51.100.1', asn: 65001 } },
      ),
      render({
        directors: [
          { name: 'a', ssh: '198.51.100.11', address: '198.51.100.11' },
          { name: 'b', ssh: '198.51.100.12', address: '198.51.100.12' },
        ],
      }),
    ];
    const configs = variants.flatMap((r) => [r.router.bird, ...r.directors.map((d) => d.bird)]);
    assert.equal(configs.length, 4 + 4 + 4 + 3);
    for (const f of configs) assert.equal(birdParse(f.content), '', f.content);
    // and the check can fail: a typo is caught
    assert.match(birdParse(configs[0].content.replace('hold time', 'hold tim')), /syntax error/);
  });
});
