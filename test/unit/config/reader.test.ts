import { strict as assert } from 'node:assert';
import { instance, parse } from './helpers';

describe('config reader: comments, quotes, blocks', () => {
  it('strips # and ! comments anywhere, also right after a value, but not inside quotes', () => {
    const r = parse(
      [
        '! a comment line',
        '# another',
        'global_defs { # comment after a brace',
        ' router_id r1#tail comment',
        ' notification_email_from "ops#1!x@example.org" ! trailing',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(r.diags, []);
    assert.equal(r.config.global_defs.router_id, 'r1');
    assert.equal(r.config.global_defs.notification_email_from, 'ops#1!x@example.org');
  });

  it('keeps an escaped \\# as a literal character', () => {
    const r = parse('global_defs {\n router_id a\\#b\n}\n');
    assert.equal(r.config.global_defs.router_id, 'a#b');
  });

  it('takes a quoted string with spaces as one word', () => {
    const r = parse(instance(' notify_master "/usr/bin/notify.sh master now" root'));
    assert.deepEqual(r.config.vrrp_instance[0].notify_master, {
      cmd: '/usr/bin/notify.sh master now',
      user: 'root',
    });
  });

  it('accepts a { on the next line and a whole block on one line', () => {
    const r = parse(
      'vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 5\n virtual_ipaddress { 10.0.0.2/24 dev eth0 }\n}\n',
    );
    assert.deepEqual(r.diags, []);
    const vi = r.config.vrrp_instance[0];
    assert.deepEqual(
      vi.virtual_ipaddress.map((v) => [v.address, v.prefix, v.dev]),
      [['10.0.0.2', 24, 'eth0']],
    );
    // as in keepalived, the words of one line are one entry: a second address is a bad option
    const two = parse(
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress { 10.0.0.1 10.0.0.2 }\n}\n',
    );
    assert.ok(
      two.diags.includes("4 error virtual_ipaddress: unknown option '10.0.0.2'"),
      two.diags.join('\n'),
    );
  });

  it('reports unbalanced braces with the line of the open block', () => {
    const r = parse('global_defs {\n router_id x\n');
    assert.deepEqual(r.diags, ["1 error global_defs: missing '}' for the block opened here"]);
    const r2 = parse('global_defs {\n}\n}\n');
    assert.deepEqual(r2.diags, ["3 error extra '}'"]);
  });

  it('reports an unterminated quote', () => {
    const r = parse('global_defs {\n router_id "abc\n}\n');
    assert.ok(r.diags.includes('2 error unterminated quote'), r.diags.join('\n'));
  });
});

describe('config reader: include', () => {
  it('includes files by glob, relative to the including file, in sorted order', () => {
    const r = parse('include conf.d/*.conf\n', {
      'conf.d/20-b.conf': instance('', 'VI_B').replace(
        'virtual_router_id 51',
        'virtual_router_id 52',
      ),
      'conf.d/10-a.conf': instance('', 'VI_A'),
      'conf.d/notes.txt': 'garbage {',
    });
    assert.deepEqual(r.diags, []);
    assert.deepEqual(
      r.config.vrrp_instance.map((v) => v.name),
      ['VI_A', 'VI_B'],
    );
  });

  it('names the included file and line in diagnostics', () => {
    const r = parse('include sub/x.conf\n', { 'sub/x.conf': 'global_defs {\n  bogus_kw 1\n}\n' });
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].file, '/cfg/sub/x.conf');
    assert.equal(r.diagnostics[0].line, 2);
  });

  it('detects include cycles', () => {
    const r = parse('include a.conf\n', {
      'a.conf': 'include b.conf\n',
      'b.conf': 'include a.conf\n',
    });
    assert.equal(r.ok, false);
    assert.match(r.diags.join('\n'), /include: cycle: .*a\.conf -> .*b\.conf -> .*a\.conf/);
  });

  it('warns when a pattern matches nothing or a named file is missing (keepalived: a message, not an error)', () => {
    assert.deepEqual(parse('include none/*.conf\n').diags, [
      "1 warning include: no files match 'none/*.conf'",
    ]);
    assert.match(
      parse('include missing.conf\n').diags[0],
      /^1 warning cannot read '\/cfg\/missing\.conf'/,
    );
  });
});

