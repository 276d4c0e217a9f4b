// What the checkers tell and follow, under a fake clock: keepalived's FIFO
// lines, rs_init_notifies and the start-up quorum notify, omega at shutdown,
// a reload removing a virtual server, FILE_CHECK following its file, a
// MISC_CHECK refused by script security, and the SSL client context.
import { strict as assert } from 'node:assert';
import { fileCheckState, realWeight, type FileSource } from '../../../daemon/check/file-check';
import { HealthManager, type Probes } from '../../../daemon/check/manager';
import { rsFifoLine, vsFifoLine } from '../../../daemon/check/notifies';
import { loadClientTls } from '../../../daemon/check/ssl-context';
import { parseText } from '../../../daemon/config/index';
import type { Service } from '../../../daemon/dataplane/types';
import { FakeClock } from '../vrrp/fakes';

class FakeFiles implements FileSource {
  texts = new Map<string, string>();
  private watchers = new Map<string, (() => void)[]>();
  read = (f: string) => this.texts.get(f);
  kind = (f: string) => (this.texts.has(f) ? ('regular' as const) : ('no' as const));
  write = (f: string, t: string) => void this.texts.set(f, t);
  dirExists = () => true;
  watch(f: string, fn: () => void) {
    this.watchers.set(f, [...(this.watchers.get(f) ?? []), fn]);
    return { close: () => this.watchers.delete(f) };
  }
  set(f: string, t: string) {
    this.texts.set(f, t);
    for (const w of this.watchers.get(f) ?? []) w();
  }
}

function setup(conf: string, o: { files?: FakeFiles; allowed?: (cmd: string) => boolean } = {}) {
  const r = parseText(conf);
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  const clock = new FakeClock();
  const down = new Set<string>();
  const lines: string[] = [];
  const scripts: string[] = [];
  const logs: string[] = [];
  const applied: Service[][] = [];
  const ok = async (host: string) =>
    down.has(host) ? { ok: false, reason: 'refused' } : { ok: true };
  const probes: Probes = {
    tcp: ok,
    http: async () => ({ ok: true }),
    script: async () => ({ ok: true, exitCode: 0 }),
    dns: async () => ({ ok: true }),
    udp: async (t) => ok(t.host),
    ping: ok,
    smtp: async (t) => ok(t.host),
  };
  const deps = {
    clock,
    probes,
    apply: async (s: Service[]) => void applied.push(s),
    runScript: async (argv: string[], _t: number, user?: { user: string }) => (
      scripts.push(argv.join(' ') + (user ? ` as ${user.user}` : '')),
      0
    ),
    log: (_l: string, msg: string) => void logs.push(msg),
    isLocal: () => true,
    fifo: (l: string) => void lines.push(l),
    ...(o.files ? { files: o.files } : {}),
    ...(o.allowed ? { scriptAllowed: o.allowed } : {}),
  };
  const m = new HealthManager(r.config, deps, () => 0);
  const tick = async (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  };
  const weights = () =>
    applied
      .at(-1)![0]
      .destinations.map((d) => `${d.address}=${d.weight}`)
      .join(' ');
  return { m, r, deps, clock, down, lines, scripts, logs, tick, weights };
}

const VS = (vsExtra: string, rsBody: (i: number) => string, global = '') =>
  `${global}virtual_server 198.51.100.10 25 {\n protocol TCP\n delay_loop 1\n${vsExtra}\n` +
  ['198.51.100.21', '198.51.100.22']
    .map((ip, i) => ` real_server ${ip} 25 {\n  weight 3\n${rsBody(i)}\n }\n`)
    .join('') +
  '}\n';

const SMTP = '  SMTP_CHECK {\n   connect_timeout 1\n   retry 0\n  }';

