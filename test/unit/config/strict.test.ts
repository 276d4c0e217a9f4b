// keepalived's strict mode: what -t reports for a strict instance, and what the
// instance runs with (keepalived resets the settings strict mode forbids).
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { strictInstance } from '../../../daemon/config/strict';
import { decode } from '../../../daemon/vrrp/codec';
import { soloEngine } from '../vrrp/fakes';

const conf = (inst: string, global = '') =>
  parseText(
    `global_defs {\n${global}\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority 100\n${inst}\n}\n`,
  );
const vip = ' virtual_ipaddress {\n  198.51.100.10/24\n }';

describe('strict mode (vrrp_strict, strict_mode)', () => {
  it('refuses an instance with no VIP or with unicast peers', () => {
    const none = conf(' strict_mode');
    assert.ok(none.diagnostics.some((d) => d.level === 'error' && /no VIP/.test(d.message)));
    const uni = conf(`${vip}\n unicast_peer {\n  198.51.100.2\n }`, ' vrrp_strict');
    assert.ok(uni.diagnostics.some((d) => d.level === 'error' && /unicast peers/.test(d.message)));
    assert.deepEqual(
      conf(vip).diagnostics.filter((d) => d.level === 'error'),
      [],
      'not strict: both are fine',
    );
  });

  it('warns about and resets authentication, preempt_delay, down_timer_adverts, the GARP and advert options', () => {
    const r = conf(
      `${vip}\n strict_mode\n authentication {\n  auth_type PASS\n  auth_pass x\n }\n preempt_delay 5\n down_timer_adverts 5\n garp_lower_prio_repeat 2\n higher_prio_send_advert`,
    );
    const msgs = r.diagnostics.map((d) => d.message).join('\n');
    for (const m of [
      /authentication/,
      /preempt_delay/,
      /down_timer_adverts/,
      /repeat GARPs/,
      /higher_prio_send_advert/,
    ])
      assert.match(msgs, m);
    const run = strictInstance(r.config, r.config.vrrp_instance[0]);
    assert.deepEqual(
      [
        run.authentication,
        run.preempt_delay,
        run.down_timer_adverts,
        run.garp_lower_prio_repeat,
        run.lower_prio_no_advert,
        run.higher_prio_send_advert,
      ],
      [undefined, 0, 3, 0, true, false],
    );
  });

  it('a strict VRRPv2 instance sends adverts without the password keepalived ignores', () => {
    const { config } = conf(
      `${vip}\n authentication {\n  auth_type PASS\n  auth_pass x\n }`,
      ' vrrp_strict\n vrrp_version 2',
    );
    const { clock, net } = soloEngine(config);
    clock.advance(5000);
    const d = decode(net.sent.at(-1)!.vrrp);
    assert.ok(d.ok && d.advert.version === 2 && d.advert.authType === 0);
  });

  it('auth_type AH is refused at -t (never sent as no authentication)', () => {
    const r = conf(`${vip}\n authentication {\n  auth_type AH\n  auth_pass x\n }`);
    assert.ok(r.diagnostics.some((d) => d.level === 'error' && /auth_type AH/.test(d.message)));
    assert.deepEqual(
      conf(`${vip}\n authentication {\n  auth_type PASS\n  auth_pass x\n }`).diagnostics.filter(
        (d) => d.level === 'error',
      ),
      [],
    );
  });
});
