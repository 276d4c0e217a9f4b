// Benchmark: parse a generated keepalived.conf with N vrrp_instances
// (default 10,000) plus one virtual_server per 10 instances. Prints
// median/min/max over several runs. `npm run bench:config [-- N [RUNS]]`
import { parseText } from '../../daemon/config/index';

function generate(n: number): string {
  const out: string[] = ['global_defs {', '  router_id bench', '}'];
  for (let i = 0; i < n; i++) {
    const iface = `eth${Math.floor(i / 250)}`;
    const vrid = (i % 250) + 1;
    const a = 10 + Math.floor(i / 65536);
    const b = Math.floor(i / 256) % 256;
    const c = i % 256;
    out.push(
      `vrrp_instance VI_${i} {`,
      '  state BACKUP',
      `  interface ${iface}`,
      `  virtual_router_id ${vrid}`,
      '  priority 100 # comment',
      '  advert_int 1',
      '  authentication {',
      '    auth_type PASS',
      '    auth_pass 1111',
      '  }',
      '  virtual_ipaddress {',
      `    ${a}.${b}.${c}.1/24 dev ${iface}`,
      '  }',
      '}',
    );
    if (i % 10 === 0) {
      out.push(
        `virtual_server ${a}.${b}.${c}.1 80 {`,
        '  delay_loop 6',
        '  lb_algo rr',
        '  lb_kind DR',
        '  protocol TCP',
        `  real_server ${a}.${b}.${c}.2 80 {`,
        '    weight 1',
        '    TCP_CHECK {',
        '      connect_timeout 3',
        '    }',
        '  }',
        '}',
      );
    }
  }
  return out.join('\n') + '\n';
}

const n = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 7);
const text = generate(n);
const times: number[] = [];
let last: ReturnType<typeof parseText> | undefined;
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  last = parseText(text, '/bench/keepalived.conf');
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((x, y) => x - y);
if (!last!.ok || last!.config.vrrp_instance.length !== n) {
  console.error(last!.diagnostics.slice(0, 5));
  throw new Error('benchmark config did not parse cleanly');
}
console.log(
  JSON.stringify({
    bench: 'config-parse',
    instances: n,
    virtual_servers: last!.config.virtual_server.length,
    lines: text.split('\n').length,
    bytes: text.length,
    runs,
    median_ms: +times[Math.floor(runs / 2)].toFixed(1),
    min_ms: +times[0].toFixed(1),
    max_ms: +times[runs - 1].toFixed(1),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
