// bgp_announce (keepalive-ts only): defaults, values, strict errors with
// FILE:LINE, references to vrrp_script and track_file, and `-t` accepting a
// director config with virtual servers and bgp_announce but no VRRP.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from './helpers';

const VS = `virtual_server 198.51.100.10 80 {
 lb_algo mh
 lb_kind DR
 protocol TCP
 real_server 198.51.100.21 80 {
  TCP_CHECK {
   connect_timeout 1
  }
 }
}
`;
const errors = (r: ReturnType<typeof parse>) => r.diags.filter((d) => / error /.test(d));

describe('config: bgp_announce', () => {
  it('takes the contract defaults when the block is empty', () => {
    const r = parse(`${VS}bgp_announce {\n}\n`);
    assert.deepEqual(r.diags, []);
    const { at, ...b } = r.config.bgp_announce!;
    assert.equal(at.line, 11);
    assert.deepEqual(b, {
      bird_socket: '/run/bird/bird.ctl',
      protocol: 'vip_announce',
      withdraw_when: 'any-service-down',
      announce_after: 2,
      interval: 1,
      drain_file: '/var/lib/keepalive-ts/drained',
      track_script: [],
      track_interface: [],
      track_file: [],
    });
  });

  it('is absent from the model when not given', () => {
    assert.equal(parse(VS).config.bgp_announce, undefined);
  });

  it('reads every setting and tracker list', () => {
    const r = parse(
      `vrrp_script chk {\n script "/bin/true"\n}\ntrack_file tf {\n file /run/tf\n}\n${VS}` +
        'bgp_announce {\n bird_socket /run/b/bird.ctl\n protocol vip_1\n withdraw_when all-services-down\n' +
        ' announce_after 0.5\n interval 0.2\n drain_file /var/lib/k/drained\n' +
        ' track_script {\n  chk\n }\n track_interface {\n  lan0\n  lan1\n }\n track_file {\n  tf\n }\n}\n',
    );
    assert.deepEqual(r.diags, []);
    const b = r.config.bgp_announce!;
    assert.deepEqual(
      [b.bird_socket, b.protocol, b.withdraw_when, b.announce_after, b.interval, b.drain_file],
      ['/run/b/bird.ctl', 'vip_1', 'all-services-down', 0.5, 0.2, '/var/lib/k/drained'],
    );
    assert.deepEqual(
      [b.track_script, b.track_interface, b.track_file].map((l) => l.map((t) => t.name)),
      [['chk'], ['lan0', 'lan1'], ['tf']],
    );
  });

  const bad: [string, string][] = [
    [
      'protocol 9x',
      "2 error protocol: '9x' is not a BIRD name: a letter or _, then letters, digits, _",
    ],
    [
      'withdraw_when never',
      "2 error withdraw_when: 'never' is not one of any-service-down, all-services-down",
    ],
    ['announce_after -1', "2 error announce_after: number '-1' outside range [0, 3600]"],
    ['interval 0', "2 error interval: number '0' outside range [0.1, 3600]"],
    ['interval soon', "2 error interval: invalid number 'soon'"],
    ['bird_socket bird.ctl', "2 error bird_socket: 'bird.ctl' is not an absolute path"],
    ['drain_file /a /b', "2 error bgp_announce: drain_file takes one value, got '/a /b'"],
    [
      'colour blue',
      "2 error bgp_announce: unknown keyword 'colour' (known: bird_socket, protocol, withdraw_when, announce_after, interval, drain_file, track_script, track_interface, track_file)",
    ],
    [
      'track_interface {\n  lan0 weight 2\n }',
      "3 error bgp_announce: track_interface: one name a line, got 'lan0 weight 2' (a failing tracker withdraws the VIP: there is no weight)",
    ],
    [
      'track_script {\n  nosuch\n }',
      "3 error bgp_announce: track_script 'nosuch' is not a defined vrrp_script",
    ],
    [
      'track_file {\n  nosuch\n }',
      "3 error bgp_announce: track_file 'nosuch' is not a defined track_file",
    ],
  ];
  for (const [line, diag] of bad)
    it(`rejects '${line.split('\n')[0]}' naming its line`, () => {
      const r = parse(`bgp_announce {\n ${line}\n}\n${VS}`);
      assert.deepEqual(errors(r), [diag]);
    });

  it('rejects a second block and arguments on the block', () => {
    assert.deepEqual(errors(parse(`${VS}bgp_announce {\n}\nbgp_announce {\n}\n`)), [
      '13 error bgp_announce: given twice (first at /cfg/keepalived.conf:11); one block announces the VIP',
    ]);
    assert.deepEqual(errors(parse(`${VS}bgp_announce x {\n}\n`)), [
      "11 error bgp_announce: takes no name or value, got 'x'",
    ]);
  });

  it('warns when there is no virtual_server to announce for', () => {
    assert.deepEqual(parse('bgp_announce {\n}\n').diags, [
      '1 warning bgp_announce: no virtual_server: the VIP would never be announced',
    ]);
  });

  it('`keepalive-ts -t` accepts virtual servers + bgp_announce without any vrrp_instance', () => {
    const root = path.resolve(__dirname, '../../../..');
    const conf = path.join(root, 'test/fixtures/bgp/director.conf');
    const r = spawnSync(process.execPath, [path.join(root, 'bin/keepalive-ts'), '-t', '-f', conf], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /valid \(0 error\(s\), 0 warning\(s\)\)/);
    const dir = mkdtempSync(path.join(tmpdir(), 'bgp-conf-'));
    try {
      const file = path.join(dir, 'bad.conf');
      writeFileSync(file, `${VS}bgp_announce {\n interval 0\n}\n`);
      const bad = spawnSync(
        process.execPath,
        [path.join(root, 'bin/keepalive-ts'), '-t', '-f', file],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(bad.status, 1);
      assert.equal(
        bad.stderr.split('\n')[0],
        `${file}:12: error: interval: number '0' outside range [0.1, 3600]`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
