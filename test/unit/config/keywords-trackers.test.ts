import { strict as assert } from 'node:assert';
import { instance, parse } from './helpers';

describe('keywords: track_file and vrrp_track_process', () => {
  it('reads track_file (and its deprecated name vrrp_track_file) with keepalived defaults', () => {
    const r = parse(
      'track_file tf1 {\n file /run/a\n weight -2 reverse\n init_file 5 overwrite\n}\n' +
        'vrrp_track_file tf2 {\n file /run/b\n}\n' +
        instance(' track_file {\n  tf1 weight 3 noreverse\n  tf2\n }'),
    );
    assert.deepEqual(r.diags, []);
    const [a, b] = r.config!.track_file;
    assert.deepEqual(
      { file: a.file, weight: a.weight, init: a.init_file },
      { file: '/run/a', weight: { value: -2, reverse: true }, init: { value: 5, overwrite: true } },
    );
    assert.deepEqual(
      { name: b.name, weight: b.weight, init: b.init_file },
      { name: 'tf2', weight: { value: 1, reverse: false }, init: undefined },
    );
    const refs = r.config!.vrrp_instance[0].track_file.map(({ name, weight, reverse }) => ({
      name,
      weight,
      reverse,
    }));
    assert.deepEqual(refs, [
      { name: 'tf1', weight: 3, reverse: false },
      { name: 'tf2', weight: undefined, reverse: undefined },
    ]);
  });

  it('a track_file needs a file; init_file takes a number and overwrite', () => {
    const r = parse('track_file t {\n init_file\n}\n');
    assert.deepEqual(r.diags, ["1 error track_file t: no 'file' given"]);
    const ok = parse('track_file t {\n file /run/t\n init_file\n}\n');
    assert.deepEqual(ok.config!.track_file[0].init_file, { value: 0, overwrite: false });
    assert.deepEqual(parse('track_file t {\n file /run/t\n init_file x\n}\n').diags, [
      "3 error init_file: unknown option 'x'",
    ]);
  });

  it('reads vrrp_track_process as keepalived resolves it (params imply full_command, delay sets both)', () => {
    const r = parse(
      'vrrp_track_process p {\n process "/usr/bin/my prog" -x "a b"\n quorum 2\n quorum_max 3\n delay 0.5\n}\n' +
        'vrrp_track_process q {\n process sshd\n quorum_max 0\n fork_delay 1\n}\n' +
        'vrrp_track_process r {\n process nginx\n param_match initial\n}\n',
    );
    assert.deepEqual(r.diags, []);
    const [p, q, x] = r.config!.vrrp_track_process;
    assert.deepEqual(p.process, { path: '/usr/bin/my prog', params: ['-x', 'a b'] });
    assert.deepEqual(
      [p.param_match, p.full_command, p.quorum, p.quorum_max, p.fork_delay, p.terminate_delay],
      ['exact', true, 2, 3, 0.5, 0.5],
    );
    assert.deepEqual(
      p.weight,
      { value: 0, reverse: false },
      'keepalived 2.2.7: weight 0 by default',
    );
    assert.deepEqual(
      [q.quorum, q.quorum_max, q.full_command, q.fork_delay, q.terminate_delay],
      [0, 0, false, 1, undefined],
    );
    assert.deepEqual([x.param_match, x.full_command], ['initial', true]);
  });

  it('track_file / track_process / linkbeat_use_polling in instances, sync groups and global_defs', () => {
    const r = parse(
      'global_defs {\n linkbeat_use_polling\n}\n' +
        'track_file f {\n file /run/f\n}\nvrrp_track_process p {\n process x\n}\n' +
        instance(' linkbeat_use_polling\n track_process {\n  p weight 5 reverse\n }', 'A') +
        instance(' track_file {\n  nope\n }', 'B').replace('51', '52') +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n track_file {\n  f weight 0\n }\n track_process {\n  p\n }\n}\n',
    );
    assert.ok(r.ok);
    assert.equal(r.config!.global_defs.linkbeat_use_polling, true);
    const [a] = r.config!.vrrp_instance;
    assert.equal(a.linkbeat_use_polling, true);
    assert.deepEqual(
      a.track_process.map((t) => [t.name, t.weight, t.reverse]),
      [['p', 5, true]],
    );
    const g = r.config!.vrrp_sync_group[0];
    assert.deepEqual(
      [g.track_file.map((t) => [t.name, t.weight]), g.track_process.map((t) => t.name)],
      [[['f', 0]], ['p']],
    );
    assert.ok(
      r.diags.some((d) => /vrrp_instance B: track_file 'nope' is not a defined track_file/.test(d)),
      r.diags.join('\n'),
    );
  });
});

describe('lint: weighted trackers in sync groups and on the address owner (keepalived)', () => {
  it('warns that weights are cleared or the tracker ignored', () => {
    const r = parse(
      'vrrp_script s {\n script /bin/true\n weight 5\n}\ntrack_file f {\n file /run/f\n}\n' +
        instance(
          ' track_script {\n  s\n }\n track_interface {\n  eth1 weight 3\n }\n track_file {\n  f\n }',
          'A',
        ) +
        instance('', 'B').replace('51', '52') +
        'vrrp_sync_group G {\n group {\n  A\n  B\n }\n}\n',
    );
    const w = r.diags.filter((d) => d.includes('sync group G')).map((d) => d.split(': ')[1]);
    assert.deepEqual(w, [
      "track_script 's' with weight 5 is ignored",
      "track_interface 'eth1' weight is ignored",
      "track_file 'f' is unweighted (weight 0)",
    ]);
  });
});
