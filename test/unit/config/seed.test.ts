import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fsHost } from '../../../daemon/config/fs-host';
import { parseFile } from '../../../daemon/config/index';
import { short } from './helpers';

const root = path.resolve(__dirname, '../../../..');
const fixture = (n: string) => path.join(root, 'test/fixtures', n);
const seedPath = path.resolve(root, '../shared/seeds/000_c295cb6a22dff8e9.txt');

/** The seed publishes both configs with line numbers (or ★) in front: strip them. */
function extractSeedConfigs(seed: string): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const l of seed.split('\n')) {
    if (l.startsWith('1 ! Configuration File')) cur = [];
    const m = cur && /^(\d+|★) ?(.*)$/.exec(l);
    if (cur && m) {
      cur.push(m[2]);
      if (m[1] === '47') {
        out.push(cur.join('\n') + '\n');
        cur = undefined;
      }
    }
  }
  return out;
}

describe('the seed configs', () => {
  it('are the seed document lines exactly, numbering removed', function () {
    if (!existsSync(seedPath)) this.skip();
    const [master, backup] = extractSeedConfigs(readFileSync(seedPath, 'utf8'));
    assert.equal(readFileSync(fixture('seed-master.conf'), 'utf8'), master);
    assert.equal(readFileSync(fixture('seed-backup.conf'), 'utf8'), backup);
    assert.match(master, /priority 100 #/, 'comments after values are kept');
  });

  it('master: parses to the expected model with only the net_mask warning', () => {
    const r = parseFile(fixture('seed-master.conf'), fsHost);
    assert.equal(r.ok, true);
    assert.deepEqual(r.diagnostics.map(short), ["26 warning unknown keyword 'net_mask'"]);
    const c = r.config;
    assert.equal(c.global_defs.router_id, 'kp_master');
    assert.equal(c.vrrp_instance.length, 1);
    const vi = c.vrrp_instance[0];
    assert.deepEqual(
      {
        name: vi.name,
        state: vi.state,
        interface: vi.interface,
        vrid: vi.virtual_router_id,
        priority: vi.priority,
        advert: vi.advert_int,
        auth: vi.authentication && {
          type: vi.authentication.auth_type,
          pass: vi.authentication.auth_pass,
        },
        vips: vi.virtual_ipaddress.map((v) => `${v.address}/${v.prefix}`),
      },
      {
        name: 'VI_1',
        state: 'MASTER',
        interface: 'eth0',
        vrid: 100,
        priority: 100,
        advert: 1,
        auth: { type: 'PASS', pass: '1111' },
        vips: ['192.168.22.195/32'],
      },
    );
    assert.equal(c.virtual_server.length, 1);
    const vs = c.virtual_server[0];
    assert.deepEqual(vs.key, { kind: 'address', address: '192.168.22.195', port: 80 });
    assert.equal(vs.delay_loop, 6);
    assert.equal(vs.lvs_sched, 'rr');
    assert.equal(vs.lvs_method, 'DR');
    assert.equal(vs.persistence_timeout, 50);
    assert.equal(vs.protocol, 'TCP');
    assert.deepEqual(
      vs.real_server.map((rs) => [rs.address, rs.port, rs.weight, rs.lvs_method]),
      [
        ['192.168.22.193', 80, 1, 'DR'],
        ['192.168.22.194', 80, 1, 'DR'],
      ],
    );
    for (const rs of vs.real_server) {
      assert.equal(rs.checkers.length, 1);
      const ch = rs.checkers[0];
      assert.equal(ch.type, 'TCP_CHECK');
      assert.deepEqual(
        [ch.connect_timeout, ch.retry, ch.delay_before_retry, ch.delay_loop, ch.warmup],
        [3, 3, 3, 6, 6],
      );
    }
  });

  it('backup: state SLAVE warns and becomes BACKUP; differs from master only in router_id, state, priority', () => {
    const m = parseFile(fixture('seed-master.conf'), fsHost);
    const b = parseFile(fixture('seed-backup.conf'), fsHost);
    assert.equal(b.ok, true);
    assert.deepEqual(b.diagnostics.map(short), [
      "8 warning state: unknown state 'SLAVE', using BACKUP (as keepalived does)",
      "26 warning unknown keyword 'net_mask'",
    ]);
    assert.equal(b.config.vrrp_instance[0].state, 'BACKUP');
    assert.equal(b.config.vrrp_instance[0].priority, 50);
    const strip = (o: unknown) =>
      JSON.parse(
        JSON.stringify(o, (k, v) =>
          k === 'at' || k === 'router_id' || k === 'state' || k === 'priority' ? undefined : v,
        ),
      );
    assert.deepEqual(strip(b.config), strip(m.config));
    assert.notEqual(b.config.global_defs.router_id, m.config.global_defs.router_id);
  });
});
