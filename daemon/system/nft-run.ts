// Running `nft -f -` off the main thread's hot path: a script in, the exit
// code and stderr out. Used where the daemon keeps a table of its own.
import { execFile } from 'node:child_process';

export function nftScript(script: string): Promise<{ ok: boolean; err: string }> {
  return new Promise((resolve) => {
    const c = execFile('nft', ['-f', '-'], { timeout: 10_000 }, (e, _out, err) =>
      resolve({ ok: !e, err: (err || (e ? e.message : '')).trim() }),
    );
    c.stdin!.end(script);
  });
}
