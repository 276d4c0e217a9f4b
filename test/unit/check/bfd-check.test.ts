// BFD_CHECK (keepalived check_bfd.c): the keywords, the checkers keepalived
// keeps, and the manager treating a session's up/down as the checker's verdict.
import { strict as assert } from 'node:assert';
import { bfdCheckers } from '../../../daemon/check/bfd-check';
import { HealthManager, type Probes } from '../../../daemon/check/manager';
import { parseText } from '../../../daemon/config/index';
import type { Service } from '../../../daemon/dataplane/types';
import { FakeClock } from '../vrrp/fakes';

const BFD = (name: string, extra = '') =>
  `bfd_instance ${name} {\n neighbor_ip 198.51.100.2\n${extra}\n}\n`;
const VS = (checkers: string) =>
  `virtual_server 198.51.100.10 80 {\n lvs_sched rr\n protocol TCP\n real_server 198.51.100.2 80 {\n${checkers}\n }\n real_server 198.51.100.3 80 {\n }\n}\n`;
const check = (name: string, extra = '') => `  BFD_CHECK {\n   name ${name}\n${extra}\n  }`;

describe('BFD_CHECK', () => {
  it('keywords: name and alpha only (no timings, no connection options)', () => {
    const r = parseText(BFD('b1') + VS(check('b1', '   alpha')));
    assert.deepEqual(
      r.diagnostics.map((d) => d.message),
      [],
    );
    const c = r.config.virtual_server[0].real_server[0].checkers[0];
    assert.deepEqual(c.type === 'BFD_CHECK' && [c.name, c.alpha], ['b1', true]);
    const bad = parseText(BFD('b1') + VS(check('b1', '   connect_timeout 3')));
    assert.ok(
      bad.diagnostics.some((d) => /unknown keyword 'connect_timeout'/.test(d.message)),
      bad.diagnostics.map((d) => d.message).join('\n'),
    );
  });

  it('what keepalived skips is warned about and skipped: no name, unknown, vrrp-only, twice', () => {
    const r = parseText(
      BFD('b1') +
        BFD('b2', ' vrrp') +
        VS(['  BFD_CHECK {\n  }', check('nope'), check('b2'), check('b1'), check('b1')].join('\n')),
    );
    const msgs = r.diagnostics.map((d) => d.message);
    for (const re of [
      /BFD_CHECK without name, skipped/,
      /bfd_instance nope not configured, skipped/,
      /bfd_instance b2 reports to vrrp only/,
      /already monitoring b1, skipped/,
    ])
      assert.ok(
        msgs.some((m) => re.test(m)),
        `${re}\n${msgs.join('\n')}`,
      );
    assert.equal(r.ok, true);
    assert.deepEqual(bfdCheckers(r.config.virtual_server[0].real_server[0], r.config), [
      { name: 'b1', alpha: false },
    ]);
  });

  function setup(conf: string, known: Map<string, boolean> = new Map()) {
    const clock = new FakeClock();
    const applied: Service[][] = [];
    const logs: string[] = [];
    const never = async () => {
      throw new Error('BFD_CHECK runs no probe');
    };
    const probes: Probes = {
      tcp: never,
      http: never,
      script: never,
      dns: never,
      udp: never,
      ping: never,
      smtp: never,
    };
    const m = new HealthManager(parseText(conf).config, {
      clock,
      probes,
      apply: async (s) => void applied.push(s),
      runScript: async () => 0,
      log: (_l, msg) => void logs.push(msg),
      isLocal: () => true,
      bfdState: (n) => known.get(n),
    });
    m.start();
    const settle = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    const live = () =>
      applied
        .at(-1)![0]
        .destinations.filter((d) => d.weight > 0)
        .map((d) => d.address);
    return { m, applied, logs, settle, live, clock };
  }

  it('the session going down takes the real server out, coming up puts it back', async () => {
    const h = setup(BFD('b1') + VS(check('b1')));
    await h.settle();
    assert.deepEqual(h.live(), ['198.51.100.2', '198.51.100.3'], 'up until told (no alpha)');
    h.m.bfdChanged('b1', false);
    await h.settle();
    assert.deepEqual(h.live(), ['198.51.100.3']);
    const s = h.m.status()[0].servers[0];
    assert.deepEqual(
      [s.up, s.inService, s.checks],
      [false, false, [{ type: 'BFD_CHECK', up: false, lastResult: 'bfd b1 down' }]],
    );
    assert.ok(h.logs.some((l) => /real server 198\.51\.100\.2:80 DOWN \(BFD_CHECK failed/.test(l)));
    const n = h.applied.length;
    h.m.bfdChanged('b1', false); // no change, no apply
    h.m.bfdChanged('other', true);
    await h.settle();
    assert.equal(h.applied.length, n);
    h.m.bfdChanged('b1', true);
    await h.settle();
    assert.deepEqual(h.live(), ['198.51.100.2', '198.51.100.3']);
  });

  it('starts from the state already heard; alpha starts down until the session is up', async () => {
    const a = setup(BFD('b1') + VS(check('b1')), new Map([['b1', false]]));
    await a.settle();
    assert.deepEqual(a.live(), ['198.51.100.3']);
    const b = setup(BFD('b1') + VS(check('b1', '   alpha')));
    await b.settle();
    assert.deepEqual(b.live(), ['198.51.100.3']);
    b.m.bfdChanged('b1', true);
    await b.settle();
    assert.deepEqual(b.live(), ['198.51.100.2', '198.51.100.3']);
  });

  // (the clock is not advanced: the MISC_CHECK never runs, its state stays up)
  it('a real server with a BFD_CHECK and a probing checker needs both up', async () => {
    const h = setup(
      BFD('b1') +
        VS(`${check('b1')}\n  MISC_CHECK {\n   misc_path /bin/true\n   delay_loop 1\n  }`),
    );
    await h.settle();
    h.m.bfdChanged('b1', false);
    await h.settle();
    assert.equal(h.m.status()[0].servers[0].up, false);
    assert.deepEqual(
      h.m.status()[0].servers[0].checks.map((c) => c.type),
      ['MISC_CHECK', 'BFD_CHECK'],
    );
  });
});