describe('checker notifies (keepalived ipwrapper.c)', () => {
  it("FIFO lines in keepalived's format: RS [addr]:proto:port VS..., VS FWM n / [group]:0", () => {
    const c = parseText(
      'virtual_server 198.51.100.10 80 {\n protocol UDP\n real_server 198.51.100.21 8080 {\n }\n}\n' +
        'virtual_server fwmark 5 {\n real_server 198.51.100.21 80 {\n }\n}\n' +
        'virtual_server_group G {\n 198.51.100.10 80\n}\nvirtual_server group G {\n protocol TCP\n real_server 198.51.100.21 80 {\n }\n}\n',
    ).config;
    const [a, f, g] = c.virtual_server;
    assert.equal(
      rsFifoLine(a.real_server[0], a, true),
      'RS [198.51.100.21]:udp:8080 [198.51.100.10]:udp:80 UP\n',
    );
    assert.equal(vsFifoLine(a, false), 'VS [198.51.100.10]:udp:80 DOWN\n');
    assert.equal(vsFifoLine(f, true), 'VS FWM 5 UP\n');
    assert.equal(rsFifoLine(f.real_server[0], f, false), 'RS [198.51.100.21]:tcp:80 FWM 5 DOWN\n');
    assert.equal(vsFifoLine(g, true), 'VS [G]:0 UP\n');
  });

  it('at start: a quorum up is no change (keepalived starts it up); rs_init_notifies tells each server starting up', async () => {
    const conf = (g: string) =>
      VS(' quorum_up /qu\n quorum_down /qd', () => `  notify_up /nu\n${SMTP}`, g);
    const plain = setup(conf(''));
    plain.m.start();
    assert.deepEqual([plain.lines, plain.scripts], [[], []]);
    plain.m.stop();

    const init = setup(conf('global_defs {\n rs_init_notifies\n}\n'));
    init.m.start();
    assert.deepEqual(init.lines, [
      'RS [198.51.100.21]:tcp:25 [198.51.100.10]:tcp:25 UP\n',
      'RS [198.51.100.22]:tcp:25 [198.51.100.10]:tcp:25 UP\n',
    ]);
    assert.deepEqual(init.scripts, ['/nu', '/nu']);
    init.m.stop();
  });

  it('alpha: starting with quorum down tells; a first failing check tells DOWN; changes write RS lines', async () => {
    const h = setup(
      VS(
        ' alpha\n quorum_up /qu\n quorum_down /qd',
        () => `  notify_down /nd\n  notify_up /nu\n${SMTP}`,
      ),
    );
    h.down.add('198.51.100.22');
    h.m.start();
    assert.deepEqual(h.lines, ['VS [198.51.100.10]:tcp:25 DOWN\n'], 'starting with quorum down');
    assert.deepEqual(h.scripts, ['/qd']);
    await h.tick(1500);
    assert.deepEqual(h.lines.slice(1).sort(), [
      'RS [198.51.100.21]:tcp:25 [198.51.100.10]:tcp:25 UP\n',
      'RS [198.51.100.22]:tcp:25 [198.51.100.10]:tcp:25 DOWN\n',
      'VS [198.51.100.10]:tcp:25 UP\n',
    ]);
    assert.deepEqual(h.scripts.slice(1).sort(), ['/nd', '/nu', '/qu']);
    h.m.stop();
  });

  it('omega: at shutdown, DOWN for each live server and the quorum; without omega nothing', async () => {
    const body = () => `  notify_down /nd\n${SMTP}`;
    const h = setup(VS(' omega\n quorum_down "/qd x"', body));
    h.m.start();
    await h.tick(2000);
    h.lines.length = 0;
    h.scripts.length = 0;
    h.m.stop();
    await h.m.shutdown();
    assert.deepEqual(h.lines, [
      'RS [198.51.100.21]:tcp:25 [198.51.100.10]:tcp:25 DOWN\n',
      'RS [198.51.100.22]:tcp:25 [198.51.100.10]:tcp:25 DOWN\n',
      'VS [198.51.100.10]:tcp:25 DOWN\n',
    ]);
    assert.deepEqual(h.scripts, ['/nd', '/nd', '/qd x']);

    const flushed = setup(VS(' omega\n quorum_down /qd', body));
    flushed.m.start();
    flushed.m.stop();
    flushed.lines.length = 0;
    await flushed.m.shutdown(true);
    assert.deepEqual(flushed.lines, ['VS [198.51.100.10]:tcp:25 DOWN\n'], 'lvs_flush_on_stop');

    const no = setup(VS(' quorum_down /qd', body));
    no.m.start();
    no.m.stop();
    no.lines.length = 0;
    no.scripts.length = 0;
    await no.m.shutdown();
    assert.deepEqual([no.lines, no.scripts], [[], []]);
  });

  it('a reload removing a virtual server tells its servers and quorum DOWN, omega or not', async () => {
    const h = setup(VS(' quorum_down /qd', () => `  notify_down /nd\n${SMTP}`));
    h.m.start();
    h.m.stop();
    h.lines.length = 0;
    h.scripts.length = 0;
    await h.m.removed(new Set(['TCP 198.51.100.10:25']));
    assert.deepEqual(h.lines, [], 'kept');
    await h.m.removed(new Set());
    assert.equal(h.lines.length, 3);
    assert.deepEqual(h.scripts, ['/nd', '/nd', '/qd']);
  });

  it('a reload: no start-up notifies for the virtual servers that ran before', () => {
    const h = setup(VS('', () => SMTP, 'global_defs {\n rs_init_notifies\n}\n'));
    const m = new HealthManager(
      h.r.config,
      { ...h.deps, reload: true, keptVs: new Set(['TCP 198.51.100.10:25']) },
      () => 0,
    );
    m.start();
    assert.deepEqual(h.lines, []);
    m.stop();
  });
});

