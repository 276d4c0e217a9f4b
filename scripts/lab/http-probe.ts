// A bounded HTTP client for lab tests and verification, run inside a lab
// host: N requests (new connection each), one every `every` ms, each with a
// timeout; prints JSON: answers by body, errors, and a timeline.
//   node dist/scripts/lab/http-probe.js --url http://198.51.100.10/ --count 1000 [--every 0] [--timeout 1000]
import { Command } from 'commander';
import * as http from 'node:http';

const o = new Command('http-probe')
  .requiredOption('--url <url>')
  .option('--count <n>', 'requests', Number, 100)
  .option('--every <ms>', 'start a request every N ms (0 = back to back)', Number, 0)
  .option('--timeout <ms>', 'per request', Number, 1000)
  .option('--timeline', 'include every result with its time')
  .parse()
  .opts();

function once(): Promise<{ ok: boolean; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(o.url, { agent: false, timeout: o.timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        resolve({ ok: res.statusCode === 200, body: body.trim(), ms: performance.now() - t0 }),
      );
      res.on('error', () => resolve({ ok: false, body: 'error', ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) =>
      resolve({
        ok: false,
        body: e.message.includes('timeout') ? 'timeout' : 'error',
        ms: performance.now() - t0,
      }),
    );
  });
}

async function main() {
  const counts: Record<string, number> = {};
  const timeline: [number, string][] = [];
  let errors = 0;
  const start = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    const p = once().then((r) => {
      if (r.ok) counts[r.body] = (counts[r.body] ?? 0) + 1;
      else errors++;
      if (o.timeline) timeline.push([Date.now() - start, r.ok ? r.body : `!${r.body}`]);
    });
    if (o.every > 0) {
      pending.push(p);
      await new Promise((res) => setTimeout(res, o.every));
    } else await p;
  }
  await Promise.all(pending);
  process.stdout.write(
    JSON.stringify({
      counts,
      errors,
      total: o.count,
      ms: Date.now() - start,
      ...(o.timeline ? { timeline } : {}),
    }) + '\n',
  );
}

void main();
