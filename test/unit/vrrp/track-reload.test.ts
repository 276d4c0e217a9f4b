// Pure pieces of the VRRP side: rise/fall hysteresis and the reload plan.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import { planReload, reloadMessage, runningOf } from '../../../daemon/vrrp/reload';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import { FakeClock, FakeLan, FakeNet } from './fakes';
import { RiseFall } from '../../../daemon/vrrp/track';

const conf = (body: string) => {
  const r = parseText(body);
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return r.config!;
};
const inst = (name: string, vrid: number, prio = 100, extra = '') =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n priority ${prio}\n virtual_ipaddress {\n  198.51.100.${vrid}/24\n }\n${extra}}\n`;

describe('vrrp: rise/fall and reload plans', () => {
  it('rise/fall: a healthy tracker fails after `fall` failures in a row, recovers after `rise` successes', () => {
    const rf = new RiseFall(2, 3);
    let ok = true;
    const seen: boolean[] = [];
    for (const r of [false, false, true, false, false, false, true, true]) {
      rf.record(r);
      ok = rf.state(ok);
      seen.push(ok);
    }
    // a success resets the failure run; the 3rd failure in a row fails; 2 successes recover
    assert.deepEqual(seen, [true, true, true, true, true, false, false, true]);
  });

  it('reload plan: unchanged kept, changed restarted, gone removed, new added', () => {
    const cur = conf(inst('A', 1) + inst('B', 2) + inst('C', 3));
    const next = conf(inst('A', 1) + inst('B', 2, 150) + inst('D', 4));
    assert.deepEqual(planReload(cur, ['A', 'B', 'C'], next), {
      kept: ['A'],
      restarted: ['B'],
      added: ['D'],
      removed: ['C'],
    });
  });

  it('reload plan: a change of global_defs or of a tracked script restarts; source lines do not', () => {
    const script = (i: number) => `vrrp_script chk {\n script "/bin/true"\n interval ${i}\n}\n`;
    const tracked = inst('A', 1, 100, ' track_script {\n  chk\n }\n');
    const base = conf(script(1) + tracked + inst('B', 2));
    assert.deepEqual(
      planReload(base, ['A', 'B'], conf(`\n\n${script(1)}${tracked}${inst('B', 2)}`)).kept,
      ['A', 'B'],
    );
    assert.deepEqual(
      planReload(base, ['A', 'B'], conf(script(2) + tracked + inst('B', 2))).restarted,
      ['A'],
    );
    const globals = conf(
      `global_defs {\n router_id other\n}\n${script(1)}${tracked}${inst('B', 2)}`,
    );
    assert.deepEqual(planReload(base, ['A', 'B'], globals).restarted, ['A', 'B']);
  });

  it('a plan made on the main thread: the thread gets only the instances it creates, and ends where a full reload would', () => {
    const cur = conf(inst('A', 1) + inst('B', 2) + inst('C', 3));
    const next = conf(inst('A', 1) + inst('B', 2, 150) + inst('D', 4));
    const plan = planReload(cur, runningOf(cur), next);
    const msg = reloadMessage(plan, next);
    assert.deepEqual(
      msg.vrrp_instance.map((v) => v.name),
      ['B', 'D'],
      'kept instances do not travel',
    );
    const clock = new FakeClock();
    const run = (apply: (e: VrrpEngine) => void) => {
      const e = new VrrpEngine(cur, {
        net: new FakeNet(new FakeLan(), '198.51.100.11', clock),
        clock,
        scripts: { run: async () => 0 },
        log: () => {},
      });
      e.start();
      clock.advance(5000);
      const a = e.instance('A');
      apply(e);
      clock.advance(5000);
      assert.equal(e.instance('A'), a, 'the kept instance is the same object (state, timers kept)');
      return e.status().map((i) => `${i.name}:${i.state}:${i.priority}`);
    };
    assert.deepEqual(
      run((e) => e.applyReload(plan, structuredClone(msg))),
      run((e) => e.reload(next)),
    );
  });
});
