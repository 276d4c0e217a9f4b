// Benchmark: one real server failing in a 2,000-server nftables dataplane
// (20 NAT services x 100 servers, 80,000 Maglev slots), applied as the daemon
// applies it: a delta of map elements in one transaction, against writing the
// whole ruleset again. Runs `nft -f` in a network namespace of its own.
// `npm run bench:nft-delta [-- TRIALS]` (default 10)
import { execFileSync } from 'node:child_process';
import { renderNft, renderNftDelta } from '../../daemon/dataplane/nft';
import type { Service } from '../../daemon/dataplane/types';

const TRIALS = Number(process.argv[2] ?? 10);
const NS = `kts-nft-bench-${process.pid}`;

const services = (down: number): Service[] =>
  Array.from({ length: 20 }, (_, v) => ({
    id: `TCP 198.51.100.10:${8000 + v}`,
    address: '198.51.100.10',
    port: 8000 + v,
    protocol: 'TCP',
    persistence: 0,
    method: 'NAT',
    scheduler: 'mh',
    capacity: 100,
    destinations: Array.from({ length: 100 }, (_, i) => ({
      address: `10.0.${v}.${i + 1}`,
      port: 80,
      weight: v === 0 && i === down ? 0 : 1,
      method: 'NAT' as const,
    })),
  }));

function nft(text: string): number {
  const t0 = performance.now();
  execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], {
    input: text,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

execFileSync('ip', ['netns', 'add', NS]);
try {
  const all = renderNft(services(-1));
  const full: number[] = [nft(all.text)];
  const delta: number[] = [];
  let slots = 0;
  for (let t = 0; t < TRIALS; t++) {
    const down = renderNft(services(t));
    const d = renderNftDelta(all, down)!;
    slots = d.split('\n')[0].split(',').length;
    delta.push(nft(d)); // server t fails
    delta.push(nft(renderNftDelta(down, all)!)); // and comes back
    if (t < 2) full.push(nft(down.text), nft(all.text));
  }
  console.log(
    JSON.stringify({
      bench: 'nft-delta',
      real_servers: 2000,
      slots: all.maps.reduce((n, m) => n + m.slots.length, 0),
      one_server_change: {
        slots_moved: slots,
        median_ms: Math.round(median(delta)),
        max_ms: Math.round(Math.max(...delta)),
      },
      whole_ruleset: { median_ms: Math.round(median(full)) },
      ratio: +(median(full) / median(delta)).toFixed(1),
    }),
  );
} finally {
  execFileSync('ip', ['netns', 'del', NS]);
}