describe('config reader: @ID lines, $parameters, ~SEQ', () => {
  const conf = (id: string) =>
    parse(
      instance(' @d1 priority 150\n @d2 priority 100\n @^d1 state BACKUP\n @d1 state MASTER'),
      {},
      id,
    ).config.vrrp_instance[0];

  it('@ID lines apply only on the node with that config id, @^ID everywhere else', () => {
    assert.deepEqual([conf('d1').priority, conf('d1').state], [150, 'MASTER']);
    assert.deepEqual([conf('d2').priority, conf('d2').state], [100, 'BACKUP']);
    assert.deepEqual([conf('d3').priority, conf('d3').state], [100, 'BACKUP']);
  });

  it('substitutes $NAME and ${NAME}, leaving unknown names alone', () => {
    const r = parse(
      '$VIP=10.1.1.1\n$IF = eth7\n' +
        'vrrp_instance VI_1 {\n interface $IF\n virtual_router_id 9\n virtual_ipaddress {\n  ${VIP}/24\n }\n notify "/x $UNKNOWN"\n}\n',
    );
    assert.deepEqual(r.diags, []);
    const vi = r.config.vrrp_instance[0];
    assert.equal(vi.interface, 'eth7');
    assert.deepEqual(
      [vi.virtual_ipaddress[0].address, vi.virtual_ipaddress[0].prefix],
      ['10.1.1.1', 24],
    );
    assert.equal(vi.notify?.cmd, '/x $UNKNOWN');
  });

  it('expands a multi-line definition into several lines', () => {
    const r = parse(
      '$COMMON= \\\n interface eth0 \\\n advert_int 2 \\\n priority 77\n\n' +
        'vrrp_instance VI_1 {\n virtual_router_id 9\n $COMMON\n virtual_ipaddress {\n  10.0.0.9\n }\n}\n',
    );
    assert.deepEqual(r.diags, []);
    const vi = r.config.vrrp_instance[0];
    assert.deepEqual([vi.interface, vi.advert_int, vi.priority], ['eth0', 2, 77]);
  });

  it('~SEQ repeats a line for every value (start, step, end) with the variable set', () => {
    const r = parse(
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n ~SEQ(n, 1, 2, 7) real_server 10.0.1.$n 80 { weight $n }\n}\n',
    );
    assert.deepEqual(r.diags, []);
    assert.deepEqual(
      r.config.virtual_server[0].real_server.map((rs) => [rs.address, rs.weight]),
      [
        ['10.0.1.1', 1],
        ['10.0.1.3', 3],
        ['10.0.1.5', 5],
        ['10.0.1.7', 7],
      ],
    );
  });

  it('~SEQ with one or two numbers counts by one; bad specs are errors', () => {
    const n = (spec: string) =>
      parse(`virtual_server 10.0.0.1 80 {\n ~SEQ(i, ${spec}) real_server 10.0.1.$i 80 { }\n}\n`)
        .config.virtual_server[0].real_server.length;
    assert.equal(n('3'), 3);
    assert.equal(n('5, 8'), 4);
    assert.match(parse('~SEQ(i, 1, 0, 5) x\n').diags[0], /invalid ~SEQ values/);
    assert.match(parse('~SEQ(i 1) x\n').diags[0], /invalid ~SEQ/);
  });

  it('stops a recursive definition with an error instead of looping', () => {
    const r = parse('$A=$A x\nglobal_defs {\n router_id $A\n}\n');
    assert.equal(r.ok, false);
    assert.match(r.diags.join('\n'), /nested too deep/);
  });
});