describe('FILE_CHECK (keepalived check_file.c / track_file.c)', () => {
  it('weight 0: 0 is up, anything else down (reverse: the other way); weight W adds value x W', () => {
    assert.deepEqual(fileCheckState(0, 0, false), { up: true, delta: 0 });
    assert.deepEqual(fileCheckState(3, 0, false), { up: false, delta: 0 });
    assert.deepEqual(fileCheckState(0, 0, true), { up: false, delta: 0 });
    assert.deepEqual(fileCheckState(-1, 0, true), { up: true, delta: 0 });
    assert.deepEqual(fileCheckState(5, 2, false), { up: true, delta: 10 });
    assert.deepEqual(fileCheckState(5, 2, true), { up: true, delta: -10 });
    assert.deepEqual(fileCheckState(-2147483648, 1, false), { up: false, delta: 0 });
    assert.deepEqual(fileCheckState(2147483648, 2, true), { up: false, delta: 0 });
    assert.deepEqual([realWeight(-4), realWeight(7)], [0, 7]);
  });

  it('follows the file: up/down and the real server weight, notifies and FIFO lines', async () => {
    const files = new FakeFiles();
    files.texts.set('/run/w', '0\n');
    const conf =
      'track_file tf {\n file /run/w\n init_file 0 overwrite\n}\n' +
      VS('', (i) =>
        i === 0
          ? '  notify_down /nd\n  notify_up /nu\n  FILE_CHECK {\n   track_file tf\n   weight 2\n  }'
          : '  FILE_CHECK {\n   track_file tf\n   weight 0\n  }',
      );
    const h = setup(conf, { files });
    h.m.start();
    await h.tick(100);
    assert.equal(h.weights(), '198.51.100.21=3 198.51.100.22=3');
    files.set('/run/w', '4\n');
    await h.tick(100);
    // rs1: 3 + 4 x 2; rs2 (weight 0): a non-zero value is down
    assert.equal(h.weights(), '198.51.100.21=11');
    assert.ok(h.lines.includes('RS [198.51.100.22]:tcp:25 [198.51.100.10]:tcp:25 DOWN\n'));
    files.set('/run/w', '-3');
    await h.tick(100);
    assert.equal(h.weights(), '198.51.100.21=0', 'below 0 the IPVS weight is 0 (still up)');
    files.set('/run/w', '0');
    await h.tick(100);
    assert.equal(h.weights(), '198.51.100.21=3 198.51.100.22=3');
    assert.equal(h.m.status()[0].servers[1].up, true);
    h.m.stop();
  });

  it('init_file writes the file at start (not on a reload without overwrite); a missing file is 0', () => {
    const files = new FakeFiles();
    const conf =
      'track_file tf {\n file /run/w\n init_file 7\n}\n' +
      VS('', () => '  FILE_CHECK {\n   track_file tf\n  }');
    const h = setup(conf, { files });
    h.m.start();
    assert.equal(files.texts.get('/run/w'), '7\n');
    assert.equal(h.m.status()[0].servers[0].weight, 3 + 7);
    h.m.stop();
  });

  it('config: track_file must name a track_file block; dynamic is unknown to keepalived 2.2.7', () => {
    const bad = parseText(VS('', () => '  FILE_CHECK {\n   track_file nope\n  }'));
    assert.equal(bad.ok, false);
    assert.match(bad.diagnostics.map((d) => d.message).join('\n'), /track_file nope not found/);
    const none = parseText(VS('', () => '  FILE_CHECK {\n  }'));
    assert.equal(none.ok, false);
    const dyn = parseText(
      'track_file tf {\n file /run/w\n}\n' +
        VS('', () => '  FILE_CHECK {\n   track_file tf\n   dynamic\n  }'),
    );
    assert.equal(dyn.ok, true);
    assert.match(dyn.diagnostics[0].message, /dynamic: not supported .*does not know it either/);
  });
});

