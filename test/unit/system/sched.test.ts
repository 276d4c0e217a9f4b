// keepalived's per-process scheduling settings mapped onto the daemon's
// threads (daemon/system/sched.ts): the plans, the automatic realtime
// priority steps, and what is called on the native layer.
import { strict as assert } from 'node:assert';
import { parseText } from '../../../daemon/config/index';
import {
  applyThread,
  AutoPriority,
  lockMemory,
  mainThreadPlan,
  rttimeLimit,
  startProcess,
  vrrpThreadPlan,
} from '../../../daemon/system/sched';

const g = (text: string) => {
  const r = parseText(`global_defs {\n${text}\n}\n`);
  return { g: r.config.global_defs, diags: r.diagnostics.map((d) => `${d.level}: ${d.message}`) };
};

function fakeNative(fail: string[] = []) {
  const calls: string[] = [];
  const call = (name: string, args: unknown[]) => {
    calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`);
    if (fail.includes(name)) throw new Error('EPERM');
  };
  return {
    calls,
    n: {
      threadPriority: (...a: unknown[]) => call('threadPriority', a),
      threadAffinity: (...a: unknown[]) => call('threadAffinity', a),
      mlockall: (...a: unknown[]) => call('mlockall', a),
      rlimitRttime: (...a: unknown[]) => call('rlimitRttime', a),
    },
  };
}

describe('scheduling keywords (keepalived 2.2.7 global_parser.c)', () => {
  it('defaults: no rlimit_rttime (keepalived: 10 ms; see config/keywords/sched.ts), min_auto_priority_delay 1 s, max_auto_priority 0', () => {
    const { g: d } = g('');
    assert.equal(d.vrrp_rlimit_rttime, undefined);
    assert.equal(d.checker_rlimit_rttime, undefined);
    assert.equal(d.bfd_rlimit_rttime, undefined);
    assert.equal(d.min_auto_priority_delay, 1_000_000);
    assert.equal(d.max_auto_priority, 0);
    assert.equal(d.vrrp_no_swap, false);
  });

  it('max_auto_priority without a value is 99; -1 is allowed', () => {
    assert.equal(g('max_auto_priority').g.max_auto_priority, 99);
    assert.equal(g('max_auto_priority -1').g.max_auto_priority, -1);
  });

  it('cpu_affinity: CPU ids separated by spaces, within the CPUs online; a bad one clears the set', () => {
    assert.deepEqual(g('vrrp_cpu_affinity 1 0 1').g.vrrp_cpu_affinity, [0, 1]);
    const bad = g('checker_cpu_affinity 0 9999');
    assert.equal(bad.g.checker_cpu_affinity, undefined);
    assert.equal(bad.diags.length, 1);
    assert.match(bad.diags[0], /^error: .*checker_cpu_affinity/);
  });

  it('rlimit_rttime: 1 reads as 2; the old *_rlimit_rtime spelling works', () => {
    assert.equal(g('vrrp_rlimit_rttime 1').g.vrrp_rlimit_rttime, 2);
    assert.equal(g('bfd_rlimit_rtime 50000').g.bfd_rlimit_rttime, 50000);
  });

  it('every one of them is a keyword now, none warns "not supported"', () => {
    const { diags } = g(
      'vrrp_no_swap\nchecker_no_swap\nbfd_no_swap\nvrrp_cpu_affinity 0\nchecker_cpu_affinity 0\nbfd_cpu_affinity 0\nvrrp_rlimit_rttime 20000\nchecker_rlimit_rttime 20000\nbfd_rlimit_rttime 20000\nchecker_priority -5\nchecker_rt_priority 10\nbfd_priority -3\nbfd_rt_priority 20\nmax_auto_priority 50\nmin_auto_priority_delay 200000\nvrrp_startup_delay 5.5\nlog_unknown_vrids',
    );
    assert.deepEqual(diags, []);
  });
});

describe('thread plans: VRRP and BFD share a thread, checkers the main one', () => {
  it('the stronger of vrrp_ and bfd_ wins; vrrp_cpu_affinity over bfd_cpu_affinity', () => {
    const { g: c } = g(
      'vrrp_priority -5\nbfd_priority -10\nvrrp_rt_priority 30\nbfd_rt_priority 20\nbfd_cpu_affinity 1\nvrrp_cpu_affinity 0',
    );
    assert.deepEqual(vrrpThreadPlan(c, true), { nice: -10, rt: 30, cpus: [0] });
    assert.deepEqual(vrrpThreadPlan(c, false), { nice: -5, rt: 30, cpus: [0] });
    const { g: b } = g('bfd_rt_priority 20\nbfd_cpu_affinity 1');
    assert.deepEqual(vrrpThreadPlan(b, true), { rt: 20, cpus: [1] });
    assert.deepEqual(vrrpThreadPlan(b, false), {});
  });

  it("checker_ settings are the main thread's", () => {
    const { g: c } = g('checker_priority 5\nchecker_rt_priority 7\nchecker_cpu_affinity 1');
    assert.deepEqual(mainThreadPlan(c), { nice: 5, rt: 7, cpus: [1] });
  });

  it('no_swap: any side that runs locks the process', () => {
    const sides = { vrrp: true, checkers: true, bfd: false };
    assert.equal(lockMemory(g('').g, sides), false);
    assert.equal(lockMemory(g('checker_no_swap').g, sides), true);
    assert.equal(lockMemory(g('checker_no_swap').g, { ...sides, checkers: false }), false);
    assert.equal(lockMemory(g('bfd_no_swap').g, sides), false);
    assert.equal(lockMemory(g('bfd_no_swap').g, { ...sides, bfd: true }), true);
  });

  it('RLIMIT_RTTIME: only with a realtime thread; the largest value; soft = half', () => {
    const { g: c } = g('vrrp_rlimit_rttime 30000\nchecker_rlimit_rttime 50001');
    assert.equal(rttimeLimit(c, { vrrp: false, bfd: false, checker: false }), undefined);
    assert.deepEqual(rttimeLimit(c, { vrrp: true, bfd: false, checker: false }), {
      soft: 15000,
      hard: 30000,
    });
    assert.deepEqual(rttimeLimit(c, { vrrp: true, bfd: false, checker: true }), {
      soft: 25000,
      hard: 50001,
    });
  });

  it('applies on the native layer, failures are warnings', () => {
    const f = fakeNative(['threadAffinity']);
    const logs: string[] = [];
    const done = applyThread(f.n, 'VRRP', { nice: -5, rt: 10, cpus: [1] }, (l, m) =>
      logs.push(`${l} ${m}`),
    );
    assert.deepEqual(f.calls, ['threadPriority(-5, 10)', 'threadAffinity([1])']);
    assert.deepEqual(done, ['SCHED_RR priority 10']);
    assert.deepEqual(logs, ['warn VRRP thread: cannot set CPU affinity 1: EPERM']);
  });

  it('startProcess: mlockall, the main thread, the rlimit of the realtime threads, the notice', () => {
    const f = fakeNative();
    const logs: string[] = [];
    startProcess(
      g('vrrp_no_swap\nchecker_priority 3\nvrrp_rt_priority 5\nvrrp_rlimit_rttime 40000').g,
      { vrrp: true, checkers: true, bfd: false },
      (_l, m) => logs.push(m),
      f.n,
    );
    assert.deepEqual(f.calls, ['mlockall()', 'threadPriority(3, 0)', 'rlimitRttime(20000, 40000)']);
    assert.ok(logs.some((m) => m.startsWith('NOTICE: setting config option max_auto_priority')));
    const quiet: string[] = [];
    startProcess(
      g('max_auto_priority -1').g,
      { vrrp: true, checkers: true, bfd: false },
      (_l, m) => quiet.push(m),
      fakeNative().n,
    );
    assert.deepEqual(quiet, []);
  });
});

describe('automatic realtime priority (keepalived lib/scheduler.c, lib/process.c)', () => {
  it('late beyond min_auto_priority_delay: SCHED_RR 1, then +1 per late timer, up to the maximum', () => {
    const a = new AutoPriority(3, 200_000);
    const seq = [50, 200, 201, 150, 1000, 300, 5000, 250];
    const out = seq.map((ms) => a.late(ms)?.priority ?? null);
    // 200 ms is not beyond 200000 us; 201 ms is
    assert.deepEqual(out, [null, null, 1, null, 2, 3, null, null]);
    assert.equal(a.current, 3);
  });

  it('every late timer is logged, even at the maximum or with auto priority off', () => {
    const off = new AutoPriority(0, 1_000_000);
    assert.deepEqual(off.late(1500), { log: 'a timer fired 1.500000 seconds late' });
    assert.equal(off.late(999), undefined);
    assert.equal(new AutoPriority(-1, 1).late(5)?.priority, undefined);
  });

  it('a configured rt priority is the starting point; at or above the maximum there is no step', () => {
    const a = new AutoPriority(10, 1000, 8);
    assert.equal(a.late(5)?.priority, 9);
    assert.equal(a.late(5)?.priority, 10);
    assert.equal(a.late(5)?.priority, undefined);
    assert.equal(new AutoPriority(10, 1000, 50).late(5)?.priority, undefined);
  });
});
