// Runs the nft command (a whole transaction on stdin with `-f -`).
import { execFile } from 'node:child_process';

/**
 * How long one nft run may take: 10 s, plus 2 s per MB of transaction (a
 * first ruleset of 10,000 real servers' Maglev slots is ~12 MB and took over
 * 10 s on a loaded machine; killed at 10 s it failed forever, never applied).
 */
export const nftTimeoutMs = (inputBytes: number) => 10_000 + Math.ceil(inputBytes / 1e6) * 2000;

export function nft(
  args: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  const timeout = nftTimeoutMs(input?.length ?? 0);
  return new Promise((resolve) => {
    const c = execFile('nft', args, { timeout, maxBuffer: 256 << 20 }, (e, out, err) => {
      const killed = (e as { killed?: boolean } | null)?.killed;
      resolve({
        code: e ? ((e as { code?: number }).code ?? 1) : 0,
        out,
        // a killed nft says nothing: say why
        err: killed ? `${err}nft killed after ${timeout / 1000} s (timeout)` : err,
      });
    });
    if (input !== undefined) c.stdin!.end(input);
  });
}
