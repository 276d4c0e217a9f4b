// global_defs lvs_sync_daemon: keepalived 2.2.7's grammar (global_parser.c
// lvs_syncd_handler) and its check that the named vrrp_instance exists.
import { strict as assert } from 'node:assert';
import { syncSetting } from '../../../daemon/lvs-sync-runtime';
import { instance, parse } from './helpers';

const g = (line: string, rest = instance('')) => parse(`global_defs {\n ${line}\n}\n${rest}`);
const val = (line: string) => {
  const r = g(line);
  assert.deepEqual(r.diags, []);
  const { at, ...v } = r.config.global_defs.lvs_sync_daemon!;
  assert.equal(at.line, 2);
  return v;
};
const runs = { vrrp: true, checkers: true };

describe('lvs_sync_daemon', () => {
  it('INTERFACE [inst] VRRP_INSTANCE [id N] [maxlen N] [port N] [ttl N] [group IP]', () => {
    assert.deepEqual(val('lvs_sync_daemon eth0 VI_1'), { interface: 'eth0', instance: 'VI_1' });
    assert.deepEqual(
      val('lvs_sync_daemon eth0 inst VI_1 id 7 maxlen 1400 port 8900 ttl 2 group 239.0.0.9'),
      {
        interface: 'eth0',
        instance: 'VI_1',
        id: 7,
        maxlen: 1400,
        port: 8900,
        ttl: 2,
        group: '239.0.0.9',
      },
    );
    assert.deepEqual(val('lvs_sync_daemon eth0 id 3 group ff02::8848'), {
      interface: 'eth0',
      id: 3,
      group: 'ff02::8848',
    });
  });

  it('the syncid defaults to the instance virtual_router_id (0 without an instance)', () => {
    assert.equal(syncSetting(g('lvs_sync_daemon eth0 VI_1').config, runs)?.syncId, 51);
    assert.equal(syncSetting(g('lvs_sync_daemon eth0 VI_1 id 9').config, runs)?.syncId, 9);
    assert.equal(syncSetting(g('lvs_sync_daemon eth0').config, runs)?.syncId, 0);
    // the VRRP side runs a named instance's threads, the checker side the unnamed
    assert.equal(
      syncSetting(g('lvs_sync_daemon eth0 VI_1').config, { vrrp: false, checkers: true }),
      undefined,
    );
    assert.equal(
      syncSetting(g('lvs_sync_daemon eth0').config, { vrrp: true, checkers: false }),
      undefined,
    );
  });

  it('the older positional SYNC_ID is read with a warning', () => {
    const r = g('lvs_sync_daemon eth0 VI_1 12');
    assert.deepEqual(r.diags, ['2 warning Please use keyword "id" before lvs_sync_daemon SYNCID']);
    assert.equal(r.config.global_defs.lvs_sync_daemon?.id, 12);
  });

  it('errors name the line: bad values, unknown options, a missing or undefined instance', () => {
    const bad = (line: string, re: RegExp) => {
      const d = g(line).diags.join('\n');
      assert.match(d, re, d);
      assert.match(d, /^2 error/, d);
    };
    bad('lvs_sync_daemon', /lvs_sync_daemon/);
    bad('lvs_sync_daemon averyveryverylongifname VI_1', /interface name .* too long/);
    bad('lvs_sync_daemon eth0 VI_1 id 300', /id/);
    bad('lvs_sync_daemon eth0 VI_1 ttl 0', /ttl/);
    bad('lvs_sync_daemon eth0 VI_1 port', /No value specified for lvs_sync_daemon port/);
    bad('lvs_sync_daemon eth0 VI_1 group 10.0.0.1', /10.0.0.1 is not multicast/);
    bad('lvs_sync_daemon eth0 VI_1 7 extra', /Unknown option extra/);
    bad('lvs_sync_daemon eth0 VI_9', /vrrp_instance VI_9 is not defined/);
  });

  it('is no longer "not supported"', () => {
    assert.doesNotMatch(g('lvs_sync_daemon eth0 VI_1').diags.join('\n'), /not supported/);
  });
});