describe('MISC_CHECK user and script security', () => {
  it('a refused program drops its checker (keepalived frees it); the user reaches the probe', async () => {
    const conf = VS(
      '',
      (i) =>
        `  MISC_CHECK {\n   misc_path "/usr/local/bin/chk${i} arg"\n   user nobody nogroup\n  }`,
    );
    const seen: string[] = [];
    const h = setup(conf, { allowed: (cmd) => (seen.push(cmd), cmd.endsWith('chk0')) });
    const users: unknown[] = [];
    h.deps.probes.script = async (_a, _t, user) => (users.push(user), { ok: true, exitCode: 0 });
    h.m.start();
    await h.tick(2000);
    assert.deepEqual(seen, ['/usr/local/bin/chk0', '/usr/local/bin/chk1']);
    assert.deepEqual(
      h.m.status()[0].servers.map((s) => s.checks.length),
      [1, 0],
    );
    assert.ok(users.length > 0);
    assert.deepEqual(users[0], { user: 'nobody', group: 'nogroup' });
    assert.ok(h.logs.some((l) => /chk1 arg: not allowed to run, checker removed/.test(l)));
    h.m.stop();
  });

  it('a timed-out script is down even with misc_dynamic', async () => {
    const h = setup(VS('', () => '  MISC_CHECK {\n   misc_path /x\n   misc_dynamic\n  }'));
    h.deps.probes.script = async () => ({
      ok: false,
      exitCode: 124,
      timedOut: true,
      reason: 'timeout',
    });
    h.m.start();
    await h.tick(5000);
    assert.equal(h.m.status()[0].servers[0].up, false);
    h.m.stop();
  });
});

describe('SSL block (client certificate context)', () => {
  it('reads the files once; a missing one is logged; unusable cert/key fall back to none', () => {
    const logs: string[] = [];
    const files: Record<string, string> = { '/ca': 'CA', '/cert': 'CERT', '/key': 'KEY' };
    const read = (f: string) => {
      if (!(f in files)) throw new Error('ENOENT');
      return Buffer.from(files[f]);
    };
    assert.equal(
      loadClientTls(undefined, () => {}, read),
      undefined,
    );
    const bad = loadClientTls(
      { ca: '/ca', certificate: '/cert', key: '/nokey', password: 'pw' },
      (_l, m) => void logs.push(m),
      read,
    );
    assert.ok(logs.some((l) => /cannot load key \/nokey/.test(l)));
    assert.ok(logs.some((l) => /cannot be used/.test(l)));
    assert.deepEqual(bad, { ca: Buffer.from('CA') });
  });
});
