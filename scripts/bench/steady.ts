// Benchmark: false failovers in steady state. keepalive-ts MASTER and
// keepalived BACKUP (then the other way round) on one link, VRRPv3 with
// centisecond adverts, for a fixed time: every transition after the start is
// a false failover. Counts come from keepalive-ts's status (transitions,
// late adverts, Master_Down timer fires) and keepalived's log (state entries).
// `npm run bench:steady [-- --seconds 600 --advert-int 0.01 --rt 0]`
import { Command } from 'commander';
import { Lab } from '../lab/lab';
import { holders, LabDaemon, vrrpConf } from '../lab/daemons';
import { sleep, waitFor } from '../lab/sys';

const o = new Command()
  .option('--seconds <n>', 'steady-state window per direction', '600')
  .option('--advert-int <s>', 'advert interval', '0.01')
  .option('--rt <n>', 'vrrp_rt_priority for keepalive-ts (0: none)', '0')
  .option('--only <who>', 'one direction: ks-master or kd-master')
  .parse()
  .opts<{ seconds: string; advertInt: string; rt: string; only?: string }>();

interface KsStatus {
  instances: {
    state: string;
    counters: { transitions: number; lateAdverts: number; masterDownFired: number };
  }[];
}

async function run(lab: Lab, ksMaster: boolean) {
  const advertInt = Number(o.advertInt);
  const global = Number(o.rt) ? `  vrrp_rt_priority ${o.rt}\n` : '';
  const ks = new LabDaemon(
    lab,
    ksMaster ? 'd1' : 'd2',
    'ks',
    vrrpConf({ priority: ksMaster ? 100 : 50, version: 3, advertInt, global }),
  );
  const kd = new LabDaemon(
    lab,
    ksMaster ? 'd2' : 'd1',
    'kd',
    vrrpConf({ priority: ksMaster ? 50 : 100, version: 3, advertInt }),
  );
  try {
    await kd.start();
    await ks.start();
    await waitFor(
      'VIP on d1 alone',
      async () => (await holders(lab, ['d1', 'd2'])).join() === 'd1',
      20_000,
      50,
    );
    await sleep(2000);
    const kdEntries = async () =>
      ((await kd.log()).match(/Entering (MASTER|BACKUP|FAULT) STATE/g) ?? []).length;
    const s0 = ((await ks.status()) as unknown as KsStatus).instances[0];
    const k0 = await kdEntries();
    const t0 = Date.now();
    await sleep(Number(o.seconds) * 1000);
    const s1 = ((await ks.status()) as unknown as KsStatus).instances[0];
    const k1 = await kdEntries();
    return {
      direction: ksMaster
        ? 'keepalive-ts MASTER, keepalived BACKUP'
        : 'keepalived MASTER, keepalive-ts BACKUP',
      seconds: Math.round((Date.now() - t0) / 1000),
      adverts_expected: Math.round((Date.now() - t0) / 1000 / advertInt),
      false_failovers: s1.counters.transitions - s0.counters.transitions + (k1 - k0),
      'keepalive-ts': {
        state: s1.state,
        transitions: s1.counters.transitions - s0.counters.transitions,
        late_adverts: s1.counters.lateAdverts - s0.counters.lateAdverts,
        master_down_fired: s1.counters.masterDownFired - s0.counters.masterDownFired,
      },
      keepalived_state_entries: k1 - k0,
      holders_at_end: await holders(lab, ['d1', 'd2']),
    };
  } finally {
    await ks.stop().catch(() => {});
    await kd.stop().catch(() => {});
    for (const h of ['d1', 'd2'])
      await lab.exec(h, ['sh', '-c', 'ip addr del 198.51.100.10/24 dev lan0 2>/dev/null; true']);
  }
}

async function main() {
  const lab = new Lab({ prefix: 'lab-bench', log: () => {} });
  await lab.up();
  try {
    const directions = o.only ? [o.only === 'ks-master'] : [true, false];
    for (const ksMaster of directions)
      console.log(
        JSON.stringify({
          bench: 'steady',
          advert_int: Number(o.advertInt),
          vrrp_rt_priority: Number(o.rt),
          ...(await run(lab, ksMaster)),
        }),
      );
  } finally {
    lab.down();
  }
}

void main();
